// The rating on the phone (好差评): the same five levels as the window's pad, offered on
// the ticket page after service and on the case page once the result is collected or
// mailed, until 5 working days after. Once rated, it shows the rating and, when a bad
// one has been followed up, the hall's response.
//
// `read()` fetches the status ({can_rate, rate_until, rating, followup}); `send(body)`
// posts a rating and answers with the new status. The page decides how it is authorised
// (the ticket's token; the case's number and the full ID number, asked by `idGate`:
// the masked ID staff see is no credential).
import { describe, el, lang } from "./common.js";
import { REASONS, RATING_STRINGS } from "./rating_strings.js";

const LEVELS = [5, 4, 3, 2, 1];

function tr(key, vars = {}) {
  const text = (RATING_STRINGS[lang] || RATING_STRINGS.zh)[key] ?? RATING_STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");
}

export class RatingPanel {
  constructor(box, { id, read, send }) {
    this.box = box;
    this.id = id;
    this.read = read;
    this.send = send;
    this.status = null;
    this.busy = false;
  }

  async refresh() {
    try {
      this.status = await this.read();
    } catch {
      this.status = null;
    }
    this.render();
  }

  render(thanks = false) {
    const s = this.status;
    const shown = s && (s.rating || s.can_rate);
    this.box.hidden = !shown;
    if (!shown) return this.box.replaceChildren();
    const title = el("h2", { id: `${this.id}-title`, class: "section-title", text: tr("r.title") });
    this.box.setAttribute("aria-labelledby", title.id);
    this.box.replaceChildren(title, s.rating ? this.#given(s, thanks) : this.#form(s));
  }

  #given(s, thanks) {
    const out = el("div", { class: "rating-given" });
    if (thanks) out.append(el("p", { class: "rating-thanks", role: "status", text: tr("r.thanks") }));
    out.append(el("p", { class: "rating-level", text: tr("r.yours", { level: tr(`level.${s.rating.level}`) }) }));
    const f = s.followup;
    if (f) {
      out.append(el("p", { class: "rating-state", text: tr("r.followup", { state: f.state_zh }) }));
      if (f.response) {
        out.append(el("p", { class: "rating-response note" },
          el("strong", { text: tr("r.response") }), f.response));
      }
    }
    return out;
  }

  #form(s) {
    const form = el("form", { class: "rating-form", noValidate: true });
    const legend = el("legend", { text: tr("r.ask") });
    const levels = el("fieldset", { class: "rating-levels" }, legend);
    for (const n of LEVELS) {
      const input = el("input", { type: "radio", name: `${this.id}-level`, value: String(n),
        id: `${this.id}-level-${n}` });
      levels.append(el("label", { class: `rating-level-option${n <= 2 ? " bad" : ""}`,
        htmlFor: input.id }, input, tr(`level.${n}`)));
    }
    const why = el("fieldset", { class: "rating-why", hidden: true },
      el("legend", { text: tr("r.why") }));
    for (const r of REASONS) {
      const input = el("input", { type: "checkbox", value: r, id: `${this.id}-reason-${r}` });
      why.append(el("label", { class: "rating-reason", htmlFor: input.id }, input, tr(`reason.${r}`)));
    }
    const comment = el("textarea", { id: `${this.id}-comment`, maxLength: 200, rows: 2 });
    const phone = el("input", { id: `${this.id}-phone`, type: "tel", autocomplete: "tel",
      maxLength: 20 });
    why.append(
      el("div", { class: "field" }, el("label", { htmlFor: comment.id, text: tr("r.comment") }), comment),
      el("div", { class: "field" }, el("label", { htmlFor: phone.id, text: tr("r.phone") }), phone),
    );
    const error = el("p", { class: "error", role: "alert", id: `${this.id}-error` });
    const button = el("button", { type: "submit", class: "primary big", text: tr("r.send"),
      id: `${this.id}-send` });
    levels.addEventListener("change", () => {
      const v = Number(form.querySelector("input[type=radio]:checked")?.value || 0);
      why.hidden = !(v && v <= 2);
      error.textContent = "";
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (this.busy) return;
      const level = Number(form.querySelector("input[type=radio]:checked")?.value || 0);
      if (!level) {
        error.textContent = tr("r.pick");
        return;
      }
      const body = { level };
      if (level <= 2) {
        body.reasons = [...why.querySelectorAll("input[type=checkbox]:checked")].map((i) => i.value);
        const text = comment.value.trim();
        if (text) body.comment = text;
        if (phone.value.trim()) body.phone = phone.value.trim();
        if (!body.reasons.length && !text) {
          error.textContent = tr("r.need_reason");
          return;
        }
      }
      this.busy = true;
      button.disabled = true;
      button.textContent = tr("r.busy");
      try {
        this.status = await this.send(body);
        this.render(true);
        this.box.querySelector(".rating-thanks")?.focus?.();
      } catch (err) {
        error.textContent = describe(err);
        button.disabled = false;
        button.textContent = tr("r.send");
      } finally {
        this.busy = false;
      }
    });
    const until = s.rate_until ? el("p", { class: "muted small", text: tr("r.until", { day: s.rate_until }) }) : null;
    form.append(levels, why, until, error, el("div", { class: "actions" }, button));
    return form;
  }
}

// A case's rating opens with the full ID number of its applicant or collector; then
// `open(idNumber)` shows the panel. The number is kept in memory only.
export function idGate(box, id, open) {
  const title = el("h2", { id: `${id}-title`, class: "section-title", text: tr("r.title") });
  const input = el("input", { id: `${id}-id`, type: "text", autocomplete: "off", maxLength: 18,
    spellcheck: false, "aria-describedby": `${id}-id-help ${id}-id-error` });
  const error = el("p", { class: "error", id: `${id}-id-error`, "aria-live": "polite" });
  const form = el("form", { class: "rating-gate", noValidate: true },
    el("div", { class: "field" }, el("label", { htmlFor: input.id, text: tr("r.id") }), input,
      el("p", { class: "help", id: `${id}-id-help`, text: tr("r.id_help") })),
    error, el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary", id: `${id}-open`, text: tr("r.id_go") })));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = input.value.normalize("NFKC").trim().toUpperCase();
    if (!/^\d{17}[\dX]$/.test(v)) {
      error.textContent = tr("r.id_err");
      input.setAttribute("aria-invalid", "true");
      return input.focus();
    }
    open(v);
  });
  box.setAttribute("aria-labelledby", title.id);
  box.replaceChildren(title, form);
  box.hidden = false;
}
