// What every section builds with: translated text nodes, labelled fields with their
// error line, and the placing of an error beside the field it names.
// Everything a user typed is set as text (textContent, value), never parsed as HTML.

import { h } from "/static/console/dom.js";

export { h };

let ctx = null; // the app: t(key, vars), errorText(err)

export function bindUi(app) {
  ctx = app;
}

let seq = 0;
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

// An element whose text comes from the catalog and follows a language switch.
export function T(key, vars = null, tag = "span", attrs = {}) {
  const el = h(tag, attrs);
  tr(el, key, vars);
  return el;
}

export function tr(el, key, vars = null) {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = ctx.t(key, vars || {});
  return el;
}

// Re-translate everything under root: texts, labels, placeholders and shown errors.
export function translate(root = document) {
  if (root === document) document.documentElement.lang = ctx.lang === "zh" ? "zh-CN" : ctx.lang;
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const vars = el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {};
    el.textContent = ctx.t(el.dataset.i18n, vars);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", ctx.t(el.dataset.i18nAria));
  }
  for (const el of root.querySelectorAll("[data-i18n-ph]")) {
    el.setAttribute("placeholder", ctx.t(el.dataset.i18nPh));
  }
  for (const el of root.querySelectorAll(".field-error, .form-error")) {
    if (el.owError) el.textContent = ctx.errorText(el.owError);
  }
}

// Visually hidden words for screen readers (e.g. which row an "Edit" button edits).
export function sr(text) {
  return h("span", { class: "sr" }, text);
}

// --- fields ------------------------------------------------------------------------------

// A labelled control with a hint and an error line, marked with data-field = its JSON
// path so an API error naming that path lands here.
// kind: text | number | password | select | textarea | date | datetime-local | checkbox
export function field({
  name,
  label,
  kind = "text",
  value = "",
  required = false,
  hint = null,
  options = null, // select: [{value, label | key}]
  attrs = {},
}) {
  const id = uid(`f-${name.replace(/[^\w-]/g, "-")}`);
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (kind === "select") {
    control = h("select", { id, name, required, ...attrs });
    setOptions(control, options || [], value);
  } else if (kind === "textarea") {
    control = h("textarea", { id, name, required, ...attrs });
    control.value = value ?? "";
  } else if (kind === "checkbox") {
    control = h("input", { id, name, type: "checkbox", ...attrs });
    control.checked = Boolean(value);
  } else {
    control = h("input", { id, name, type: kind, required, ...attrs });
    control.value = value ?? "";
  }
  control.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  const text = typeof label === "string" ? T(label) : label;
  const wrap = h("div", { class: `field field-${kind}`, dataset: { field: name } });
  if (kind === "checkbox") {
    wrap.append(h("label", { class: "check", for: id }, control, " ", text));
  } else {
    wrap.append(
      h("label", { for: id }, text, required ? h("b", { class: "req", "aria-hidden": "true" }, " *") : null),
      control,
    );
  }
  if (hint) wrap.append(typeof hint === "string" ? T(hint, null, "p", { id: hintId, class: "hint" }) : hint);
  wrap.append(h("p", { id: errId, class: "field-error", role: "alert" }));
  return wrap;
}

export function setOptions(select, options, value) {
  select.replaceChildren(
    ...options.map((o) => {
      const opt = h("option", { value: o.value });
      if (o.key) tr(opt, o.key);
      else opt.textContent = o.label;
      return opt;
    }),
  );
  if (value !== undefined && value !== null) select.value = value;
}

// A group of checkboxes (fieldset + legend) whose values make one list.
export function checkGroup({ name, legend, options, values = [], hint = null }) {
  const errId = uid(`g-${name}-err`);
  const hintId = hint ? `${errId}-hint` : null;
  const set = h("fieldset", {
    class: "field checks",
    dataset: { field: name },
    "aria-describedby": [hintId, errId].filter(Boolean).join(" "),
  });
  set.append(h("legend", {}, typeof legend === "string" ? T(legend) : legend));
  const box = h("div", { class: "check-list" });
  for (const o of options) {
    const id = uid(`c-${name}`);
    const input = h("input", { id, type: "checkbox", name, value: o.value });
    input.checked = values.includes(o.value);
    const text = o.key ? T(o.key) : h("span", {}, o.label);
    box.append(h("label", { class: "check", for: id }, input, " ", text));
  }
  if (!options.length) box.append(T("form.none_to_choose", null, "span", { class: "muted" }));
  set.append(box);
  if (hint) set.append(T(hint, null, "p", { id: hintId, class: "hint" }));
  set.append(h("p", { id: errId, class: "field-error", role: "alert" }));
  return set;
}

export function checkedValues(root, name) {
  return [...root.querySelectorAll(`input[type=checkbox][name="${name}"]:checked`)].map((i) => i.value);
}

// A group of radio buttons.
export function radioGroup({ name, legend, options, value }) {
  const errId = uid(`r-${name}-err`);
  const set = h("fieldset", { class: "field radios", dataset: { field: name }, "aria-describedby": errId });
  set.append(h("legend", {}, T(legend)));
  const box = h("div", { class: "check-list" });
  for (const o of options) {
    const id = uid(`r-${name}`);
    const input = h("input", { id, type: "radio", name, value: o.value });
    input.checked = o.value === value;
    box.append(h("label", { class: "check", for: id }, input, " ", T(o.key)));
  }
  set.append(box, h("p", { id: errId, class: "field-error", role: "alert" }));
  return set;
}

// --- errors ------------------------------------------------------------------------------

// The form's own error line (for errors that name no field), created on demand at the top.
export function formError(form) {
  let el = form.querySelector(":scope > .form-error");
  if (!el) {
    el = h("p", { class: "form-error", role: "alert" });
    const head = form.querySelector(":scope > h2, :scope > h3");
    if (head) head.after(el);
    else form.prepend(el);
  }
  return el;
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll(".field-error, .form-error")) {
    el.textContent = "";
    el.owError = null;
  }
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of root.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

// The element for a JSON path: the path itself, else its nearest parent ("hours.mon.0.1"
// -> "hours.mon.0" -> "hours.mon" -> "hours").
export function fieldFor(root, path) {
  if (!path) return null;
  const parts = String(path).split(".");
  while (parts.length) {
    const el = root.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
    if (el) return el;
    parts.pop();
  }
  return null;
}

// Show one error: beside its field when the form has it, else at the top of the form.
// Returns the element to focus.
export function showError(root, err, path = err && err.field) {
  const box = fieldFor(root, path);
  const line = box ? box.querySelector(":scope > .field-error") : null;
  const target = line || formError(root);
  const text = ctx.errorText(err);
  target.owError = err;
  // Several errors without a field share the form's line.
  target.textContent = target.textContent && target !== line ? `${target.textContent} ${text}` : text;
  if (!box) return null;
  box.classList.add("invalid");
  // Mark the box's own controls, not those of a field nested inside it.
  const inputs = box.matches("input, select, textarea")
    ? [box]
    : [...box.querySelectorAll("input, select, textarea")].filter(
        (i) => i.closest("[data-field]") === box,
      );
  for (const i of inputs) i.setAttribute("aria-invalid", "true");
  if (!inputs.length) {
    const any = box.querySelector("input, select, textarea, button");
    return any;
  }
  return inputs[0] || null;
}

// Several client-side problems [{field, key, vars}] at once; focus goes to the first.
export function showProblems(root, problems) {
  let first = null;
  for (const p of problems) {
    const el = showError(root, { key: p.key, vars: p.vars || {} }, p.field);
    if (!first) first = el;
  }
  if (first) first.focus();
  return problems.length > 0;
}

// --- small formats ------------------------------------------------------------------------

export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isRealDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

export function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
