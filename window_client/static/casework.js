// Case work beside the queue (一窗受理 · 统一出件 · 网上申报): one panel under the clerk's
// action buttons with three panes, intake (I, and L to find a case in correction by its
// number), pickup (H) and the pre-review of online applications (W). The first two belong
// to the ticket being served: a new ticket starts them afresh, and a ticket of a service
// that some matter hands results out at opens the pickup pane by itself with that
// citizen's results. Pre-review needs no ticket (prereview.js).
//
// Inside the panel the queue's one-letter keys are off (the clerk is typing); Esc gives
// them back, leaving the panel as it is.

import { $, setText } from "./dom.js";
import { IntakePane } from "./intake.js";
import { PickupPane } from "./pickup.js";
import { PreReviewPane } from "./prereview.js";
import { api } from "./session.js";

export const CASE_OPS = new Set(["intake", "pickup", "lookup", "prereview"]);

export class CaseWork {
  constructor(desk) {
    this.desk = desk;
    this.ctx = desk.ctx;
    this.pane = null;         // "intake" | "pickup" | "prereview" | null (closed)
    this.catalog = null;      // the hall's matters (public list)
    this.catalogAt = 0;
    this.seen = null;         // the ticket id the panes were last set up for
    this.lang = null;
    this.intake = new IntakePane(this);
    this.pickup = new PickupPane(this);
    this.prereview = new PreReviewPane(this);
    this.onKey = (e) => this.#key(e);
  }

  // The ticket being served (started, not just called), or null.
  get ticket() {
    const t = this.desk.st.ticket;
    return t && t.state === "serving" && t.id ? t : null;
  }

  start() {
    $("casework").addEventListener("keydown", this.onKey);
    $("casework-close").onclick = () => this.close();
    this.intake.bind();
    this.pickup.bind();
    this.prereview.bind();
    this.intake.reset();
    this.pickup.clear();
    this.lang = this.ctx.lang;
    this.loadCatalog();
    this.prereview.start(); // its badge counts while the console runs
  }

  stop() {
    $("casework").removeEventListener("keydown", this.onKey);
    this.intake.unbind();
    this.prereview.stop();
    this.close(false);
  }

  // The hall's matters: which services hand results out, and the search's default list.
  // Re-read after a configuration change (stale) or five minutes.
  async loadCatalog() {
    if (this.catalog && Date.now() - this.catalogAt < 300000) return this.catalog;
    try {
      const r = await api("GET", `/api/halls/${encodeURIComponent(this.ctx.session.hall)}/matters`);
      this.catalog = r.matters;
      this.catalogAt = Date.now();
      this.sync();
    } catch {
      // the search asks the server again; pickup still opens with H
    }
    return this.catalog || [];
  }

  onConfig() {
    this.catalogAt = 0;
    this.loadCatalog();
  }

  isPickupTicket(t) {
    return !!(t && this.catalog && this.catalog.some((m) => m.pickup_service === t.service));
  }

  // A key or a button asked for a pane (the desk checked that it may open now).
  open(op) {
    if (op === "prereview") {
      this.#show("prereview");
      this.prereview.opened();
      return;
    }
    if (op === "pickup") {
      this.#show("pickup");
      this.pickup.focus();
      // Once the list is there, its first field — unless the clerk has started typing.
      const find = $("pickup-id");
      this.pickup.forTicket().then(() => {
        const idle = document.activeElement === find && !find.value;
        if (this.pane === "pickup" && idle) this.pickup.focus();
      });
      return;
    }
    this.#show("intake");
    if (op === "lookup" && !this.intake.result) this.intake.found.focusLookup();
    else this.intake.focus();
  }

  close(refocus = true) {
    const inside = $("casework").contains(document.activeElement);
    this.pane = null;
    $("casework").hidden = true;
    $("view-work").classList.remove("casework-open");
    this.#expanded();
    if (refocus && inside) document.activeElement.blur();
  }

  #show(name) {
    this.pane = name;
    $("casework").hidden = false;
    $("casework").dataset.pane = name;
    $("view-work").classList.add("casework-open");
    $("pane-intake").hidden = name !== "intake";
    $("pane-pickup").hidden = name !== "pickup";
    $("pane-prereview").hidden = name !== "prereview";
    this.#titles();
    this.#expanded();
    this.#renderPane();
  }

  #titles() {
    if (!this.pane) return;
    setText($("casework-title"), this.ctx.t(`case.title.${this.pane}`));
    setText($("casework-keys"), this.ctx.t(`case.keys.${this.pane}`));
  }

  #expanded() {
    for (const b of $("actions").querySelectorAll(".case-act")) {
      b.setAttribute("aria-expanded", String(this.pane === b.dataset.op));
    }
  }

  // Every render of the desk: follow the ticket, and the language.
  sync() {
    const t = this.ticket;
    const id = t ? t.id : null;
    if (id !== this.seen) {
      this.seen = id;
      this.intake.reset();
      this.pickup.clear();
      if (this.pane === "intake" && !t) this.close();
      if (this.pane === "pickup") this.pickup.forTicket();
      if (t && this.isPickupTicket(t)) {
        this.#show("pickup");
        this.pickup.forTicket();
      }
    } else if (t && this.isPickupTicket(t) && this.pane === null && this.pickup.key === null) {
      // The catalog came after the ticket: open now, once.
      this.#show("pickup");
      this.pickup.forTicket();
    }
    // A closed window ends case work; a paused one (暂离) only the ticket's, not pre-review.
    const w = this.desk.st.win;
    const away = !w || w.state === "closed" || (w.state === "paused" && this.pane !== "prereview");
    if (this.pane && away) this.close();
    if (this.lang !== this.ctx.lang) {
      this.lang = this.ctx.lang;
      this.intake.relabel();
      this.pickup.relabel();
      this.prereview.relabel();
      this.#titles();
    } else {
      this.#renderPane();
    }
  }

  #renderPane() {
    if (this.pane === "intake") this.intake.render();
    else if (this.pane === "pickup") this.pickup.render();
    else if (this.pane === "prereview") this.prereview.render();
  }

  #key(e) {
    if (e.key !== "Escape" || document.querySelector("dialog[open]")) return;
    e.preventDefault();
    e.stopPropagation();
    // Back to the queue keys; the panel stays as it is (✕ or the button closes it).
    if (document.activeElement) document.activeElement.blur();
  }
}
