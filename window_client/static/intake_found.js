// A case in correction (待补正), found by its 受理编号 when the citizen comes back with
// what the one-time notice listed: its checklist as it was left, to complete and accept
// (or refuse, with a reason). GET /api/halls/{hall}/cases?number= finds it.

import { $, setText } from "./dom.js";
import { api } from "./session.js";

export class FoundCase {
  constructor(pane) {
    this.pane = pane;
    this.ctx = pane.ctx;
    this.c = null;          // the CaseOut found, in correction
    this.materials = [];    // its matter's materials
    this.seq = 0;
  }

  bind() {
    $("lookup-form").onsubmit = (e) => {
      e.preventDefault();
      this.lookup();
    };
    $("lookup-number").oninput = () => this.#problem("");
    $("found-new").onclick = () => {
      this.pane.reset();
      this.pane.focus();
    };
  }

  clear() {
    this.seq += 1;
    this.c = null;
    this.materials = [];
  }

  focusLookup() {
    $("lookup-number").focus();
    $("lookup-number").select();
  }

  async lookup() {
    const { ctx, pane } = this;
    const number = $("lookup-number").value.trim().toUpperCase();
    if (!number) return this.#problem(ctx.t("lookup.need"));
    const mine = ++this.seq;
    const go = $("lookup-go");
    go.disabled = true;
    setText($("lookup-error"), ctx.t("lookup.busy"));
    let c;
    let materials;
    try {
      c = await api("GET", `${pane.hallPath}/cases?number=${encodeURIComponent(number)}`,
        { token: ctx.session.token });
      if (c.state === "correction") materials = await this.#materials(c);
    } catch (err) {
      if (mine === this.seq) this.#problem(ctx.errorText(err));
      return;
    } finally {
      go.disabled = false;
    }
    if (mine !== this.seq) return;
    if (c.state !== "correction") {
      return this.#problem(ctx.t("lookup.not_correction", { number: c.number, state: this.#state(c) }));
    }
    this.#problem("");
    this.c = c;
    this.materials = materials;
    pane.matter = null;
    pane.checklist.show(materials, c.checklist || {});
    this.relabel();
    pane.render();
    pane.checklist.focus();
  }

  // The matter's materials (counts, 容缺) for the checklist; a matter since disabled is
  // no longer listed: its checklist's keys, named where the notice named them.
  async #materials(c) {
    const listed = (await this.pane.work.loadCatalog()).find((m) => m.code === c.matter);
    if (listed) return listed.materials;
    try {
      return (await api("GET", `${this.pane.hallPath}/matters/${encodeURIComponent(c.matter)}`)).materials;
    } catch {
      const names = new Map(c.missing.map((x) => [x.key, x.name]));
      return Object.keys(c.checklist || {}).map((key) => ({ key, name: names.get(key) || key,
        originals: 1, copies: 0, required: true, waivable: false }));
    }
  }

  relabel() {
    const { ctx, c } = this;
    if (!c) return;
    setText($("found-title"), ctx.t("lookup.found", { number: c.number }));
    setText($("found-facts"), ctx.t("lookup.found_facts", { matter: c.matter_name,
      who: `${c.applicant} ${c.id_masked}`, n: c.missing.length }));
  }

  async decide(decision) {
    const { ctx, pane, c } = this;
    const reason = $("refuse-reason").value.trim();
    if (decision === "refuse") {
      if (!reason) {
        setText($("reason-error"), ctx.t("decide.reason_required"));
        $("refuse-reason").setAttribute("aria-invalid", "true");
        $("refuse-reason").focus();
        return;
      }
      return pane.send("refuse", "POST", `/api/cases/${encodeURIComponent(c.id)}/refuse`,
        { reason }, this.materials);
    }
    return pane.send("accept", "POST", `/api/cases/${encodeURIComponent(c.id)}/accept`,
      { materials: pane.checklist.marks() }, this.materials);
  }

  #state(c) {
    return this.ctx.lang === "zh" && c.state_zh ? c.state_zh : this.ctx.t(`cstate.${c.state}`);
  }

  #problem(text) {
    setText($("lookup-error"), text);
    if (text) $("lookup-number").setAttribute("aria-invalid", "true");
    else $("lookup-number").removeAttribute("aria-invalid");
    if (text) $("lookup-number").focus();
  }
}
