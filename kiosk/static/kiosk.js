// The kiosk (取号机) at /kiosk/{hall}: choose a service, give an ID number (keypad
// or an ID-card reader that types it), optionally a mobile number for SMS,
// confirm, and take a printed ticket. Green channel (绿色通道): offered when the
// ID shows 70 or over; for the other groups a hall guide enters a PIN.
// Citizens who booked online check in (预约签到, checkin.js): by the booking's QR
// code on the scanner (from the start screen too), its code, or their ID number.
// Citizens whose case is decided take a pickup ticket (领取结果, pickup.js).
// After 30 s without a touch or a key it goes back to the start and forgets
// everything it was shown. Runs for months unattended: reconnects, re-reads.
//
// Settings, by query string (all optional):
//   ?lang=en         English (remembered); Chinese by default
//   ?contrast=high   high contrast (also a toggle on screen, remembered)
//   ?voice=1         spoken prompts on (also a toggle on screen, remembered)
//   ?idle=30         seconds without a touch or key before the start screen again
//   ?done=10         seconds the issued number stays on screen
//   ?retry_max=15    the longest wait between reconnection attempts, in seconds
import { makeI18n } from "/static/common/i18n.js";
import { CheckInDesk } from "./checkin.js";
import { ComplaintDesk } from "./complaint.js";
import { Entry } from "./entry.js";
import { MatterGuide } from "./guide.js";
import { PickupDesk } from "./pickup.js";
import { LiveHall } from "./hall.js";
import { maskId, maskPhone } from "/static/common/idcheck.js";
import { routeKeys } from "./keypad.js";
import { Prefs, spellNumber } from "./prefs.js";
import { clockText, offlineBadge } from "./status.js";
import { STRINGS } from "./strings.js";
import { failure, issue, Printer, slipUrl } from "./ticket.js";
import { renderTiles, serviceName } from "./tiles.js";

const { t, lang, apply } = makeI18n(STRINGS, "ow.kiosk.lang");
const params = new URLSearchParams(location.search);
const num = (name, fallback) => (params.has(name) && Number.isFinite(Number(params.get(name)))
  ? Number(params.get(name)) : fallback);
const cfg = { idleMs: num("idle", 30) * 1000, doneMs: num("done", 10) * 1000 };
const HALL = document.body.dataset.hall;
const $ = (id) => document.getElementById(id);

const STEPS = ["start", "id", "green", "phone", "confirm", "guide", "checkin", "done", "fail", "matters", "matter", "pickup", "complaint"];
// Where the focus goes on each step (the field, for a reader's keystrokes), and what is said.
// The check-in and pickup steps' depend on their field (checkin.js, pickup.js).
const FOCUS = { start: "start-title", id: "id-input", green: "green-take", phone: "phone-input",
  confirm: "confirm-go", guide: "pin-input", done: "done-home", fail: "fail-title", matters: "mq-input",
  matter: "matter-title" };
const SAY = { start: "kiosk.choose_say", id: "id.say", green: "green.say", phone: "phone.say",
  confirm: "confirm.say", guide: "green.guide_say", matters: "guide.say" };
const fresh = () => ({ step: "start", service: null, id: null, phone: null, kind: "walk_in",
  reason: null, pin: null, sending: false, doneAt: 0, fix: null });
let S = fresh();
let lastActivity = Date.now();

const prefs = new Prefs({ t, lang, params });
const entry = new Entry({ t, onError: (text) => prefs.say(text) });
const printer = new Printer();
const hall = new LiveHall({
  hallId: HALL,
  retryMaxMs: num("retry_max", 15) * 1000,
  onChange: () => renderHall(),
  onStatus: offlineBadge($("offline"), t),
});
const desk = new CheckInDesk({
  hallId: HALL, entry, t, lang, hall, say: (text) => prefs.say(text),
  onDone: (r) => { done(r.ticket, r); printer.print(slipUrl(HALL, r.ticket)); },
  onFail: (f) => fail(f),
});
const guide = new MatterGuide({ hallId: HALL, t, lang, hall, say: (x) => prefs.say(x), go, reset, take: choose });
const name = (s) => serviceName(s, lang);
const today = () => (hall.hall && hall.hall.business_day) || new Date().toISOString().slice(0, 10);
const pickup = new PickupDesk({ hallId: HALL, prefix: document.body.dataset.casePrefix, entry, t, lang, today,
  say: (x) => prefs.say(x), reset, onFail: (f) => fail(f),
  onDone: (r) => { done(r.ticket); printer.print(slipUrl(HALL, r.ticket)); pickup.show(r); } });
const complaint = new ComplaintDesk({ hallId: HALL, t, lang, hall, say: (x) => prefs.say(x), reset,
  onFail: (f) => fail(f) }); // 投诉建议 (complaint.js)

// --- steps ------------------------------------------------------------------------------

function go(step) {
  S.step = step;
  document.body.dataset.step = step;
  for (const s of STEPS) $(`step-${s}`).hidden = s !== step;
  $("home").hidden = step === "start";
  $("idle-warn").hidden = true;
  const svc = hall.service(S.service);
  for (const c of document.querySelectorAll(`#step-${step} [data-crumb]`)) {
    c.textContent = svc ? t("step.service", { name: name(svc) }) : "";
  }
  // The ID may be left out unless the service says it needs one (id_required).
  if (step === "id") $("id-skip").hidden = Boolean(svc && svc.id_required);
  if (entry.has(step)) entry.render(step);
  if (step === "confirm") renderConfirm();
  desk.forget(); // what was typed on the step before is no part of a scan on this one
  const sub = { checkin: desk, pickup, complaint }[step]; // its field and prompt depend on its mode
  if (sub) sub.render();
  $(sub ? sub.input() : FOCUS[step]).focus({ preventScroll: true });
  const booking = step === "start" && !$("ci-open").hidden; // and check-in is offered
  const say = sub ? sub.sayKey() : booking ? "ci.choose_say" : SAY[step];
  if (say) prefs.say(t(say));
}

// The check-in step, in a field ("code" or "id"); with a scanned code, sent at once.
function openCheckIn(mode, code = null) {
  if (S.step !== "start") reset();
  desk.use(mode);
  go("checkin");
  if (code) desk.submit("code", code);
}

// Back to the start, forgetting everything shown: fields, errors, the result.
function reset() {
  S = fresh();
  entry.clear();
  desk.clear();
  guide.clear();
  pickup.clear();
  complaint.clear();
  for (const id of ["done-number", "done-service", "done-ahead", "done-eta", "fail-text",
    "fail-alt", "sum-service", "sum-id", "sum-phone", "sum-kind"]) $(id).textContent = "";
  $("sending").hidden = true;
  $("confirm-go").disabled = false;
  prefs.hush();
  go("start");
}

function renderHall() {
  const h = hall.hall;
  if (!h) return;
  if ($("hall-name").textContent !== h.name) $("hall-name").textContent = h.name;
  document.title = `${h.name} · ${t("kiosk.title")}`;
  const services = hall.services();
  $("closed").hidden = h.open_now !== false;
  $("no-services").hidden = services.length > 0;
  // Check-in is offered where a service takes bookings (any channel: booked online).
  $("ci-open").hidden = !(h.services || []).some((s) => s.bookable);
  renderTiles($("tiles"), services, { closed: h.open_now === false, t, lang, onChoose: choose });
}

function choose(code) {
  if (hall.hall && hall.hall.open_now === false) {
    fail({ main: t("kiosk.closed"), mainLang: lang === "zh" ? "zh-CN" : lang, alt: "", fix: null });
    return;
  }
  S.service = code;
  go("id");
}

function submitId() {
  const r = entry.id(today());
  if (!r) return;
  Object.assign(S, { id: r.number, kind: "walk_in", reason: null });
  go(r.elderly ? "green" : "phone");
}

function submitPhone() {
  const r = entry.phone();
  if (!r) return;
  S.phone = r.number;
  go("confirm");
}

function submitGuide() {
  const r = entry.guide();
  if (!r) return;
  Object.assign(S, { kind: "green", reason: r.reason, pin: r.pin });
  go("confirm");
}

function renderConfirm() {
  const svc = hall.service(S.service);
  $("sum-service").textContent = svc ? name(svc) : S.service;
  $("sum-id").textContent = S.id ? maskId(S.id) : t("confirm.none");
  $("sum-phone").textContent = S.phone ? maskPhone(S.phone) : t("confirm.none");
  $("sum-kind").textContent = S.kind === "green"
    ? t("confirm.green", { reason: t(`reason.${S.reason}`) }) : t("confirm.walk_in");
  $("confirm-guide").hidden = !(hall.hall && hall.hall.green_pin) || S.kind === "green";
}

// --- taking the ticket -----------------------------------------------------------------------

async function take() {
  if (S.sending) return;
  S.sending = true;
  $("confirm-go").disabled = true;
  $("sending").hidden = false;
  const body = { service: S.service, channel: "kiosk", kind: S.kind, lang };
  if (S.id) body.id_number = S.id;
  if (S.phone) body.phone = S.phone;
  if (S.kind === "green") body.green_reason = S.reason;
  if (S.pin) body.staff_pin = S.pin;
  const mine = S;
  try {
    const r = await issue(HALL, body);
    if (S !== mine) return; // reset meanwhile: the slip is not for whoever stands here now
    printer.print(slipUrl(HALL, r));
    done(r);
  } catch (err) {
    if (S === mine) fail(failure(err, t, lang));
  } finally {
    mine.sending = false;
    $("confirm-go").disabled = false;
    $("sending").hidden = true;
  }
}

// r: the ticket; checkedIn: the check-in's answer ({late, message, message_zh}), if one.
function done(r, checkedIn = null) {
  const svc = hall.service(r.service);
  $("done-number").textContent = r.number;
  $("done-service").textContent = r.service_name || (svc ? name(svc) : r.service);
  $("done-ahead").textContent = t("done.ahead", { n: r.people_ahead });
  $("done-eta").textContent = r.eta_minutes > 0 ? t("done.eta", { n: r.eta_minutes }) : "";
  // The PIN is spent: never kept past the ticket it gave.
  Object.assign(S, { pin: null, doneAt: Date.now() });
  entry.clearPin();
  renderDoneButton();
  const said = desk.note(checkedIn); // a check-in's own title and sentence, or the ticket's
  go("done");
  const number = lang === "zh" ? spellNumber(r.number) : r.number.split("").join(" ");
  prefs.say(t(said.key, { ...said.vars, number, n: r.people_ahead }), { chinese: lang === "zh" });
}

function renderDoneButton() {
  const left = Math.max(0, Math.ceil((S.doneAt + cfg.doneMs - Date.now()) / 1000));
  $("done-home").textContent = t("done.back", { n: left });
}

function fail(f) {
  $("fail-title-text").textContent = t(f.title || "fail.title");
  $("fail-text").textContent = f.main;
  $("fail-text").lang = f.mainLang;
  $("fail-alt").textContent = f.alt;
  $("fail-alt").hidden = !f.alt;
  S.fix = f.fix ? f.fix[0] : null;
  $("fail-fix").hidden = !f.fix;
  if (f.fix) $("fail-fix").textContent = t(f.fix[1]);
  go("fail");
  prefs.say(f.main, { chinese: f.mainLang === "zh-CN" });
}

// --- idle and clock: compared with Date.now(), so a clock that jumps (a test's) still works ---

function tick() {
  const now = Date.now();
  if (S.step === "done") {
    renderDoneButton();
    if (now - S.doneAt >= cfg.doneMs) reset();
  } else if (S.step !== "start" && !S.sending && !desk.sending && !pickup.sending && !complaint.sending) {
    const left = cfg.idleMs - (now - lastActivity);
    if (left <= 0) reset();
    else if (left <= 10000) {
      $("idle-warn").hidden = false;
      $("idle-warn").textContent = t("idle.warn", { n: Math.ceil(left / 1000) });
    }
  }
  const text = clockText(now, hall.hall && hall.hall.tz, lang);
  if ($("clock").textContent !== text) $("clock").textContent = text;
}

// --- start ------------------------------------------------------------------------------------

function wire() {
  const click = (id, fn) => $(id).addEventListener("click", fn);
  click("home", reset);
  click("id-back", reset);
  click("id-skip", () => { Object.assign(S, { id: null, kind: "walk_in", reason: null }); go("phone"); });
  click("id-next", submitId);
  click("green-take", () => { Object.assign(S, { kind: "green", reason: "elderly", pin: null }); go("phone"); });
  click("green-normal", () => go("phone"));
  click("phone-back", () => go(S.kind === "green" && S.reason === "elderly" ? "green" : "id"));
  click("phone-skip", () => { S.phone = null; go("confirm"); });
  click("phone-next", submitPhone);
  click("confirm-go", take);
  click("confirm-back", () => go("phone"));
  click("confirm-guide", () => go("guide"));
  click("guide-back", () => go("confirm"));
  click("guide-ok", submitGuide);
  click("done-home", reset);
  click("fail-home", reset);
  click("fail-fix", () => go(S.fix || "start"));
  click("ci-open", () => openCheckIn("code"));
  click("ci-back", reset);
  const submit = { id: submitId, phone: submitPhone, guide: submitGuide };
  // A booking QR scanned while the start screen or a result is shown: checked in at once.
  const scan = desk.scanRoute((code) => openCheckIn("code", code));
  routeKeys({
    activity: () => { lastActivity = Date.now(); $("idle-warn").hidden = true; },
    route: () => {
      if (entry.has(S.step)) return { onKey: (k) => entry.type(S.step, k), onEnter: submit[S.step] };
      if (desk.sending) return null; // one check-in at a time: a second scan waits for the answer
      if (S.step === "checkin") return desk.route();
      if (S.step === "matters") return guide.route();
      if (S.step === "pickup") return pickup.sending ? null : pickup.route();
      if (S.step === "complaint") return complaint.route();
      return ["start", "done", "fail"].includes(S.step) ? scan : null;
    },
  });
}

apply();
document.body.classList.add(`lang-${lang}`);
$("ci-open-alt").lang = lang === "zh" ? "en" : "zh-CN";
prefs.bind($("pref-contrast"), $("pref-voice"));
wire();
go("start");
hall.start();
guide.start();
pickup.start(() => go("pickup"));
complaint.start(() => { if (S.step !== "start") reset(); go("complaint"); });
tick();
setInterval(tick, 1000);

// For tests and for people debugging a kiosk from the browser console.
window.__kiosk = { state: () => S, hall, printer, reset, cfg };
