// 领取结果: a ticket for the unified pickup window (统一窗口出件). The citizen types the
// 受理编号 on the keypad (the hall's first part is shown, not typed) and then the last 4
// of the applicant's ID number, or gives the whole ID number (keypad, or an ID-card
// reader that types it and Enter). POST /api/halls/{hall}/pickup-tickets; the kiosk then
// prints the slip as for any ticket, and the result screen lists what waits (kiosk.js).
// An ordinary step of the kiosk: the idle timer brings the start screen back, and
// clear() forgets what was typed and shown, and drops an answer still on its way.
import { searchMatters } from "/static/common/guide.js";
import { STRINGS } from "./strings.js";
import { failure } from "./ticket.js";

const $ = (id) => document.getElementById(id);
const FULL = /^[0-9A-Z]{1,16}-\d{8}-\d{4}$/; // a whole number, as a scanner types it
const ID_LIKE = /^[0-9]{17}[0-9X]$/;
const SUFFIX = /^[0-9]{3}[0-9X]$/;
const RAW_MAX = 64;
const RECHECK_MS = 5 * 60 * 1000;
// Refusals the citizen can put right here, and what to type again.
const FIXES = { no_result_ready: "number", id_suffix_invalid: "number", case_number_invalid: "number" };
const fill = (lang, key) => STRINGS[lang][key] ?? STRINGS.zh[key];

export class PickupDesk {
  // prefix: the first part of the hall's 受理编号; today(): the hall's business day;
  // say(text): spoken; reset(): back to the start; onDone({ticket, cases}) and
  // onFail(failure) after the POST.
  constructor({ hallId, prefix, entry, t, lang, today, say, reset, onDone, onFail }) {
    Object.assign(this, { hallId, prefix, entry, t, lang, today, say, reset, onDone, onFail });
    this.mode = "number"; // or "id"
    this.phase = "number"; // in number mode: "number", then "suffix"
    this.number = null; // the whole number, once typed
    this.raw = ""; // what the keyboard typed since the field was entered (a reader's burst)
    this.sending = false;
    this.round = 0; // bumped by clear(): an answer that comes after a reset is dropped
    for (const mode of ["number", "id"]) $(`pk-mode-${mode}`).addEventListener("click", () => this.switchTo(mode));
    $("pk-go").addEventListener("click", () => this.#enter(true));
    $("pk-back").addEventListener("click", () => this.back());
    $("pk-open-alt").lang = lang === "zh" ? "en" : "zh-CN";
  }

  // Offered on the start screen where the hall has matters (checked now and then).
  start(open) {
    $("pk-open").addEventListener("click", open);
    const check = async () => {
      try {
        $("pk-open").hidden = !(await searchMatters(this.hallId)).length;
      } catch {
        // offline: the entry stays as it was
      }
    };
    check();
    setInterval(check, RECHECK_MS);
  }

  field() {
    return this.mode === "id" ? "pk-id" : `pk-${this.phase}`;
  }

  input() {
    return `${this.field()}-input`;
  }

  sayKey() {
    return `pk.say_${this.mode === "id" ? "id" : this.phase}`;
  }

  use(mode) {
    Object.assign(this, { mode, phase: "number", number: null, raw: "" });
  }

  render() {
    for (const mode of ["number", "id"]) $(`pk-mode-${mode}`).setAttribute("aria-pressed", String(mode === this.mode));
    for (const f of ["number", "suffix", "id"]) {
      const on = this.field() === `pk-${f}`;
      $(`pk-${f}-box`).hidden = !on;
      $(`pk-${f}-keypad`).hidden = !on;
    }
    const example = this.#example();
    $("pk-hint").textContent = this.t(`pk.hint_${this.mode === "id" ? "id" : this.phase}`,
      { prefix: this.prefix, example });
    $("pk-number-shown").textContent = this.number || "";
    $("pk-go").textContent = this.t(this.field() === "pk-number" ? "step.next" : "pk.go");
    $("pk-back").textContent = this.t(this.phase === "suffix" ? "pk.change" : "step.back");
    this.entry.render(this.field());
  }

  switchTo(mode) {
    if (mode === this.mode) return;
    this.use(mode);
    this.render();
    this.#focus();
  }

  // 返回: from the suffix to the number (kept, to be corrected), else to the start.
  back() {
    if (this.phase !== "suffix") return this.reset();
    this.phase = "number";
    this.entry.empty("pk-suffix");
    this.raw = "";
    this.render();
    this.#focus();
  }

  route() {
    return {
      onKey: (k) => {
        this.raw = k === "delete" ? this.raw.slice(0, -1) : (this.raw + k).slice(-RAW_MAX);
        this.entry.type(this.field(), k);
      },
      onEnter: () => this.#enter(false),
    };
  }

  // A new citizen: nothing typed, the number first, the list of results gone.
  clear() {
    this.round++;
    this.use("number");
    for (const f of ["pk-number", "pk-suffix", "pk-id"]) this.entry.empty(f);
    this.render();
    $("done-cases").hidden = true;
    $("done-cases-list").replaceChildren();
  }

  // After the kiosk shows the ticket: the results it is for.
  show({ ticket, cases }) {
    $("done-title-text").textContent = this.t("pk.done_title");
    $("done-cases-title").textContent = this.t("pk.cases", { n: cases.length });
    $("done-cases-list").replaceChildren(...cases.map((c) => {
      const li = document.createElement("li");
      const number = Object.assign(document.createElement("span"), { className: "done-case-number", textContent: c.number });
      const matter = Object.assign(document.createElement("span"), { className: "done-case-matter", textContent: c.matter_name });
      matter.lang = "zh-CN";
      li.append(number, matter);
      return li;
    }));
    $("done-cases").hidden = false;
    this.say(this.t("pk.done_say", { number: ticket.number, k: cases.length }));
  }

  #focus() {
    $(this.input()).focus({ preventScroll: true });
    this.say(this.t(this.sayKey()));
  }

  #example() {
    const d = new Date();
    return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}-0001`;
  }

  // Enter, or 下一步 / 取号领取 (touched: what the field shows, never a reader's burst).
  #enter(touched) {
    const raw = touched ? "" : this.raw;
    this.raw = "";
    if (FULL.test(raw) && !ID_LIKE.test(raw)) { // a whole number, scanned from the receipt
      this.#toSuffix(raw);
    } else if (ID_LIKE.test(raw) && this.field() !== "pk-id") { // an ID-card reader's number
      this.use("id");
      this.entry.set("pk-id", raw);
      this.render();
      this.#submitId();
    } else if (this.field() === "pk-number") {
      const number = this.#number(this.entry.value("pk-number"));
      if (number) this.#toSuffix(number);
    } else if (this.field() === "pk-suffix") {
      const suffix = this.entry.value("pk-suffix");
      if (SUFFIX.test(suffix)) this.#send({ number: this.number, id_suffix: suffix });
      else this.entry.error("pk-suffix", this.t("pk.err.suffix"));
    } else {
      this.#submitId();
    }
  }

  // The whole number from what was typed after the hall's part (digits, dashes optional),
  // or null with the error shown.
  #number(typed) {
    let digits = typed.replaceAll("-", "");
    if (/^\d+$/.test(this.prefix) && digits.length === this.prefix.length + 12 && digits.startsWith(this.prefix)) {
      digits = digits.slice(this.prefix.length); // typed with the hall's part
    }
    if (!typed) this.entry.error("pk-number", this.t("pk.err.number_empty"));
    else if (!/^\d{12}$/.test(digits)) this.entry.error("pk-number", this.t("pk.err.number", { example: this.#example() }));
    else return `${this.prefix}-${digits.slice(0, 8)}-${digits.slice(8)}`;
    return null;
  }

  #toSuffix(number) {
    Object.assign(this, { mode: "number", phase: "suffix", number });
    this.entry.empty("pk-suffix");
    this.render();
    this.#focus();
  }

  #submitId() {
    const r = this.entry.id(this.today(), "pk-id");
    if (r) this.#send({ id_number: r.number });
  }

  async #send(body) {
    if (this.sending) return;
    this.sending = true;
    $("pk-go").disabled = true;
    $("pk-sending").hidden = false;
    const round = this.round;
    try {
      const res = await fetch(`/api/halls/${encodeURIComponent(this.hallId)}/pickup-tickets`, {
        method: "POST", headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify({ ...body, channel: "kiosk" }),
      });
      const data = await res.json().catch(() => null);
      if (round !== this.round) return;
      if (res.ok && data && data.ticket) this.onDone(data);
      else this.#fail({ ...((data && data.error) || { code: "bad_reply" }), status: res.status });
    } catch {
      if (round === this.round) this.#fail({ code: "network" });
    } finally {
      this.sending = false;
      $("pk-go").disabled = false;
      $("pk-sending").hidden = true;
    }
  }

  // The fail screen: the Chinese large, the English under it on an English screen; where
  // the citizen can put it right, the way back to the field (emptied, to be typed again).
  #fail(error) {
    const err = { ...error, message_en: error.message };
    const ours = { duplicate_ticket: "pk.err.duplicate", network: "pk.err.network", bad_reply: "pk.err.unknown" }[err.code];
    const f = ours ? { main: fill("zh", ours), mainLang: "zh-CN", alt: this.lang === "zh" ? "" : fill(this.lang, ours) }
      : failure(err, this.t, this.lang);
    const fix = FIXES[err.code] || (String(err.code).startsWith("id_number_") ? "id" : null);
    if (fix === "number") this.use(this.mode === "id" ? "id" : "number");
    this.entry.empty("pk-suffix");
    this.entry.empty("pk-id");
    this.render();
    this.onFail({ ...f, title: "pk.fail_title", fix: fix ? ["pickup", `pk.fix_${this.mode === "id" ? "id" : "number"}`] : null });
  }
}
