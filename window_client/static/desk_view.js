// Drawing the clerk's working view from the desk's state (clerk.js): the current
// ticket with its timers, the action buttons, the waiting counts, the passed list, today.

import { $, clock, h, reconcile, secondsSince, setText, timeIn } from "./dom.js";

// What the window's state allows: a button is enabled, a key acts, only then.
export function allowed(op, st) {
  const w = st.win;
  if (!w) return false;
  const cur = st.ticket ? st.ticket.state : w.current && w.current.state;
  switch (op) {
    case "open": return w.state === "closed";
    case "call_next": case "pause": return w.state === "open";
    case "call_back": return w.state === "open" && st.passed.length > 0;
    case "resume": return w.state === "paused";
    case "recall": case "no_show": case "start": return w.state === "serving" && cur === "called";
    case "finish": return w.state === "serving" && cur === "serving";
    case "transfer": return w.state === "serving" && !!cur;
    // Case work: intake for the citizen being served; pickup too, or on demand (by ID
    // number, e.g. to mail a result) while the window is free.
    case "intake": case "lookup": return w.state === "serving" && cur === "serving";
    case "pickup": return w.state === "open" || (w.state === "serving" && cur === "serving");
    // Pre-review of online applications needs no citizen at the window: any time the
    // window is staffed, paused (暂离) too.
    case "prereview": return w.state !== "closed";
    default: return false;
  }
}

export function renderDesk(desk) {
  const { ctx, st } = desk;
  const w = st.win;
  const cur = $("current");
  const state = !desk.ready ? "loading" : st.ticket || (w && w.current) ? "ticket" : w.state;
  cur.dataset.state = state;
  $("cur-state").textContent = w && desk.ready ? ctx.t(`win.state.${w.state}`) : "";
  $("cur-state").dataset.state = w ? w.state : "";
  const empty = { loading: ctx.t("current.loading"), open: ctx.t("current.none"),
    closed: ctx.t("current.closed"),
    paused: ctx.t("current.paused", { reason: (w && w.pause_reason) || ctx.t("pause.default") }) };
  setText($("cur-empty"), empty[state] || "");
  $("cur-empty").hidden = state === "ticket";
  $("cur-body").hidden = state !== "ticket";
  if (state === "ticket") renderTicket(ctx, st.ticket || { ...w.current, id: null });

  const offline = !ctx.online;
  const closed = !!(w && w.state === "closed");
  for (const b of $("actions").querySelectorAll("button[data-op]")) {
    const op = b.dataset.op;
    b.disabled = offline || !!desk.busy || !desk.ready || !allowed(op, st);
    b.classList.toggle("busy", desk.busy === op);
    b.hidden = (op === "open") !== closed;
  }
  $("actions").setAttribute("aria-busy", desk.busy ? "true" : "false");
  const err = desk.error;
  setText($("work-error"), err
    ? ctx.t("err.with_action", { action: ctx.t(`op.${err.op}`), message: ctx.errorText(err.err) })
    : "");

  renderWaiting(desk);
  renderPassed(desk, offline);
  const s = st.stats;
  setText($("stat-served"), s ? String(s.served) : ctx.t("stats.none"));
  setText($("stat-avg"), s && s.avg_service_s !== null ? clock(s.avg_service_s) : ctx.t("stats.none"));
  tickDesk(desk);
}

function renderTicket(ctx, t) {
  setText($("cur-number"), t.number);
  setText($("cur-service"), `${t.service} · ${ctx.serviceName(t.service)}`);
  const kind = $("cur-kind");
  // An appointment says its slot: the clerk sees at once whether the citizen is on time.
  const slot = t.slot_at ? timeIn(t.slot_at, ctx.hall && ctx.hall.tz) : "";
  setText(kind, t.kind === "appointment" && slot ? ctx.t("kind.appointment_at", { time: slot })
    : t.kind ? ctx.t(`kind.${t.kind}`) : "");
  kind.dataset.kind = t.kind || "";
  $("cur-state").textContent = ctx.t(`ticket.state.${t.state}`);
  $("cur-state").dataset.state = t.state;
  const rows = [];
  const add = (label, value) => value && rows.push(h("div", {}, h("dt", {}, label), h("dd", {}, value)));
  add(ctx.t("fact.recalls"), t.recall_count ? ctx.t("fact.recalls_n", { n: t.recall_count }) : null);
  add(ctx.t("fact.slot"), t.kind !== "appointment" && slot ? slot : null); // e.g. transferred since
  add(ctx.t("fact.name"), t.name_masked);
  add(ctx.t("fact.id"), t.id_masked);
  add(ctx.t("fact.phone"), t.phone_masked);
  const green = t.note ? ctx.t(`green.${t.note}`) : null; // a green-channel reason, or free text
  const note = green && green !== `green.${t.note}` ? green : t.note;
  add(ctx.t("fact.note"), [note, t.transfer_count ? ctx.t("current.transfers", { n: t.transfer_count }) : null]
    .filter(Boolean).join(" · "));
  $("cur-facts").replaceChildren(...rows);
}

// Timers: waited since the ticket was taken; since it was called, or service time.
export function tickDesk(desk) {
  const t = desk.st.ticket;
  if (!t || $("cur-body").hidden) return;
  const now = desk.ctx.socket.serverNow();
  const waited = secondsSince(t.issued_at, now);
  const serving = t.state === "serving";
  setText($("cur-t1-label"), desk.ctx.t("fact.waited"));
  setText($("cur-t1"), waited === null ? "—" : clock(waited));
  setText($("cur-t2-label"), desk.ctx.t(serving ? "fact.serving" : "fact.since_call"));
  const t2 = secondsSince(serving ? t.started_at : t.called_at, now);
  setText($("cur-t2"), t2 === null ? "—" : clock(t2));
}

function renderWaiting(desk) {
  const w = desk.st.win;
  const codes = w ? w.services : [];
  reconcile($("waiting"), codes, (c) => c,
    () => h("li", {}, h("span", { class: "code" }), h("span", { class: "name" }),
      h("span", { class: "count" })),
    (el, c) => {
      const n = desk.ctx.waiting[c] ?? 0;
      setText(el.children[0], c);
      setText(el.children[1], desk.ctx.serviceName(c));
      setText(el.children[2], String(n));
      el.dataset.service = c;
      el.classList.toggle("none", n === 0);
    });
}

function renderPassed(desk, offline) {
  const box = $("passed");
  const can = !offline && !desk.busy && allowed("call_back", desk.st);
  reconcile(box, desk.st.passed, (p) => p.id,
    (p) => h("button", { type: "button", class: "passed-item", role: "option",
      onclick: () => desk.callBack(p.id) },
    h("b", {}), h("span", { class: "name" }), h("span", { class: "muted" })),
    (el, p) => {
      setText(el.children[0], p.number);
      setText(el.children[1], desk.ctx.serviceName(p.service));
      setText(el.children[2], p.recall_count ? desk.ctx.t("passed.recalls", { n: p.recall_count }) : "");
      el.dataset.number = p.number;
      el.disabled = !can;
    });
  box.dataset.empty = desk.st.passed.length ? "" : desk.ctx.t("passed.empty");
  box.setAttribute("aria-label", desk.ctx.t("passed.title"));
}

