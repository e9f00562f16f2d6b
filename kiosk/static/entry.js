// The kiosk's typed fields (ID number, mobile number, a guide's PIN; for check-in the
// booking code and the ID number; for 领取结果 the case number, the ID number's last 4
// or the whole ID number): what a key does to them, and the checks made before going
// on, each failure shown beside the field in words, with a sign and a dashed frame
// (not colour alone), and for an ID number the group of digits at fault marked.
import { ageOn, checkId, checkPhone, ELDERLY_AGE, idGroups } from "/static/common/idcheck.js";
import { applyKey, buildKeypad } from "./keypad.js";

const $ = (id) => document.getElementById(id);
// The booking code's alphabet (server/domain/appointment.py): no 0/O, 1/I/L.
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 8;

// A field's elements by the prefix of their ids: {prefix}-input, -count, -keypad, -error.
const field = (prefix, error, more) => ({ input: $(`${prefix}-input`), count: $(`${prefix}-count`),
  pad: $(`${prefix}-keypad`), error: $(`${error}-error`), ...more });

export class Entry {
  constructor({ t, onError }) {
    this.t = t;
    this.onError = onError;
    this.onChange = null; // (step, value) after a key changed a field
    this.fields = {
      id: field("id", "id", { withX: true, maxLength: 18, countKey: "id.count", groups: $("id-groups") }),
      phone: field("phone", "phone", { withX: false, maxLength: 11, countKey: "phone.count" }),
      guide: field("pin", "guide", { withX: false, maxLength: 12, countKey: "green.pin_count" }),
      "ci-code": field("ci-code", "ci-code", { chars: CODE_ALPHABET, maxLength: CODE_LENGTH,
        countKey: "ci.code_count" }),
      "ci-id": field("ci-id", "ci-id", { withX: true, maxLength: 18, countKey: "id.count",
        groups: $("ci-id-groups") }),
      "pk-number": field("pk-number", "pk-number", { extra: "-", maxLength: 20, countKey: "pk.number_count" }),
      "pk-suffix": field("pk-suffix", "pk-suffix", { withX: true, maxLength: 4, countKey: "pk.suffix_count" }),
      "pk-id": field("pk-id", "pk-id", { withX: true, maxLength: 18, countKey: "id.count",
        groups: $("pk-id-groups") }),
    };
    for (const [step, f] of Object.entries(this.fields)) {
      buildKeypad(f.pad, { withX: f.withX, extra: f.extra, chars: f.chars, t, onKey: (k) => this.type(step, k) });
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
      this.#groups(f, "", null);
      if (this.onChange) this.onChange(step, f.input.value);
    }
    this.render(step);
  }

  error(step, text) {
    const box = this.fields[step].error;
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
    for (const step of Object.keys(this.fields)) this.empty(step);
    for (const r of document.querySelectorAll("input[name=reason]")) r.checked = false;
  }

  // One field: its text, its error and its marked groups.
  empty(step) {
    const f = this.fields[step];
    f.input.value = "";
    this.error(step, null);
    this.#groups(f, "", null);
    this.render(step);
  }

  // Put a whole value in (a scanned code moved to its own field), cut as the keypad would cut it.
  set(step, value) {
    this.empty(step);
    const f = this.fields[step];
    f.input.value = [...value].reduce((v, k) => applyKey(v, k, f), "");
    this.render(step);
  }

  clearPin() {
    this.fields.guide.input.value = "";
  }

  // {number, birth, elderly} or null (the error shown). today: the hall's business day;
  // step: which ID field ("id", or "ci-id" on the check-in screen).
  id(today, step = "id") {
    const value = this.value(step);
    const r = checkId(value, today);
    if (!r.ok) {
      this.error(step, this.t(r.error, r.vars));
      this.#groups(this.fields[step], value, r.part);
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
  #groups(f, value, part) {
    const box = f.groups;
    if (!box) return;
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
