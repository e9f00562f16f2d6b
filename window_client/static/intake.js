// The 受理 pane: take in a case from the ticket being served — the matter (searched by
// name or pinyin initials), the applicant, an optional authorised collector and the
// materials checklist — and accept it, issue the one-time notice of every missing
// material (一次性告知), or refuse it with a reason. A case in correction, found by its
// 受理编号 (intake_found.js), is accepted here too once the citizen brings the rest.
//
// ID numbers are checked in the browser (GB 11643, web_common/idcheck.js) so the clerk
// hears which part is wrong before anything is sent; the server checks them again.

import { checkId, checkPhone } from "/static/common/idcheck.js";
import { renderResult } from "./case_result.js";
import { Checklist } from "./checklist.js";
import { $, typedFormKeys, setText } from "./dom.js";
import { FoundCase } from "./intake_found.js";
import { MatterSearch } from "./matter_search.js";
import { api } from "./session.js";

const TEXT_FIELDS = ["ap-name", "ap-id", "ap-phone", "ap-address", "co-name", "co-id", "refuse-reason"];
// The server's `field` of an error -> the input that shows it.
const FIELD_INPUT = {
  "applicant.name": "ap-name", "applicant.id_number": "ap-id", "applicant.phone": "ap-phone",
  "applicant.address": "ap-address", reason: "refuse-reason", matter: "matter-q",
  "collector.name": "co-name", "collector.id_number": "co-id",
};

export class IntakePane {
  constructor(work) {
    this.work = work;
    this.ctx = work.ctx;
    this.checklist = new Checklist(this.ctx, $("checklist"));
    this.found = new FoundCase(this);
    this.matter = null;     // MatterOut chosen
    this.result = null;     // {c, decision} once decided
    this.busy = false;
    this.search = new MatterSearch(this);
  }

  get hallPath() {
    return `/api/halls/${encodeURIComponent(this.ctx.session.hall)}`;
  }

  bind() {
    const form = $("intake-form");
    form.onsubmit = (e) => {
      e.preventDefault();
      const value = e.submitter ? e.submitter.value : "accept";
      this.decide(value);
    };
    form.onkeydown = typedFormKeys(form, () => this.decide("accept"));
    this.search.bind();
    $("matter-change").onclick = () => this.#unchoose();
    $("mat-all").onclick = () => this.checklist.setAll("received");
    $("co-on").onchange = () => {
      $("co-fields").hidden = !$("co-on").checked;
      if ($("co-on").checked) $("co-name").focus();
    };
    for (const id of TEXT_FIELDS) $(id).addEventListener("input", () => this.#fieldError(id, ""));
    this.found.bind();
  }

  unbind() {
    this.search.cancel();
  }

  // A fresh form: a new ticket, or "take in another".
  reset() {
    this.search.clear();
    this.matter = null;
    this.result = null;
    this.found.clear();
    this.checklist.clear();
    $("intake-form").reset();
    $("co-fields").hidden = true;
    for (const id of TEXT_FIELDS) this.#fieldError(id, "");
    this.#fieldError("matter-q", "");
    setText($("materials-error"), "");
    setText($("intake-error"), "");
    setText($("lookup-error"), "");
    $("lookup-number").value = "";
    $("matter-q").value = "";
    this.render();
  }

  // Shown: the first thing to fill in has the focus.
  focus() {
    if (this.result) return $("intake-result").querySelector("a, button").focus();
    if (this.found.c) return this.checklist.focus();
    if (!this.matter) {
      if (!this.search.matches.length) this.search.run("");
      return $("matter-q").focus();
    }
    $("ap-name").focus();
  }

  render() {
    const { ctx } = this;
    const decided = !!this.result;
    const found = !!this.found.c;
    $("lookup-form").hidden = decided || found;
    $("intake-form").hidden = decided;
    $("intake-form").dataset.mode = found ? "found" : "new";
    $("intake-result").hidden = !decided;
    for (const id of ["matter-box", "applicant-box", "collector-box"]) $(id).hidden = found;
    $("decide-correction").hidden = found; // a correction case cannot get a second notice
    $("found-case").hidden = !found;
    $("matter-search").hidden = !!this.matter;
    $("matter-chosen").hidden = !this.matter;
    if (this.matter) {
      setText($("matter-name"), this.matter.name);
      setText($("matter-facts"), `${this.matter.code} · ${ctx.t("matter.days", { n: this.matter.promised_days })}`);
    }
    const t = this.work.ticket;
    const who = t ? [t.name_masked, t.id_masked].filter(Boolean).join(" ") : "";
    setText($("ap-ticket"), who ? ctx.t("ap.ticket", { who }) : "");
    for (const b of $("intake-form").querySelectorAll("button[type=submit]")) b.disabled = this.busy;
    $("intake-form").setAttribute("aria-busy", this.busy ? "true" : "false");
  }

  // The language changed: every drawn string again, nothing typed lost.
  relabel() {
    this.search.relabel();
    this.checklist.relabel();
    this.found.relabel();
    if (this.result) this.#showResult(false);
    this.render();
  }

  // --- the matter (matter_search.js finds it) ---------------------------------------

  choose(m) {
    this.matter = m;
    this.#fieldError("matter-q", "");
    this.checklist.show(m.materials);
    this.render();
    $("ap-name").focus();
  }

  #unchoose() {
    this.matter = null;
    this.checklist.clear();
    this.render();
    $("matter-q").focus();
    $("matter-q").select();
    this.search.run($("matter-q").value.trim());
  }

  // --- deciding ---------------------------------------------------------------------

  async decide(decision) {
    if (this.busy) return;
    if (this.found.c) return this.found.decide(decision);
    const body = this.#body(decision);
    if (!body) return;
    await this.send(decision, "POST", "/api/cases", body, this.matter.materials);
  }

  // One call that decides; the result replaces the form.
  async send(decision, method, path, body, materials) {
    this.busy = true;
    setText($("intake-error"), this.ctx.t("decide.busy"));
    this.render();
    let c;
    try {
      c = await api(method, path, { token: this.ctx.session.token, body });
    } catch (err) {
      this.busy = false;
      this.render();
      this.#serverError(err);
      return;
    }
    this.busy = false;
    setText($("intake-error"), "");
    this.result = { c, decision, materials };
    this.#showResult(true);
  }

  #showResult(focus) {
    const { c, decision, materials } = this.result;
    const first = renderResult(this.ctx, $("intake-result"), c, decision, materials, () => {
      this.reset();
      this.focus();
    });
    this.render();
    if (focus) first.focus();
  }

  // The request, or null when something must be put right first (each said beside it).
  #body(decision) {
    const { ctx } = this;
    const today = ctx.hall && ctx.hall.business_day;
    const problems = [];
    const need = (id, text) => {
      this.#fieldError(id, text);
      problems.push(id);
    };
    for (const id of TEXT_FIELDS) this.#fieldError(id, "");
    setText($("materials-error"), "");
    if (!this.matter) need("matter-q", ctx.t("matter.need"));
    const val = (id) => $(id).value.trim();
    if (!val("ap-name")) need("ap-name", ctx.t("ap.name_required"));
    const id = checkId(val("ap-id"), today);
    if (!id.ok) need("ap-id", ctx.t(id.error, id.vars));
    const phone = val("ap-phone") ? checkPhone(val("ap-phone")) : { ok: true, number: null };
    if (!phone.ok) need("ap-phone", ctx.t(phone.error, phone.vars));
    let collector = null;
    if ($("co-on").checked) {
      if (!val("co-name")) need("co-name", ctx.t("co.name_required"));
      const cid = checkId(val("co-id"), today);
      if (!cid.ok) need("co-id", ctx.t(cid.error, cid.vars));
      else collector = { name: val("co-name"), id_number: cid.number };
    }
    if (decision === "refuse" && !val("refuse-reason")) need("refuse-reason", ctx.t("decide.reason_required"));
    if (decision === "correction" && this.matter && !this.checklist.missing().length) {
      setText($("materials-error"), ctx.t("mat.nothing_missing"));
      problems.push("checklist");
    }
    if (problems.length) {
      setText($("intake-error"), ctx.t("decide.fix"));
      if (problems[0] === "checklist") this.checklist.focus();
      else $(problems[0]).focus();
      return null;
    }
    setText($("intake-error"), "");
    const t = this.work.ticket;
    return {
      hall: ctx.session.hall, matter: this.matter.code, decision,
      applicant: { name: val("ap-name"), id_number: id.number, phone: phone.number,
        address: val("ap-address") || null },
      materials: this.checklist.marks(), reason: val("refuse-reason") || null,
      ticket: t ? t.id : null, window: this.work.desk.id, collector,
    };
  }

  // A refusal from the server, beside the field it names when there is one.
  #serverError(err) {
    const text = this.ctx.errorText(err);
    const field = err.field || "";
    setText($("intake-error"), text);
    if (field.startsWith("materials.") && this.checklist.flag(field.slice(10))) {
      setText($("materials-error"), text);
      return;
    }
    const input = FIELD_INPUT[field];
    if (input && !$(input).closest("[hidden]")) {
      this.#fieldError(input, text);
      $(input).focus();
    }
  }

  #fieldError(id, text) {
    const input = $(id);
    const box = $(`${id === "matter-q" ? "matter" : id === "refuse-reason" ? "reason" : id}-error`);
    if (box) setText(box, text);
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}
