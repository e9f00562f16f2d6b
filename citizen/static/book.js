// The booking page at /m/{hall}/book[/{service}]: service → day and slot (free places live
// over /ws) → confirm (ID number, optional name and e-mail; signed in with the phone) →
// the booking code, its QR, the slot and the check-in time. Each step is a history entry,
// so the phone's back button goes back one step.
import { api, describe, el, i18n, lang, session, t, wireLangSwitch } from "./common.js";
import { fullDayLabel, slotLabel } from "./appt_format.js";
import { clearErrors, fieldError, readForm, renderDone } from "./book_form.js";
import { connectLive } from "./live.js";
import { SlotPicker } from "./slotpicker.js";

const HALL = document.body.dataset.hall;
const STEPS = ["service", "slot", "confirm", "done"];
const $ = (id) => document.getElementById(id);
const S = { hall: null, service: document.body.dataset.service || null, slot: null, picker: null,
  busy: false, step: null, reload: null, booked: null };
window.__book = S;

const bookable = () => (S.hall?.services || []).filter((s) => s.bookable);
const svcName = (s) => (lang !== "zh" && s.name_en ? s.name_en : s.name);
const chosen = () => bookable().find((s) => s.code === S.service) || null;

function say(text) {
  $("status").textContent = text || "";
}

function go(step, push = true, focus = true) {
  S.step = step;
  document.body.dataset.step = step;
  for (const name of STEPS) $(`step-${name}`).hidden = name !== step;
  const at = STEPS.indexOf(step);
  for (const li of $("steps").children) {
    const i = STEPS.indexOf(li.dataset.step);
    li.classList.toggle("is-done", i < at);
    if (i === at) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  if (push) history.pushState({ step, service: S.service, slot: S.slot && S.slot.start }, "");
  const title = step === "confirm" && !$("signin-box").hidden ? "signin-title" : `${step}-title`;
  if (focus) $(title).focus();
}

function renderServices() {
  const items = bookable().map((s) => {
    const b = el("button", { type: "button", class: "svc-pick" },
      el("span", { class: "svc-name", text: svcName(s) }), el("span", { class: "chev", "aria-hidden": "true", text: "›" }));
    b.addEventListener("click", () => openService(s.code));
    return el("li", { class: "svc-choice", "data-service": s.code }, b);
  });
  $("book-services").replaceChildren(...items);
  $("no-bookable").hidden = items.length > 0;
}

async function openService(code, push = true, focus = true) {
  const svc = bookable().find((s) => s.code === code);
  if (!svc) {
    S.service = null;
    renderServices();
    if (code) say(t("book.not_bookable"));
    go("service", push, focus);
    return;
  }
  S.service = code;
  say("");
  $("slot-title").textContent = t("book.slot_title", { name: svcName(svc) });
  $("slot-alert").textContent = "";
  $("other-service").hidden = bookable().length < 2;
  S.picker = new SlotPicker($("picker"), { hall: HALL, service: code, tz: S.hall.tz, onPick: pick });
  try {
    await S.picker.load();
  } catch (err) {
    if (err.code === "not_bookable") {
      await loadHall().catch(() => {});
      // The slot list has the last word: this one is off the list, which says why.
      S.hall.services = S.hall.services.map((s) => (s.code === code ? { ...s, bookable: false } : s));
      return openService(code, push, focus);
    }
    $("slot-alert").textContent = describe(err);
  }
  go("slot", push, focus);
}

// The confirm step, or the way to sign in first (which brings the citizen back here).
function showConfirm(push = true) {
  const s = S.slot;
  const who = session.load();
  $("signin-box").hidden = Boolean(who);
  $("confirm").hidden = !who;
  const when = slotLabel(s.start, s.end);
  if (!who) {
    $("signin-when").textContent = `${svcName(chosen())} · ${when}`;
    const back = `/m/${encodeURIComponent(HALL)}/book/${encodeURIComponent(S.service)}?slot=${encodeURIComponent(s.start)}`;
    $("signin-link").href = `/m/me?next=${encodeURIComponent(back)}`;
  } else {
    $("c-service").textContent = svcName(chosen());
    $("c-when").textContent = when;
    $("c-phone").textContent = who.phone_masked || "";
    $("c-phone-row").hidden = !who.phone_masked;
    showFree();
  }
  go("confirm", push);
}

function showFree() {
  const now = S.picker && S.slot ? S.picker.slot(S.slot.start) : null;
  const free = now ? now.free : S.slot.free;
  const started = Date.parse(S.slot.start) <= Date.now();
  $("c-free").textContent = free > 0 ? t("book.slot_free", { n: free }) : t("book.slot_full");
  $("c-gone").textContent = started ? t("book.slot_started") : free > 0 ? "" : t("book.slot_gone");
  $("submit").disabled = S.busy || free <= 0 || started;
}

function pick(slot) {
  S.slot = slot;
  $("slot-alert").textContent = "";
  clearErrors();
  showConfirm();
}

// Back to the slot list, read afresh, saying why.
async function backToSlots(message) {
  try {
    await S.picker.load();
  } catch {
    // the list stays as it was; the message says what happened
  }
  go("slot");
  $("slot-alert").textContent = message;
}

function refused(err) {
  const field = err.error && err.error.field;
  const where = { id_number: "id-number", name: "name", email: "email" }[field];
  if (err.status === 401) {
    session.clear();
    showConfirm(false);
  } else if (where) {
    fieldError(where, describe(err));
    $(where).focus();
  } else if (err.code === "slot_full" || field === "slot") {
    backToSlots(describe(err));
  } else if (err.code === "not_bookable") {
    loadHall().then(() => openService(S.service));
  } else {
    $("form-error").textContent = describe(err);
    $("form-error-link").hidden = err.code !== "duplicate_booking";
    // Banned: the day booking opens again, on a line of its own.
    const until = err.code === "booking_banned" && err.error.until;
    $("form-error-until").hidden = !until;
    if (until) $("form-error-until").textContent = t("book.banned_until", { date: fullDayLabel(until) });
  }
}

async function submit(ev) {
  ev.preventDefault();
  if (S.busy || !S.slot) return;
  clearErrors();
  const form = readForm();
  if (form.focus) {
    $(form.focus).focus();
    return;
  }
  const who = session.load();
  if (!who) {
    showConfirm(false);
    return;
  }
  const body = { hall: HALL, service: S.service, slot: S.slot.start, id_number: form.id_number, lang };
  if (form.name) body.name = form.name;
  if (form.email) body.email = form.email;
  S.busy = true;
  $("submit").disabled = true;
  $("submit").textContent = t("book.busy");
  try {
    const r = await api("POST", "/api/appointments", { body, citizen: who.token });
    S.booked = r;
    renderDone(r, svcName(chosen()));
    history.replaceState({ step: "done", service: S.service }, "");
    go("done", false);
  } catch (err) {
    refused(err);
  } finally {
    S.busy = false;
    $("submit").textContent = t("book.submit");
    if (S.step === "confirm") showFree();
  }
}

function onMessage(msg) {
  if (msg.op === "snapshot") {
    reloadSoon(); // a gap the event log could not fill: read the counts afresh
  } else if (msg.op === "event" && msg.type === "slot.changed" && S.picker) {
    if (S.picker.applyEvent(msg.data) && S.step === "confirm" && S.slot) showFree();
  }
}

function reloadSoon() {
  if (S.reload || !S.picker) return;
  S.reload = setTimeout(async () => {
    S.reload = null;
    try {
      await S.picker.load();
      if (S.step === "confirm" && S.slot) showFree();
    } catch {
      // offline: the cue says so, and the next snapshot reads again
    }
  }, 300);
}

function restore(state) {
  const step = state && state.step;
  if (!step || step === "service" || !state.service) return openService(null, false);
  if (state.service !== S.service || !S.picker) return openService(state.service, false);
  if (step === "confirm" && S.slot && !S.booked) return showConfirm(false);
  if (step === "done" && S.booked) return go("done", false);
  return go("slot", false);
}

async function loadHall() {
  S.hall = await api("GET", `/api/halls/${encodeURIComponent(HALL)}`);
  document.title = t("book.page_title", { hall: S.hall.name });
  $("hall-line").textContent = S.hall.name;
}

async function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  $("steps").setAttribute("aria-label", t("book.steps"));
  $("confirm").addEventListener("submit", submit);
  $("back-slots").addEventListener("click", () => history.back());
  $("signin-back").addEventListener("click", () => history.back());
  // An error stays beside its field until the field is edited.
  for (const id of ["id-number", "name", "email"]) $(id).addEventListener("input", () => fieldError(id, ""));
  $("other-service").addEventListener("click", () => openService(null));
  addEventListener("popstate", (ev) => restore(ev.state));
  const params = new URLSearchParams(location.search);
  const wanted = params.get("slot");
  try {
    await loadHall();
  } catch (err) {
    $("loading").textContent = describe(err);
    document.body.classList.remove("loading");
    return;
  }
  $("loading").hidden = true;
  renderServices();
  // One bookable service and none named: nothing to choose.
  const only = bookable().length === 1 ? bookable()[0].code : null;
  await openService(S.service || only, false, false); // a page just opened starts at its top
  history.replaceState({ step: S.step, service: S.service }, "");
  // Back from signing in: straight on to confirm the slot chosen before, if still free.
  if (wanted && S.picker) {
    params.delete("slot");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + (rest ? `?${rest}` : ""));
    const slot = S.picker.slot(wanted);
    if (slot && slot.free > 0 && Date.parse(slot.start) > Date.now()) {
      S.picker.select(slot.start.slice(0, 10));
      pick(slot);
    } else {
      $("slot-alert").textContent = t("book.slot_gone");
    }
  }
  document.body.classList.remove("loading");
  const socket = connectLive({ offline: $("offline"), onMessage, onOnline: reloadSoon });
  socket.follow(`hall:${HALL}`);
  socket.start();
  // Slots that start while the list is shown leave it.
  setInterval(() => {
    if (S.picker && S.step === "slot") S.picker.render();
    if (S.step === "confirm" && S.slot && !$("confirm").hidden) showFree();
  }, 30_000);
}

start();
