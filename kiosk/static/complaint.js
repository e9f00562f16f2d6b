// 投诉建议 at the kiosk: the kiosk has no keyboard, so the complaint is put together by
// touch: what it is about (a window, the clerk at a window, the hall), which window (the
// hall's windows as big buttons), what went wrong (common problems, any number of them),
// then an optional mobile number on the keypad. POST /api/halls/{hall}/complaints
// (channel kiosk); the complaint number is shown with its query code (shown once: the
// server keeps only its fingerprint, and texts it to a phone left). The details can be added on
// the phone page. The entry is a button in the header, on every screen (the start
// screen's row of entries is full). An ordinary step of the kiosk: the idle timer brings
// the start screen back, and clear() forgets everything and drops an answer still on its way.
import { buildKeypad, applyKey } from "./keypad.js";
import { STRINGS } from "./strings.js";
import mine from "./strings_complaint.js";
import { failure, IssueError } from "./ticket.js";

// The kiosk's one catalog gets this module's strings (before kiosk.js reads any).
Object.assign(STRINGS.zh, mine.zh);
Object.assign(STRINGS.en, mine.en);

const $ = (id) => document.getElementById(id);
const SUBJECTS = ["window", "clerk", "hall"];
const REASONS = ["attitude", "waiting", "slow", "shirking", "fees", "order", "other"];
const PHONE = { maxLength: 11 };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

export class ComplaintDesk {
  // hall: the LiveHall (its windows); say(text): spoken; reset(): back to the start;
  // onFail(failure): the kiosk's refusal screen.
  constructor({ hallId, t, lang, hall, say, reset, onFail }) {
    Object.assign(this, { hallId, t, lang, hall, say, reset, onFail });
    this.box = $("step-complaint");
    this.sending = false;
    this.round = 0;
    this.fresh();
  }

  fresh() {
    Object.assign(this, { phase: "about", subject: null, window: null, reasons: new Set(), phone: "",
      error: "", filed: null });
  }

  start(open) {
    $("cpk-open").addEventListener("click", open);
    this.box.addEventListener("click", (ev) => this.#click(ev));
  }

  input() {
    return { about: "cpk-title", phone: "cpk-phone-input", done: "cpk-done-title" }[this.phase];
  }

  sayKey() {
    return { about: "cpk.say", phone: "cpk.phone_hint", done: "cpk.done" }[this.phase];
  }

  clear() {
    this.round++;
    this.sending = false;
    this.fresh();
    this.render();
  }

  route() {
    if (this.phase !== "phone" || this.sending) return null;
    return { onKey: (k) => this.#type(k), onEnter: () => this.#send(false) };
  }

  render() {
    const view = { about: () => this.#about(), phone: () => this.#phoneView(), done: () => this.#done() }[this.phase];
    this.box.classList.toggle("step-entry", this.phase === "phone");
    this.box.classList.toggle("step-center", this.phase === "done");
    this.box.innerHTML = view();
    this.box.setAttribute("aria-labelledby", this.phase === "done" ? "cpk-done-title" : "cpk-title");
    if (this.phase === "phone") {
      buildKeypad($("cpk-keypad"), { t: this.t, onKey: (k) => this.#type(k) });
    }
  }

  // --- the views ------------------------------------------------------------------

  #pressed(on) {
    return `aria-pressed="${on}"`;
  }

  #choice(group, value, text, on) {
    return `<button class="btn mode cpk-choice" type="button" data-group="${group}" data-value="${esc(value)}" ${this.#pressed(on)}>`
      + `<span class="mode-mark" aria-hidden="true">✔</span> ${esc(text)}</button>`;
  }

  #errorBox() {
    return `<div id="cpk-error" class="error"${this.error ? "" : " hidden"}><span class="icon" aria-hidden="true">⚠</span> `
      + `<span class="error-text" role="alert">${esc(this.error)}</span></div>`;
  }

  #windows() {
    const list = ((this.hall.hall && this.hall.hall.windows) || []).slice().sort((a, b) => a.number - b.number);
    if (!list.length) return `<p class="hint">${esc(this.t("cpk.no_windows"))}</p>`;
    return list.map((w) => this.#choice("window", w.id, this.t("cpk.window_n", { n: w.number }), this.window === w.id)).join("");
  }

  #about() {
    const t = this.t;
    const needsWindow = this.subject === "window" || this.subject === "clerk";
    return `<div class="cpk-about">
      <h2 id="cpk-title" class="prompt" tabindex="-1">${esc(t("cpk.title"))}</h2>
      <div class="modes cpk-group" role="group" aria-labelledby="cpk-about-label">
        <span id="cpk-about-label" class="modes-label">${esc(t("cpk.about"))}</span>
        ${SUBJECTS.map((s) => this.#choice("subject", s, t(`cpk.subject.${s}`), this.subject === s)).join("")}
      </div>
      <div class="modes cpk-group" role="group" aria-labelledby="cpk-window-label"${needsWindow ? "" : " hidden"}>
        <span id="cpk-window-label" class="modes-label">${esc(t("cpk.which_window"))}</span>
        ${needsWindow ? this.#windows() : ""}
      </div>
      <div class="modes cpk-group" role="group" aria-labelledby="cpk-what-label">
        <span id="cpk-what-label" class="modes-label">${esc(t("cpk.what"))}</span>
        ${REASONS.map((r) => this.#choice("reason", r, t(`cpk.reason.${r}`), this.reasons.has(r))).join("")}
      </div>
      ${this.#errorBox()}
      <div class="actions">
        <button class="btn" type="button" data-act="home">${esc(t("step.back"))}</button>
        <button class="btn btn-main" type="button" data-act="next">${esc(t("step.next"))}</button>
      </div></div>`;
  }

  #phoneView() {
    const t = this.t;
    return `<div class="entry">
      <h2 id="cpk-title" class="prompt">${esc(t("cpk.title"))}</h2>
      <p class="hint">${esc(t("cpk.phone_hint"))}</p>
      <label class="field-label" for="cpk-phone-input">${esc(t("cpk.phone_label"))}</label>
      <input id="cpk-phone-input" class="field" type="text" inputmode="none" autocomplete="off" spellcheck="false"
             maxlength="11" value="${esc(this.phone)}" aria-describedby="cpk-phone-count cpk-error"${this.error ? ' aria-invalid="true"' : ""}>
      <p id="cpk-phone-count" class="count">${esc(t("cpk.phone_count", { n: this.phone.length }))}</p>
      ${this.#errorBox()}
      <div class="actions">
        <button class="btn" type="button" data-act="back">${esc(t("step.back"))}</button>
        <button class="btn" type="button" data-act="skip">${esc(t("step.skip"))}</button>
        <button class="btn btn-main" type="button" data-act="send">${esc(t("cpk.send"))}</button>
      </div>
      <p class="lead" role="status"${this.sending ? "" : " hidden"}>${esc(t("cpk.sending"))}</p>
    </div>
    <div id="cpk-keypad" class="keypad"></div>`;
  }

  #done() {
    const t = this.t;
    const f = this.filed;
    const code = `<div class="ticket-card cpk-card"><p class="ticket-label">${esc(t("cpk.code"))}</p>`
      + `<p id="cpk-code" class="ticket-number cpk-code">${esc(f.query_code)}</p></div>`;
    return `<h2 id="cpk-done-title" class="prompt ok" tabindex="-1"><span class="icon" aria-hidden="true">✔</span> ${esc(t("cpk.done"))}</h2>
      <div class="cpk-done">
        <div class="ticket-card cpk-card"><p class="ticket-label">${esc(t("cpk.number"))}</p>
          <p id="cpk-number" class="cpk-number">${esc(f.complaint.number)}</p></div>
        ${code}
      </div>
      <p class="lead">${esc(t(this.phone ? "cpk.done_phone" : "cpk.done_code"))}</p>
      <div class="actions actions-big"><button class="btn btn-main" type="button" data-act="home">${esc(t("fail.home"))}</button></div>`;
  }

  // --- what the citizen does ------------------------------------------------------

  #click(ev) {
    const b = ev.target.closest("button");
    if (!b || !this.box.contains(b) || b.closest("#cpk-keypad")) return;
    const { group, value, act } = b.dataset;
    if (group === "subject") Object.assign(this, { subject: value, window: value === "hall" ? null : this.window });
    else if (group === "window") this.window = value;
    else if (group === "reason") {
      if (this.reasons.has(value)) this.reasons.delete(value);
      else this.reasons.add(value);
    } else if (act === "home") return this.reset();
    else if (act === "next") return this.#next();
    else if (act === "back") return this.#go("about");
    else if (act === "skip") return this.#send(true);
    else if (act === "send") return this.#send(false);
    else return;
    this.error = "";
    const id = `${group}:${value}`;
    this.render();
    const again = [...this.box.querySelectorAll("button[data-group]")].find((x) => `${x.dataset.group}:${x.dataset.value}` === id);
    if (again) again.focus({ preventScroll: true });
  }

  #go(phase, error = "") {
    Object.assign(this, { phase, error });
    this.render();
    $(this.input()).focus({ preventScroll: true });
    this.say(error || this.t(this.sayKey()));
  }

  #next() {
    const problem = !this.subject ? "cpk.err.subject"
      : this.subject !== "hall" && !this.window ? "cpk.err.window"
        : !this.reasons.size ? "cpk.err.reason" : null;
    if (problem) {
      this.error = this.t(problem);
      this.render();
      $("cpk-error").scrollIntoView({ block: "nearest" });
      this.say(this.error);
      return;
    }
    this.#go("phone");
  }

  #type(k) {
    this.phone = applyKey(this.phone, k, PHONE);
    $("cpk-phone-input").value = this.phone;
    $("cpk-phone-count").textContent = this.t("cpk.phone_count", { n: this.phone.length });
  }

  body(skipPhone) {
    const zh = (key) => STRINGS.zh[key];
    const text = `${[...this.reasons].map((r) => zh(`cpk.reason.${r}`)).join("、")}${zh("cpk.text_prefix")}`;
    const body = { subject: this.subject, text, channel: "kiosk" };
    const w = ((this.hall.hall && this.hall.hall.windows) || []).find((x) => x.id === this.window);
    if (this.subject === "window") body.subject_id = this.window;
    if (this.subject === "clerk") {
      body.subject_id = `${w ? `${w.number}号窗口` : ""} ${(w && w.clerk_name) || ""}`.trim().slice(0, 40) || "窗口工作人员";
    }
    if (!skipPhone && this.phone) body.contact = { phone: this.phone };
    return body;
  }

  async #send(skipPhone) {
    if (this.sending) return;
    if (!skipPhone && this.phone && !/^1\d{10}$/.test(this.phone)) return this.#go("phone", this.t("cpk.err.phone"));
    if (skipPhone) this.phone = "";
    const round = this.round;
    this.sending = true;
    this.render();
    try {
      let res;
      try {
        res = await fetch(`/api/halls/${encodeURIComponent(this.hallId)}/complaints`, {
          method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(this.body(skipPhone)),
        });
      } catch {
        throw new IssueError({ code: "network" });
      }
      const data = await res.json().catch(() => null);
      if (!res.ok) throw new IssueError({ ...((data && data.error) || { code: "bad_reply" }), status: res.status });
      if (round !== this.round) return; // reset meanwhile: not for whoever stands here now
      this.sending = false;
      this.filed = data;
      this.#go("done");
    } catch (err) {
      if (round !== this.round) return;
      this.sending = false;
      this.onFail({ ...failure(err, this.t, this.lang), title: "cpk.fail", fix: null });
    }
  }
}
