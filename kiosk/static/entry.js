// The three entry steps' fields (ID number, mobile number, a guide's PIN): what
// a key does to them, and the checks made before going on, each failure shown
// beside the field in words, with a sign and a dashed frame (not colour alone),
// and for an ID number the group of digits at fault marked.
import { ageOn, checkId, checkPhone, ELDERLY_AGE, idGroups } from "/static/common/idcheck.js";
import { applyKey, buildKeypad } from "./keypad.js";

const $ = (id) => document.getElementById(id);

export class Entry {
  constructor({ t, onError }) {
    this.t = t;
    this.onError = onError;
    this.fields = {
      id: { input: $("id-input"), count: $("id-count"), pad: $("id-keypad"), withX: true,
        maxLength: 18, countKey: "id.count" },
      phone: { input: $("phone-input"), count: $("phone-count"), pad: $("phone-keypad"),
        withX: false, maxLength: 11, countKey: "phone.count" },
      guide: { input: $("pin-input"), count: $("pin-count"), pad: $("pin-keypad"),
        withX: false, maxLength: 12, countKey: "green.pin_count" },
    };
    for (const [step, f] of Object.entries(this.fields)) {
      buildKeypad(f.pad, { withX: f.withX, t, onKey: (k) => this.type(step, k) });
      // Whatever else types into the field (a paste, an IME) is cut to what the keypad allows.
      f.input.addEventListener("input", () => {
        f.input.value = [...f.input.value.toUpperCase()].reduce((v, k) => applyKey(v, k, f), "");
        this.render(step);
      });
    }
    for (const r of document.querySelectorAll("input[name=reason]")) {
      r.addEventListener("change", () => this.error("guide", null));
    }
  }

  has(step) {
    return step in this.fields;
  }

  value(step) {
    return this.fields[step].input.value;
  }

  render(step) {
    const f = this.fields[step];
    f.count.textContent = this.t(f.countKey, { n: f.input.value.length });
  }

  type(step, k) {
    const f = this.fields[step];
    const before = f.input.value;
    f.input.value = applyKey(before, k, f);
    if (f.input.value !== before) {
      this.error(step, null);
      if (step === "id") this.#groups("", null);
    }
    this.render(step);
  }

  error(step, text) {
    const box = $(`${step}-error`);
    box.hidden = !text;
    box.querySelector(".error-text").textContent = text || "";
    const input = this.fields[step].input;
    input.classList.toggle("invalid", Boolean(text));
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    if (text) this.onError(text);
  }

  // Everything typed and shown, gone (the idle reset, a new citizen).
  clear() {
    for (const [step, f] of Object.entries(this.fields)) {
      f.input.value = "";
      this.error(step, null);
      this.render(step);
    }
    for (const r of document.querySelectorAll("input[name=reason]")) r.checked = false;
    this.#groups("", null);
  }

  clearPin() {
    this.fields.guide.input.value = "";
  }

  // {number, birth, elderly} or null (the error shown). today: the hall's business day.
  id(today) {
    const value = this.value("id");
    const r = checkId(value, today);
    if (!r.ok) {
      this.error("id", this.t(r.error, r.vars));
      this.#groups(value, r.part);
      return null;
    }
    return { number: r.number, birth: r.birth, elderly: ageOn(r.birth, today) >= ELDERLY_AGE };
  }

  // {number} (null: none given) or null (the error shown).
  phone() {
    const value = this.value("phone");
    if (!value) return { number: null };
    const r = checkPhone(value);
    if (!r.ok) {
      this.error("phone", this.t(r.error, r.vars));
      return null;
    }
    return { number: r.number };
  }

  // {reason, pin} or null (the error shown). The PIN itself is checked by the server.
  guide() {
    const reason = document.querySelector("input[name=reason]:checked");
    const pin = this.value("guide");
    if (!reason) this.error("guide", this.t("green.err.reason"));
    else if (pin.length < 4) this.error("guide", this.t("green.err.pin"));
    else return { reason: reason.value, pin };
    return null;
  }

  // The number in its four groups, the wrong one marked by a frame and a ✗.
  #groups(value, part) {
    const box = $("id-groups");
    box.hidden = !part || value.length !== 18;
    if (box.hidden) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(...idGroups(value.toUpperCase()).map(([name, digits]) => {
      const li = document.createElement("li");
      li.className = `group${name === part ? " group-bad" : ""}`;
      li.dataset.part = name;
      const span = (cls, text) => Object.assign(document.createElement("span"), { className: cls, textContent: text });
      li.append(span("group-digits", digits),
        span("group-name", `${name === part ? "✗ " : ""}${this.t(`id.part.${name}`)}`),
        span("group-pos", this.t(`id.pos.${name}`)));
      return li;
    }));
  }
}
