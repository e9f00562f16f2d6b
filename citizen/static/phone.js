// The phone page at /m/{hall}: the hall open or closed, the services a phone may take a
// ticket for with their waiting counts and estimated waits (kept fresh over /ws), and
// taking a ticket remotely; then on to the ticket's own page to follow it.
import { api, describe, el, i18n, lang, session, t, tickets, wireLangSwitch } from "./common.js";
import { idProblem, normalPhone } from "./idcheck.js";
import { connectLive } from "./live.js";

const HALL = document.body.dataset.hall;
const $ = (id) => document.getElementById(id);
const S = { hall: null, chosen: null, busy: false, refresh: null };
// From a matter's guide (/m/{hall}?take=CODE): that service's form, once the hall is read.
let take = new URLSearchParams(location.search).get("take");

function svcName(s) {
  return lang !== "zh" && s.name_en ? s.name_en : s.name;
}

function phoneServices() {
  // Without a channel list every channel is allowed (the service's default).
  return (S.hall?.services || []).filter((s) => !s.channels || s.channels.includes("phone"));
}

function facts(s) {
  const eta = s.eta_minutes ?? 0;
  const wait = s.waiting > 0 && eta > 0 ? t("svc.eta", { n: eta }) : t("svc.eta_none");
  return `${t("svc.waiting", { n: s.waiting })} · ${wait}`;
}

function renderHall() {
  const h = S.hall;
  $("hall-name").textContent = h.name;
  document.title = `${h.name} · ${t("app.name")}`;
  const state = $("hall-state");
  state.textContent = h.open_now ? t("hall.open") : t("hall.closed");
  const opens = h.next_open_at ? new Date(h.next_open_at) : null;
  $("hall-note").textContent = opens
    ? t("hall.opens_at", { when: opens.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: h.tz, month: "numeric", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
    }) })
    : t("hall.closed_note");
  $("hall-note").hidden = Boolean(h.open_now);
  state.dataset.open = h.open_now ? "1" : "0";
  const list = $("services");
  const phone = new Set(phoneServices().map((s) => s.code));
  // Booking is open around the clock, closed hall or not: bookable services are listed
  // even where the phone may not take their tickets.
  const shown = (h.services || []).filter((s) => phone.has(s.code) || s.bookable);
  const items = shown.map((s) => {
    const name = el("span", { class: "svc-name", text: svcName(s) });
    const actions = el("div", { class: "svc-actions" });
    if (s.bookable) {
      actions.append(el("a", {
        class: "button secondary book-link", text: t("svc.book"),
        href: `/m/${encodeURIComponent(HALL)}/book/${encodeURIComponent(s.code)}`,
        "aria-label": t("svc.book_label", { name: svcName(s) }),
      }));
    }
    if (phone.has(s.code)) {
      const button = el("button", {
        type: "button", class: "primary", text: t("svc.take"),
        disabled: !h.open_now, "aria-label": t("svc.take_label", { name: svcName(s) }),
      });
      button.addEventListener("click", () => choose(s.code));
      actions.append(button);
    }
    return el("li", { class: "svc", "data-service": s.code },
      el("div", { class: "svc-text" }, name,
        el("span", { class: "svc-facts", text: facts(s) })),
      actions);
  });
  list.replaceChildren(...items);
  $("no-services").hidden = items.length > 0;
  $("loading").hidden = true;
  if (S.chosen) renderFormFacts();
  document.body.classList.remove("loading");
}

async function loadHall() {
  try {
    S.hall = await api("GET", `/api/halls/${encodeURIComponent(HALL)}`);
    renderHall();
    const code = take;
    take = null;
    if (code && S.hall.open_now && phoneServices().some((s) => s.code === code)) choose(code);
  } catch (err) {
    if (!S.hall) {
      $("loading").textContent = describe(err);
      document.body.classList.remove("loading");
    }
  }
}

// The queue moves with every ticket and call: re-read the hall, at most once a second.
function refreshSoon() {
  if (S.refresh) return;
  S.refresh = setTimeout(() => {
    S.refresh = null;
    loadHall();
  }, 1000);
}

function chosenService() {
  return phoneServices().find((s) => s.code === S.chosen) || null;
}

function renderFormFacts() {
  const s = chosenService();
  if (!s) return;
  $("form-title").textContent = t("form.title", { name: svcName(s) });
  $("form-waiting").textContent = t("form.waiting", { n: s.waiting, eta: s.eta_minutes ?? 0 });
}

function choose(code) {
  S.chosen = code;
  for (const id of ["id-number-error", "phone-error", "form-error"]) $(id).textContent = "";
  const who = session.load();
  $("form-who").hidden = !who;
  if (who) $("form-who").textContent = t("form.signed_in", { phone: who.phone_masked });
  renderFormFacts();
  $("services-view").hidden = true;
  $("form-view").hidden = false;
  $("form-title").focus();
}

function back() {
  const code = S.chosen;
  S.chosen = null;
  $("form-view").hidden = true;
  $("services-view").hidden = false;
  const button = document.querySelector(`.svc[data-service="${CSS.escape(code || "")}"] button`);
  if (button) button.focus();
}

function fieldError(id, message) {
  const input = $(id);
  $(`${id}-error`).textContent = message || "";
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function checkFields() {
  const idRaw = $("id-number").value.trim();
  const phoneRaw = $("phone").value.trim();
  const idErr = idRaw ? idProblem(idRaw) : null;
  const phone = phoneRaw ? normalPhone(phoneRaw) : null;
  fieldError("id-number", idErr ? t(idErr.key, idErr.vars || {}) : "");
  fieldError("phone", phoneRaw && !phone ? t("phone.format") : "");
  if (idErr) return { ok: false, focus: "id-number" };
  if (phoneRaw && !phone) return { ok: false, focus: "phone" };
  return { ok: true, id_number: idRaw ? idRaw.toUpperCase() : null, phone };
}

async function issue(body) {
  const who = session.load();
  try {
    return await api("POST", `/api/halls/${encodeURIComponent(HALL)}/tickets`,
      { body, citizen: who ? who.token : null });
  } catch (err) {
    if (!who || err.status !== 401) throw err;
    // The sign-in ran out: take the ticket anyway; "我的" will ask to sign in again.
    session.clear();
    return api("POST", `/api/halls/${encodeURIComponent(HALL)}/tickets`, { body });
  }
}

async function submit(ev) {
  ev.preventDefault();
  if (S.busy || !S.chosen) return;
  $("form-error").textContent = "";
  const checked = checkFields();
  if (!checked.ok) {
    $(checked.focus).focus();
    return;
  }
  const body = { service: S.chosen, channel: "phone", kind: "walk_in", lang };
  if (checked.id_number) body.id_number = checked.id_number;
  if (checked.phone) body.phone = checked.phone;
  S.busy = true;
  $("submit").disabled = true;
  $("submit").textContent = t("form.busy");
  try {
    const r = await issue(body);
    tickets.save(r.id, {
      token: r.token, number: r.number, hall_id: r.hall_id || HALL,
      hall_name: r.hall_name || S.hall.name, service_name: r.service_name || svcName(chosenService()),
      business_day: r.business_day,
    });
    const next = `/m/ticket/${encodeURIComponent(r.id)}?token=${encodeURIComponent(r.token)}`;
    location.assign(next);
    return;
  } catch (err) {
    const field = err.error && err.error.field;
    const where = { id_number: "id-number", phone: "phone" }[field];
    if (where) {
      fieldError(where, describe(err));
      $(where).focus();
    } else {
      $("form-error").textContent = describe(err);
    }
    if (err.code === "hall_closed") loadHall();
  } finally {
    S.busy = false;
    $("submit").disabled = false;
    $("submit").textContent = t("form.submit");
  }
}

function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  $("take").addEventListener("submit", submit);
  $("back").addEventListener("click", back);
  $("id-number").addEventListener("blur", () => { if ($("id-number").value.trim()) checkFields(); });
  loadHall();
  const socket = connectLive({
    offline: $("offline"),
    onMessage: (msg) => {
      if (msg.op === "event" || msg.op === "snapshot") refreshSoon();
    },
    onOnline: loadHall,
  });
  socket.follow(`hall:${HALL}`);
  socket.start();
}

start();
