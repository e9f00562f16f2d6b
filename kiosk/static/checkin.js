// Check-in (预约签到): a booking made online becomes a ticket at the kiosk. The
// citizen scans the booking's QR code (the scanner types the 8-character code
// and Enter: no touch at all, so it is taken on the start screen too), types the
// code on the code keypad, or gives the ID number the booking was made with
// (keypad or ID-card reader). POST /api/halls/{hall}/check-in; the kiosk then
// prints the slip as for any ticket (kiosk.js).
//
// What the keyboard typed (`raw`) is kept apart from what the field shows, so
// that a scanner's whole burst decides: a booking code goes in as a code and an
// 18-character ID number as an ID number, whichever field is showing.
import { CODE_ALPHABET, CODE_LENGTH } from "./entry.js";
import { STRINGS } from "./strings.js";
import { checkIn } from "./ticket.js";

const $ = (id) => document.getElementById(id);
const CODE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);
const ID_LIKE = /^[0-9]{17}[0-9X]$/;
const FIELD = { code: "ci-code", id: "ci-id" };
const RAW_MAX = 64;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// Refusals the citizen can put right here, and the field to do it in.
const FIXES = { unknown_booking_code: "code", no_booking_today: "id", invalid_request: null };

// A catalog string in a given language: a refusal is said in Chinese whatever the screen's language.
const fill = (lang, key, vars = {}) => (STRINGS[lang][key] ?? STRINGS.zh[key])
  .replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? `{${k}}`));
const pad2 = (n) => String(n).padStart(2, "0");

// When check-in opens, on the hall's clock: {time: "09:30", date: null} on the hall's
// today, else with its date ("5月7日", "7 May"; the year too when not this year).
export function opensAt(iso, { tz, today, lang }) {
  const at = new Date(iso || "");
  if (Number.isNaN(at.getTime())) return null;
  let p = null;
  try {
    if (tz) {
      const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric",
        month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(at);
      const v = Object.fromEntries(parts.map((x) => [x.type, x.value]));
      p = { y: +v.year, m: +v.month, d: +v.day, time: `${pad2(v.hour)}:${pad2(v.minute)}` };
    }
  } catch {
    p = null; // an unknown zone: the server's own offset below
  }
  if (!p) {
    // The server writes the time with the hall's offset: its digits are the hall's clock.
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    if (!m) return null;
    p = { y: +m[1], m: +m[2], d: +m[3], time: `${m[4]}:${m[5]}` };
  }
  if (`${p.y}-${pad2(p.m)}-${pad2(p.d)}` === today) return { time: p.time, date: null };
  const thisYear = Boolean(today) && Number(today.slice(0, 4)) === p.y;
  const date = lang === "zh" ? `${thisYear ? "" : `${p.y}年`}${p.m}月${p.d}日`
    : `${p.d} ${MONTHS[p.m - 1]}${thisYear ? "" : ` ${p.y}`}`;
  return { time: p.time, date };
}

export class CheckInDesk {
  // hall: the LiveHall (its business day and time zone); say: a spoken prompt;
  // onDone(result) and onFail(failure) after the POST.
  constructor({ hallId, entry, t, lang, hall, say, onDone, onFail }) {
    Object.assign(this, { hallId, entry, t, lang, hall, say, onDone, onFail });
    this.mode = "code";
    this.raw = ""; // what the keyboard typed into the current field (a scanner's burst)
    this.junk = false; // ... and whether it held a character no booking code has
    this.sending = false;
    this.round = 0; // bumped by clear(): an answer that comes after a reset is dropped
    // Emptied by any means (keypad, Backspace): the next burst starts afresh.
    entry.onChange = (step, value) => {
      if (step === this.field() && value === "") this.#fresh();
    };
    for (const mode of Object.keys(FIELD)) {
      $(`ci-mode-${mode}`).addEventListener("click", () => this.switchTo(mode));
    }
    $("ci-go").addEventListener("click", () => this.submit());
  }

  field() {
    return FIELD[this.mode];
  }

  // Where the focus goes on the check-in step, and what is said there.
  input() {
    return `${this.field()}-input`;
  }

  sayKey() {
    return `ci.say_${this.mode}`;
  }

  use(mode) {
    this.mode = mode;
    this.#fresh();
  }

  forget() {
    this.#fresh();
  }

  // The check-in step as the mode says: one field and its keypad.
  render() {
    for (const mode of Object.keys(FIELD)) {
      const on = mode === this.mode;
      $(`ci-mode-${mode}`).setAttribute("aria-pressed", String(on));
      $(`ci-${mode}-box`).hidden = !on;
      $(`ci-${mode}-keypad`).hidden = !on;
    }
    $("ci-hint").textContent = this.t(`ci.hint_${this.mode}`);
    this.entry.render(this.field());
  }

  // A touch on 预约码 / 身份证号: that field, with the focus and its prompt.
  switchTo(mode) {
    if (mode === this.mode) return;
    this.use(mode);
    this.render();
    $(this.input()).focus({ preventScroll: true });
    this.say(this.t(this.sayKey()));
  }

  // The keyboard on the check-in step.
  route() {
    return { onKey: (k) => this.#key(k), onEnter: () => this.#enter() };
  }

  // The keyboard on the start and result screens: only a scanned booking code counts.
  // onCode(code) is called with it at its Enter; anything else typed is dropped.
  scanRoute(onCode) {
    return {
      onKey: (k) => this.#remember(k),
      onEnter: () => {
        const raw = this.raw;
        this.#fresh();
        if (CODE.test(raw)) onCode(raw);
      },
    };
  }

  // Check in with what the current field holds (or `value`, put in the `mode` field first).
  submit(mode = this.mode, value = null) {
    if (this.sending) return;
    if (mode !== this.mode) {
      this.use(mode);
      this.render();
    }
    const step = this.field();
    if (value !== null) this.entry.set(step, value);
    this.#fresh();
    let body;
    if (mode === "code") {
      const code = this.entry.value(step);
      if (code.length !== CODE_LENGTH) {
        this.entry.error(step, code ? this.t("ci.err.code_length", { n: code.length })
          : this.t("ci.err.code_empty"));
        return;
      }
      body = { code };
    } else {
      const r = this.entry.id(this.#today(), step);
      if (!r) return;
      body = { id_number: r.number };
    }
    this.#send(body);
  }

  // A new citizen: nothing typed, the code field first, an answer still on its way dropped.
  clear() {
    this.round++;
    this.use("code");
    this.render();
    this.note(null);
  }

  // The result screen's title and note for a check-in's answer ({late, message, message_zh};
  // null: an ordinary ticket, no note): the note says what kind of ticket it is, large
  // after the slot (a walk-in ticket). What is said then: {key, vars}.
  note(checkedIn) {
    const late = Boolean(checkedIn && checkedIn.late);
    const key = !checkedIn ? "done" : late ? "ci.late" : "ci.done";
    $("done-title-text").textContent = this.t(checkedIn ? "ci.title" : "done.title");
    $("done-note").hidden = !checkedIn;
    $("done-note").dataset.late = String(late);
    $("done-note-text").textContent = checkedIn ? checkedIn.message_zh : "";
    $("done-note-alt").textContent = checkedIn && this.lang !== "zh" ? checkedIn.message : "";
    $("done-note-alt").hidden = !$("done-note-alt").textContent;
    const message = checkedIn ? (this.lang === "zh" ? checkedIn.message_zh : checkedIn.message) : "";
    return { key: `${key}.say`, vars: { message } };
  }

  #fresh() {
    this.raw = "";
    this.junk = false;
  }

  #remember(k) {
    this.raw = k === "delete" ? this.raw.slice(0, -1) : (this.raw + k).slice(-RAW_MAX);
  }

  #key(k) {
    this.#remember(k);
    if (k !== "delete" && this.mode === "code" && !CODE_ALPHABET.includes(k)) this.junk = true;
    this.entry.type(this.field(), k);
  }

  #enter() {
    const raw = this.raw;
    // A scanned code, even in the ID field (a letter in it: an ID number is digits);
    // an ID-card reader's number, even in the code field.
    if (CODE.test(raw) && (this.mode === "code" || /[A-Z]/.test(raw))) this.submit("code", raw);
    else if (ID_LIKE.test(raw)) this.submit("id", raw);
    else if (this.mode === "code" && this.junk) {
      // Another QR (a web address, an old ticket's): said so here, not sent to the server.
      this.entry.empty(this.field());
      this.#fresh();
      this.entry.error(this.field(), this.t("ci.err.not_code"));
    } else this.submit();
  }

  #today() {
    return (this.hall.hall && this.hall.hall.business_day) || new Date().toISOString().slice(0, 10);
  }

  async #send(body) {
    this.sending = true;
    $("ci-go").disabled = true;
    $("ci-sending").hidden = false;
    const round = this.round;
    try {
      const r = await checkIn(this.hallId, body);
      if (round === this.round) this.onDone(r);
    } catch (err) {
      if (round === this.round) {
        const fix = FIXES[err.code] !== undefined ? FIXES[err.code]
          : String(err.code).startsWith("id_number_") ? "id" : null;
        // Tried: typed again from the start if tried again.
        this.entry.empty(this.field());
        this.onFail(this.failure(err, fix));
      }
    } finally {
      this.sending = false;
      $("ci-go").disabled = false;
      $("ci-sending").hidden = true;
    }
  }

  // What the fail screen shows: the Chinese large, the English under it on an English
  // screen; a check-in too early says from when, on the hall's clock.
  failure(err, fix) {
    const both = (key, vars) => ({ main: fill("zh", key, vars("zh")),
      alt: this.lang === "zh" ? "" : fill(this.lang, key, vars(this.lang)) });
    let text;
    const h = this.hall.hall || {};
    const opens = err.code === "check_in_too_early"
      && opensAt(err.details && err.details.opens_at, { tz: h.tz, today: this.#today(), lang: "zh" });
    if (opens) {
      const at = (lang) => opensAt(err.details.opens_at, { tz: h.tz, today: this.#today(), lang });
      text = both(opens.date ? "ci.err.too_early_day" : "ci.err.too_early", at);
    } else if (err.code === "network" || !err.message_zh) {
      text = both(err.code === "network" ? "ci.err.network" : "ci.err.unknown", () => ({}));
    } else {
      text = { main: err.message_zh, alt: this.lang === "zh" ? "" : err.message_en };
    }
    return { ...text, mainLang: "zh-CN", title: "ci.fail_title",
      fix: fix ? ["checkin", `ci.fix_${fix}`] : null };
  }
}
