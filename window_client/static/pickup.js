// The 出件 pane (统一窗口出件): every result waiting for the citizen of the ticket being
// served (POST /api/halls/{hall}/pickup {ticket}), or for an ID number on demand (a result
// to mail). Each is handed out to the applicant or the authorised collector, whose ID
// number is typed and checked (GB 11643) here first, or mailed with its tracking number.
// A case accepted with 容缺 needs the waived materials first: a box says they came.
// The server's refusals (collector_mismatch, waived_materials_due, case_handed_out) are
// said in words beside the action.

import { checkId } from "/static/common/idcheck.js";
import { $, h, setText } from "./dom.js";
import { api } from "./session.js";

const RESULTS = ["approved", "approved_with_waiver", "rejected"];

// The decision a ready result carries: the server's outcome; for an older answer
// without it, from its timeline or as the server settles it from the tasks.
export function outcomeOf(c) {
  if (c.outcome) return c.outcome;
  const logged = [...(c.timeline || [])].reverse().find((e) => RESULTS.includes(e.to_state));
  if (logged) return logged.to_state;
  const tasks = c.tasks || [];
  if (tasks.some((t) => t.state === "rejected")) return "rejected";
  if (!tasks.length || !tasks.every((t) => t.state === "approved")) return null;
  return Object.values(c.checklist || {}).includes("waived") ? "approved_with_waiver" : "approved";
}

export class PickupPane {
  constructor(work) {
    this.work = work;
    this.ctx = work.ctx;
    this.cases = null;     // CaseOut[] shown, or null before a read
    this.done = new Map(); // case id -> the CaseOut after hand-out or mail
    this.key = null;       // what the list is for: {ticket} or {id_number}
    this.seq = 0;
    this.loading = false;
    this.error = null;
  }

  bind() {
    $("pickup-find").onsubmit = (e) => {
      e.preventDefault();
      const v = $("pickup-id").value.trim();
      const found = checkId(v, this.ctx.hall && this.ctx.hall.business_day);
      if (!found.ok) return this.#findError(this.ctx.t(found.error, found.vars));
      this.#findError("");
      this.load({ id_number: found.number });
    };
    $("pickup-id").oninput = () => this.#findError("");
  }

  clear() {
    this.seq += 1;
    this.cases = null;
    this.done.clear();
    this.key = null;
    this.error = null;
    this.loading = false;
    $("pickup-id").value = "";
    this.#findError("");
    this.render();
  }

  // The results for the ticket being served, if any; else the ID search alone.
  async forTicket() {
    const t = this.work.ticket;
    if (!t) {
      if (this.key && this.key.ticket) this.clear();
      return this.render();
    }
    if (this.key && this.key.ticket === t.id && (this.cases || this.loading)) return this.render();
    this.done.clear();
    return this.load({ ticket: t.id });
  }

  async load(key) {
    const mine = ++this.seq;
    this.key = key;
    this.loading = true;
    this.error = null;
    this.render();
    try {
      // A POST: an ID number must not ride in a URL (access logs keep URLs).
      const r = await api("POST", `/api/halls/${encodeURIComponent(this.ctx.session.hall)}/pickup`,
        { token: this.ctx.session.token, body: key });
      if (mine !== this.seq) return;
      this.cases = r.cases;
    } catch (err) {
      if (mine !== this.seq) return;
      this.cases = [];
      this.error = err;
    }
    this.loading = false;
    this.#draw();
    this.render();
  }

  focus() {
    const first = $("pickup-list").querySelector("input:not([disabled])");
    (first || $("pickup-id")).focus();
  }

  render() {
    const { ctx } = this;
    const t = this.work.ticket;
    setText($("pickup-for"), t ? ctx.t("pickup.for_ticket", { number: t.number }) : ctx.t("pickup.no_ticket"));
    const n = this.cases ? this.cases.length : 0;
    const status = this.loading ? ctx.t("pickup.loading")
      : this.error ? ctx.errorText(this.error)
        : this.cases === null ? "" : n ? ctx.t("pickup.count", { n }) : ctx.t("pickup.none");
    setText($("pickup-status"), status);
    $("pickup-list").setAttribute("aria-label", ctx.t("pickup.list"));
    $("pane-pickup").setAttribute("aria-busy", this.loading ? "true" : "false");
  }

  relabel() {
    this.#draw();
    this.render();
  }

  #draw() {
    $("pickup-list").replaceChildren(...(this.cases || []).map((c) => this.#item(this.done.get(c.id) || c)));
  }

  // --- one case ---------------------------------------------------------------------

  #item(c) {
    const { ctx } = this;
    const headId = `pk-${c.id}`;
    const li = h("li", { class: "pk", dataset: { case: c.id, number: c.number, state: c.state },
      "aria-labelledby": headId });
    const outcome = outcomeOf(c);
    li.append(
      h("h3", { id: headId }, h("span", { class: "case-number" }, c.number), " ", c.matter_name),
      h("p", { class: "pk-result", dataset: { result: outcome || "" } },
        h("span", { class: "muted" }, `${ctx.t("pickup.result")}：`),
        h("b", {}, outcome ? ctx.t(`pickup.${outcome}`) : c.state_zh),
        outcome === "rejected" && c.reasons ? h("span", {}, ` ${ctx.t("pickup.reasons", { text: c.reasons })}`) : null));
    if (c.state === "picked_up" || c.state === "mailed") {
      li.append(h("p", { class: "pk-done", role: "status" }, c.state === "mailed"
        ? ctx.t("pickup.done_mailed", { no: c.tracking_no || "" }) : ctx.t("pickup.done_picked")));
      return li;
    }
    const who = [ctx.t("pickup.applicant", { who: `${c.applicant} ${c.id_masked}` })];
    if (c.collector) who.push(ctx.t("pickup.collector", { who: c.collector }));
    const hintId = `pk-who-${c.id}`;
    const errId = `pk-err-${c.id}`;
    li.append(h("p", { class: "hint pk-who", id: hintId }, ctx.t("pickup.who", { list: who.join("；") })));
    // Waived materials are due only for a result granted with 容缺, not for a refusal.
    const waived = outcomeOf(c) !== "approved_with_waiver" ? []
      : Object.entries(c.checklist || {}).filter(([, m]) => m === "waived").map(([k]) => k);
    let box = null;
    if (waived.length) {
      box = h("input", { type: "checkbox", class: "pk-waived", "aria-describedby": `pk-wh-${c.id}` });
      li.append(h("label", { class: "check pk-waived-row" }, box, " ",
        h("span", {}, ctx.t("pickup.waived", { list: this.#names(c.matter, waived).join("、") }))),
      h("p", { class: "hint", id: `pk-wh-${c.id}` }, ctx.t("pickup.waived_hint")));
    }
    const error = h("p", { class: "error pk-error", id: errId, role: "alert" });
    const collector = h("input", { class: "pk-collector", autocomplete: "off", spellcheck: "false",
      maxlength: "18", "aria-describedby": `${hintId} ${errId}` });
    const take = h("form", { class: "pk-take", novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      this.#take(c, collector, box, error, e.submitter || take.querySelector("button"));
    } }, h("label", {}, h("span", {}, ctx.t("pickup.collector_id")), collector),
    h("button", { type: "submit", class: "go" }, ctx.t("pickup.take")));
    const tracking = h("input", { class: "pk-tracking", autocomplete: "off", maxlength: "40",
      "aria-describedby": errId });
    const mail = h("form", { class: "pk-mail", novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      this.#mail(c, tracking, box, error, e.submitter || mail.querySelector("button"));
    } }, h("label", {}, h("span", {}, ctx.t("pickup.tracking")), tracking),
    h("button", { type: "submit", class: "quiet" }, ctx.t("pickup.mail")));
    li.append(h("div", { class: "pk-actions" }, take, mail), error);
    return li;
  }

  #names(code, keys) {
    const matter = (this.work.catalog || []).find((m) => m.code === code);
    const name = (k) => (matter && (matter.materials.find((m) => m.key === k) || {}).name) || k;
    return keys.map(name);
  }

  async #take(c, input, box, error, button) {
    const { ctx } = this;
    const found = checkId(input.value.trim(), ctx.hall && ctx.hall.business_day);
    if (!found.ok) return this.#refuse(input, error, ctx.t(found.error, found.vars));
    await this.#send(c, "pickup", { collector_id: found.number, waived_supplied: !!(box && box.checked) },
      input, error, button);
  }

  // The waived materials are due before any result leaves the hall, mailed or not: the
  // box is asked for here and checked by the server.
  async #mail(c, input, box, error, button) {
    const no = input.value.trim();
    if (!no) return this.#refuse(input, error, this.ctx.t("pickup.tracking_required"));
    if (box && !box.checked) return this.#refuse(box, error, this.ctx.t("pickup.waived_hint"));
    await this.#send(c, "mail", { tracking_no: no, waived_supplied: !!(box && box.checked) },
      input, error, button);
  }

  async #send(c, what, body, input, error, button) {
    const { ctx } = this;
    button.disabled = true;
    input.removeAttribute("aria-invalid");
    setText(error, ctx.t("pickup.busy"));
    let after;
    try {
      after = await api("POST", `/api/cases/${encodeURIComponent(c.id)}/${what}`,
        { token: ctx.session.token, body });
    } catch (err) {
      button.disabled = false;
      const box = err.field === "waived_supplied" ? input.closest("li").querySelector(".pk-waived") : null;
      return this.#refuse(box || input, error, ctx.errorText(err));
    }
    this.done.set(c.id, after);
    const li = $("pickup-list").querySelector(`li[data-case="${CSS.escape(c.id)}"]`);
    const fresh = this.#item(after);
    if (li) li.replaceWith(fresh);
    // Focus stays in the list: on the next case's first field, or on what was done.
    const next = $("pickup-list").querySelector("input.pk-collector");
    if (next) next.focus();
    else {
      fresh.querySelector(".pk-done").setAttribute("tabindex", "-1");
      fresh.querySelector(".pk-done").focus();
    }
  }

  #refuse(input, error, text) {
    setText(error, text);
    if (input.type !== "checkbox") input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  #findError(text) {
    setText($("pickup-error"), text);
    if (text) $("pickup-id").setAttribute("aria-invalid", "true");
    else $("pickup-id").removeAttribute("aria-invalid");
  }
}
