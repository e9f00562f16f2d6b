// A case (办件) as a citizen may see it, from the public CaseOut (POST /api/case-status,
// GET /api/citizen/cases): the state, the current step, the deadline in words with its
// colour (a sign and a word too, never colour alone), the masked applicant, what is
// missing or why it was refused, and the timeline without staff. The tasks and the
// timeline name departments by id: the matter's guide gives their names, and where to
// collect the result. Shared by the status page (case.js) and 我的办件 (mycases.js).
import { getMatter } from "/static/common/guide.js";
import { api, describe, el, lang, t, tickets } from "./common.js";

const STEPS = ["received", "accepted", "review", "decided", "pickup"];
// How far along a state is (an index into STEPS); -1: it stopped before a decision.
const STAGE = {
  received: 0, correction: 0, refused: -1, accepted: 1, in_review: 2, suspended: 2,
  approved: 3, approved_with_waiver: 3, rejected: 3, result_ready: 3, picked_up: 4, mailed: 4,
  withdrawn: -1,
};
const TONE = {
  received: "live", accepted: "live", in_review: "live", approved: "live",
  approved_with_waiver: "live", rejected: "live", correction: "wait", suspended: "wait",
  result_ready: "wait", picked_up: "done", mailed: "done", archived: "done", refused: "bad",
  withdrawn: "bad",
};
const MARK = { live: "●", wait: "!", done: "✓", bad: "✕" };
const guides = new Map(); // hall/matter -> the matter's guide (or null), read once per page

// The matter's guide: {names: department id -> name, place: where results are collected}.
export async function matterInfo(c) {
  const key = `${c.hall}/${c.matter}`;
  if (!guides.has(key)) guides.set(key, getMatter(c.hall, c.matter).catch(() => null));
  const m = await guides.get(key);
  const names = new Map((m?.departments || []).map((d) => [d.id, d.name]));
  return { names, place: m ? m.pickup_at || m.pickup_service_name || "" : "" };
}

const dept = (info, id) => info.names.get(id) || t("case.dept");
const join = (items) => items.join(lang === "zh" ? "、" : ", ");
const locale = () => (lang === "zh" ? "zh-CN" : "en-GB");
// What the server names in Chinese only (matters, materials, departments, notes).
const zh = () => (lang === "zh" ? null : "zh-CN");
const label = (key) => `${t(key)}${lang === "zh" ? "：" : ": "}`;

export function stateLabel(c) {
  const tone = c.state === "archived" && !c.outcome ? "bad" : TONE[c.state] || "live";
  const text = lang === "zh" ? c.state_zh : t(`case.state.${c.state}`);
  return { tone, text: `${MARK[tone]} ${text}` };
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(locale(), { year: "numeric", month: "numeric",
    day: "numeric", hour: "2-digit", minute: "2-digit" }) : "";
}

function day(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(locale(),
    { timeZone: "UTC", year: "numeric", month: "long", day: "numeric", weekday: "short" });
}

// The sentence that says where the case is now.
export function nowText(c, info) {
  const waiting = (c.tasks || []).filter((x) => x.state === "supplement" || x.state === "suspended");
  if (c.state === "in_review" || (c.state === "suspended" && !waiting.length)) {
    const done = (c.tasks || []).filter((x) => x.state === "approved").length;
    return t("case.now.in_review", { n: (c.tasks || []).length, k: done });
  }
  if (c.state === "suspended") {
    const asks = waiting.some((x) => x.state === "supplement");
    return t(asks ? "case.now.supplement" : "case.now.suspended",
      { dept: join(waiting.map((x) => dept(info, x.department))) });
  }
  if (c.state === "result_ready") return t("case.now.result_ready", { place: info.place || t("case.place_default") });
  if (["approved", "approved_with_waiver", "rejected"].includes(c.state)) return t("case.now.deciding");
  return t(`case.now.${c.state}`);
}

function steps(c) {
  const at = c.state === "archived" ? (c.outcome ? 4 : -1) : STAGE[c.state] ?? -1;
  if (at < 0) return null;
  const items = STEPS.map((s, i) => {
    const done = i < at || (i === at && at === 4);
    const li = el("li", { class: done ? "is-done" : "" }, t(`case.step.${s}`),
      el("span", { class: "sr-only", text: done ? t("case.step_done") : i === at ? t("case.step_now") : "" }));
    if (i === at && !done) li.setAttribute("aria-current", "step");
    return li;
  });
  return el("ol", { class: "case-steps", "aria-label": t("case.steps") }, ...items);
}

function row(label, ...value) {
  return el("div", {}, el("dt", { text: label }), el("dd", {}, ...value));
}

// The deadline in words: the due day, and the days left or over, with a sign.
function deadlineRows(c) {
  const rows = [row(t("case.promised"), t("case.promised_n", { n: c.promised_days }))];
  if (!c.due_day) return [...rows, row(t("case.due"), t("case.not_started"))];
  rows.push(row(t("case.due"), day(c.due_day)));
  let left;
  let chip;
  if (c.days_left === null || c.days_left === undefined) {
    chip = t(c.colour === "red" ? "case.decided_red" : "case.decided_green");
  } else {
    left = c.days_left > 0 ? t("case.left_n", { n: c.days_left })
      : c.days_left === 0 ? t("case.left_today") : t("case.left_over", { n: -c.days_left });
    chip = t(`case.colour.${c.colour}`);
  }
  const value = [el("span", { class: "chip", "data-colour": c.colour, text: chip })];
  if (left) value.unshift(el("span", { class: "case-left", text: left }), " ");
  rows.push(row(t(left ? "case.left" : "case.timing"), ...value));
  return rows;
}

function timelineList(c, info) {
  const depts = join((c.tasks || []).map((x) => dept(info, x.department)));
  const items = (c.timeline || []).map((e) => {
    const label = t(`case.log.${e.action}`, { dept: dept(info, e.department), depts });
    const text = label.startsWith("case.log.") ? t(`case.state.${e.to_state}`) : label;
    // The in_review note lists the departments: the label names them already.
    const note = e.note && e.action !== "in_review"
      ? el("p", { class: "case-log-note", lang: "zh-CN", text: e.note }) : null;
    return el("li", { "data-action": e.action },
      el("time", { class: "case-log-at", dateTime: e.at, text: when(e.at) }),
      el("span", { class: "case-log-what", text }), note);
  });
  return el("ol", { class: "case-log" }, ...items);
}

// One case as a card. heading: "h2" or "h3"; history: "open" (a section) or "details"
// (folded); pickup(c, button, error): offered while the result waits, else null.
export function caseCard(c, info, { heading = "h2", history = "open", pickup = null } = {}) {
  const id = `case-${c.id}`;
  const sub = `h${Number(heading.slice(1)) + 1}`; // the card's own parts, under its title
  const state = stateLabel(c);
  const body = [
    el("div", { class: "case-head" },
      el(heading, { class: "case-matter", id: `${id}-title`, tabIndex: -1, lang: zh(), text: c.matter_name }),
      el("span", { class: "case-state", "data-tone": state.tone, text: state.text })),
    el("p", { class: "case-number", text: t("case.number_is", { number: c.number }) }),
    el("p", { class: "case-now" }, el("strong", { text: label("case.now") }), nowText(c, info)),
    steps(c),
  ];
  if (c.outcome) {
    body.push(el("p", { class: "case-outcome", "data-outcome": c.outcome },
      el("strong", { text: label("case.outcome") }), t(`case.outcome.${c.outcome}`)));
  }
  if (c.missing && c.missing.length) {
    body.push(el(sub, { class: "case-sub", text: t("case.missing", { n: c.missing.length }) }),
      el("ul", { class: "case-missing", lang: zh() }, ...c.missing.map((m) => el("li", { "data-key": m.key, text: m.name }))));
  }
  if (c.reasons) {
    body.push(el("div", { class: "case-reasons" }, el(sub, { class: "case-sub", text: t("case.reasons") }),
      el("p", { lang: "zh-CN", text: c.reasons })));
  }
  body.push(el("dl", { class: "case-facts" },
    row(t("case.applicant"), el("span", { class: "case-who", text: c.applicant }),
      el("span", { class: "case-id", text: c.id_masked })),
    row(t("case.created"), when(c.created_at)),
    c.accepted_at ? row(t("case.accepted_at"), when(c.accepted_at)) : null,
    ...deadlineRows(c)));
  if (pickup && c.state === "result_ready") {
    const hint = el("p", { class: "help", id: `${id}-pickup-hint`, text: t("case.pickup_hint") });
    const error = el("p", { class: "error", role: "alert" });
    const button = el("button", { type: "button", class: "primary big case-pickup", text: t("case.pickup"),
      "aria-label": t("case.pickup_label", { number: c.number }), "aria-describedby": hint.id });
    button.addEventListener("click", () => pickup(c, button, error));
    body.push(el("div", { class: "case-pickup-box" }, button, hint, error));
  }
  const log = timelineList(c, info);
  const title = t("case.timeline", { n: (c.timeline || []).length });
  body.push(history === "details"
    ? el("details", { class: "case-history" }, el("summary", { text: t("mycase.timeline") }), log)
    : el("section", { class: "case-history", "aria-labelledby": `${id}-log` },
      el(sub, { class: "case-sub", id: `${id}-log`, text: title }), log));
  return el("article", { class: "case card", "data-case": c.id, "data-state": c.state,
    "aria-labelledby": `${id}-title` }, ...body);
}

// 取号领取: a ticket for the unified pickup window (channel phone), kept on the phone as
// any phone ticket is, then on to its follow page. suffix: the ID number's last 4.
export async function takePickup(c, suffix, button, error) {
  button.disabled = true;
  button.textContent = t("case.pickup_busy");
  error.textContent = "";
  try {
    const r = await api("POST", `/api/halls/${encodeURIComponent(c.hall)}/pickup-tickets`,
      { body: { number: c.number, id_suffix: suffix, channel: "phone" } });
    const k = r.ticket;
    tickets.save(k.id, { token: k.token, number: k.number, hall_id: k.hall_id, hall_name: k.hall_name,
      service_name: k.service_name, business_day: k.business_day });
    location.assign(`/m/ticket/${encodeURIComponent(k.id)}?token=${encodeURIComponent(k.token)}`);
  } catch (err) {
    error.textContent = err.code === "duplicate_ticket" ? t("case.err.duplicate_ticket") : describe(err);
    button.disabled = false;
    button.textContent = t("case.pickup");
  }
}
