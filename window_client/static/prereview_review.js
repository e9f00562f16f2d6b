// One online application under pre-review: its facts (masked), the matter's materials
// each with the files the citizen uploaded (prereview_files.js) and a mark (已收 / 缺 /
// 容缺: intake's checklist; uploaded starts as received, the rest as missing), then 受理 —
// a case, accepted, its 受理编号 and promised day shown as intake shows them — or 退回补正:
// the materials marked 缺 are the one-time list the citizen is texted; an empty list is
// refused here, before anything is sent.

import { renderResult } from "./case_result.js";
import { Checklist } from "./checklist.js";
import { $, typedFormKeys, h, setText } from "./dom.js";
import { FileViewer } from "./prereview_files.js";
import { api } from "./session.js";

export class Review {
  constructor(pane) {
    this.pane = pane;
    this.ctx = pane.ctx;
    this.app = null;        // the ApplicationOut under review
    this.materials = [];    // its matter's materials
    this.result = null;     // {kind: accept | return, r} once decided
    this.loading = false;
    this.busy = false;
    this.seq = 0;
    this.files = new FileViewer(this.ctx);
    this.checklist = new Checklist(this.ctx, $("pr-checklist"),
      { detail: (m) => this.files.list(this.app, m) });
  }

  get active() {
    return this.loading || !!this.app;
  }

  bind() {
    const form = $("pr-form");
    form.onsubmit = (e) => {
      e.preventDefault();
      this.decide(e.submitter ? e.submitter.value : "accept");
    };
    form.onkeydown = typedFormKeys(form, () => this.decide("accept"));
    $("pr-back").onclick = () => this.pane.back();
    $("pr-note").oninput = () => this.#noteError("");
  }

  async open(id) {
    const { ctx, pane } = this;
    this.close();
    const mine = ++this.seq;
    this.loading = true;
    pane.render();
    $("pr-back").focus();
    let app;
    let materials;
    try {
      app = await api("GET", `${pane.hallPath}/applications/${encodeURIComponent(id)}`,
        { token: ctx.session.token });
      if (app.state === "submitted") materials = await this.#materials(app);
    } catch (err) {
      if (mine === this.seq) pane.failed(ctx.errorText(err));
      return;
    }
    if (mine !== this.seq) return;
    this.loading = false;
    if (app.state !== "submitted") return pane.failed(ctx.t("pr.gone", { state: this.#state(app) }));
    this.app = app;
    this.materials = materials;
    const uploaded = new Set(app.files.map((f) => f.material));
    this.checklist.show(materials, Object.fromEntries(materials.map((m) =>
      [m.key, uploaded.has(m.key) ? "received" : "missing"])));
    $("pr-note").value = "";
    this.#noteError("");
    this.#busy(false);
    setText($("pr-materials-error"), "");
    pane.render();
    this.checklist.focus();
  }

  // The matter's materials as it lists them now; a matter since disabled is no longer
  // served: the materials this application names, by what the server called them.
  async #materials(app) {
    try {
      return (await api("GET", `${this.pane.hallPath}/matters/${encodeURIComponent(app.matter)}`)).materials;
    } catch (err) {
      if (err.status !== 404) throw err;
      const names = new Map(app.missing.map((x) => [x.key, x.name]));
      const keys = [...new Set([...app.files.map((f) => f.material), ...names.keys()])];
      return keys.map((key) => ({ key, name: names.get(key) || key, originals: 1, copies: 0,
        required: true, waivable: false }));
    }
  }

  close() {
    this.seq += 1;
    this.files.reset();
    this.app = null;
    this.result = null;
    this.loading = false;
    $("pr-result").replaceChildren();
  }

  // Which parts show: the form while deciding, the result once decided (pane.render).
  render() {
    const decided = !!this.result;
    $("pr-form").hidden = !this.app || decided;
    $("pr-result").hidden = !decided;
    $("pr-facts").hidden = !this.app || decided; // the result says them
    if (this.app) this.#head();
    else setText($("pr-title"), this.loading ? this.ctx.t("pr.loading_one") : "");
    if (!this.app) $("pr-last").hidden = true;
    $("pr-review").setAttribute("aria-busy", this.loading ? "true" : "false");
  }

  focus() {
    if (this.result) return $("pr-result-again").focus();
    if (this.app) return this.checklist.focus();
    $("pr-back").focus();
  }

  relabel() {
    if (!this.app) return;
    this.checklist.relabel();
    this.files.relabel();
    if (this.result) this.#showResult(false);
  }

  #state(a) {
    return this.ctx.lang === "zh" && a.state_zh ? a.state_zh : this.ctx.t(`astate.${a.state}`);
  }

  #head() {
    const { ctx, app } = this;
    setText($("pr-title"), ctx.t("pr.title", { reference: app.reference }));
    const state = this.result && this.result.kind === "accept" ? { state: "accepted" }
      : this.result ? this.result.r : app;
    setText($("pr-state"), this.#state(state));
    $("pr-state").dataset.state = state.state;
    const fact = (label, value) => (value ? h("div", {}, h("dt", {}, ctx.t(label)), h("dd", {}, value)) : null);
    $("pr-facts").replaceChildren(...[
      fact("pr.matter", app.matter_name),
      fact("pr.applicant", `${app.applicant} ${app.id_masked}`),
      fact("pr.phone", app.phone_masked),
      fact("pr.submitted", this.pane.when(app.submitted_at)),
    ].filter(Boolean));
    const last = app.missing.length && !this.result;
    $("pr-last").hidden = !last;
    setText($("pr-last"), last ? ctx.t("pr.last", { items: app.missing.map((x) => x.name).join("、") })
      + (app.note ? ctx.t("pr.last_note", { note: app.note }) : "") : "");
  }

  // --- deciding ----------------------------------------------------------------------

  async decide(kind) {
    const { ctx, app } = this;
    if (this.busy || !app || this.result) return;
    setText($("pr-materials-error"), "");
    this.#noteError("");
    this.checklist.unflag();
    const id = encodeURIComponent(app.id);
    let path = `/api/applications/${id}/accept`;
    let body = { materials: this.checklist.marks() };
    if (kind === "return") {
      const missing = this.checklist.missing();
      if (!missing.length) {
        setText($("pr-materials-error"), ctx.t("pr.nothing_missing"));
        setText($("pr-decide-error"), ctx.t("pr.fix"));
        this.checklist.focus();
        return;
      }
      path = `/api/applications/${id}/return`;
      body = { missing: missing.map((m) => m.key), note: $("pr-note").value.trim() || null };
    }
    this.#busy(true);
    let r;
    try {
      r = await api("POST", path, { token: ctx.session.token, body });
    } catch (err) {
      if (this.app !== app) return;
      this.#busy(false);
      this.#serverError(err);
      return;
    }
    if (this.app !== app) return;
    this.#busy(false);
    this.result = { kind, r };
    this.#showResult(true);
    this.pane.refresh(); // the badge counts one less
  }

  #busy(on) {
    this.busy = on;
    setText($("pr-decide-error"), on ? this.ctx.t("pr.busy") : "");
    for (const b of $("pr-form").querySelectorAll("button[type=submit]")) b.disabled = on;
    $("pr-form").setAttribute("aria-busy", on ? "true" : "false");
  }

  // A refusal from the server, beside what it names: a material, the list, the note.
  #serverError(err) {
    const text = this.ctx.errorText(err);
    setText($("pr-decide-error"), text);
    const field = err.field || "";
    if (field.startsWith("materials.") && this.checklist.flag(field.slice(10))) {
      setText($("pr-materials-error"), text);
    } else if (field === "missing") {
      setText($("pr-materials-error"), text);
      this.checklist.focus();
    } else if (field === "reason" || field === "note") {
      this.#noteError(text);
      $("pr-note").focus();
    } else {
      $("pr-accept").focus();
    }
  }

  #noteError(text) {
    setText($("pr-note-error"), text);
    if (text) $("pr-note").setAttribute("aria-invalid", "true");
    else $("pr-note").removeAttribute("aria-invalid");
  }

  #showResult(focus) {
    const { ctx } = this;
    const { kind, r } = this.result;
    const box = $("pr-result");
    const again = () => this.pane.next();
    let first;
    if (kind === "accept") {
      first = renderResult(ctx, box, r, "accept", this.materials, again,
        { prefix: "pr-result", next: "pr.next" });
    } else {
      first = this.#returned(box, r, again);
    }
    this.render();
    if (focus) first.focus();
  }

  // 退回补正: every item the citizen was texted, at once.
  #returned(box, a, again) {
    const { ctx } = this;
    const fact = (label, value, cls = null) =>
      h("div", {}, h("dt", {}, ctx.t(label)), h("dd", { class: cls }, value));
    const next = h("button", { type: "button", id: "pr-result-again", class: "quiet", onclick: again },
      ctx.t("pr.next"));
    box.replaceChildren(
      h("h3", { id: "pr-result-title" }, ctx.t("pr.returned")),
      h("dl", { class: "result-facts" },
        fact("pr.reference", a.reference, "case-number"),
        fact("pr.state", h("span", { class: "pill case-pill", dataset: { state: a.state } }, this.#state(a))),
        fact("pr.matter", a.matter_name),
        fact("pr.applicant", `${a.applicant} ${a.id_masked}`)),
      h("h4", {}, ctx.t("pr.returned_missing", { n: a.missing.length })),
      h("ol", { class: "missing-list" }, ...a.missing.map((x) => h("li", { dataset: { key: x.key } }, h("b", {}, x.name)))),
      a.note ? h("p", {}, h("span", { class: "muted" }, `${ctx.t("pr.note_sent")}：`), a.note) : null,
      a.phone_masked ? h("p", { class: "pr-sms" }, ctx.t("pr.returned_sms", { phone: a.phone_masked })) : null,
      h("p", { class: "result-next" }, next));
    box.dataset.state = "returned";
    box.dataset.number = a.reference;
    return next;
  }
}
