// The 网上申报 pane (W): the pre-review (预审) of what citizens filed online. The queue
// (GET /api/halls/{hall}/applications, the earliest first) is read when the pane opens
// and every 30 s while the console runs, so the button's badge tells how many wait with
// the pane shut too. Opening one reviews it in place of the list (prereview_review.js).
// Unlike intake it needs no ticket: the clerk does it between citizens, or paused (暂离).

import { $, dateIn, h, reconcile, setText, timeIn } from "./dom.js";
import { Review } from "./prereview_review.js";
import { api } from "./session.js";

const POLL_MS = 30000;

export class PreReviewPane {
  constructor(work) {
    this.work = work;
    this.ctx = work.ctx;
    this.apps = null;    // ApplicationOut[] waiting, or null before the first read
    this.error = null;   // the last read's failure (the list shown stays as it was)
    this.loading = false;
    this.seq = 0;
    this.timer = null;
    this.review = new Review(this);
  }

  get hallPath() {
    return `/api/halls/${encodeURIComponent(this.ctx.session.hall)}`;
  }

  bind() {
    $("pr-refresh").onclick = () => this.refresh();
    $("pr-list").onkeydown = (e) => this.#listKey(e);
    this.review.bind();
  }

  // While the console runs (the desk started): the badge is read now and kept fresh.
  start() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), POLL_MS);
    this.refresh();
  }

  // Signed out, or off to another window: the next desk draws its own list (these items'
  // handlers are this pane's), and no count is left on the button meanwhile.
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.seq += 1;
    this.review.close();
    this.apps = null;
    this.error = null;
    this.loading = false;
    $("pr-list").replaceChildren();
    setText($("pr-error"), "");
    this.render();
  }

  async refresh() {
    const mine = ++this.seq;
    this.loading = true;
    this.render();
    try {
      const r = await api("GET", `${this.hallPath}/applications`, { token: this.ctx.session.token });
      if (mine !== this.seq) return;
      this.apps = r.applications;
      this.error = null;
    } catch (err) {
      if (mine !== this.seq) return;
      this.error = err;
    }
    this.loading = false;
    this.#draw();
    this.render();
  }

  // The pane was asked for (W or the button): a fresh list, the first one focused.
  async opened() {
    this.focus();
    await this.refresh();
    const at = document.activeElement;
    const idle = at === $("pr-refresh") || !$("casework").contains(at);
    if (this.work.pane === "prereview" && !this.review.active && idle) this.focus();
  }

  focus() {
    if (this.review.active) return this.review.focus();
    ($("pr-list").querySelector("button") || $("pr-refresh")).focus();
  }

  // --- one application --------------------------------------------------------------

  open(id) {
    setText($("pr-error"), "");
    this.review.open(id);
  }

  // Back to the list (a fresh one), on the application just seen or the first.
  back() {
    const id = this.review.app ? this.review.app.id : null;
    this.review.close();
    this.render();
    const item = id && $("pr-list").querySelector(`li[data-key="${CSS.escape(id)}"] button`);
    (item || $("pr-list").querySelector("button") || $("pr-refresh")).focus();
    this.refresh();
  }

  // "Pre-review the next one": the earliest still waiting, or the list when none is.
  async next() {
    this.review.close();
    await this.refresh();
    const first = (this.apps || [])[0];
    if (first && this.work.pane === "prereview") return this.open(first.id);
    this.render();
    this.focus();
  }

  // An application could not be opened: said above the list, which is read again.
  failed(text) {
    this.review.close();
    setText($("pr-error"), text);
    this.render();
    this.focus();
    this.refresh();
  }

  // --- drawing -----------------------------------------------------------------------

  render() {
    const { ctx } = this;
    const n = this.apps ? this.apps.length : 0;
    $("pr-badge").hidden = !n;
    setText($("pr-badge-n"), String(n));
    setText($("pr-badge-text"), ctx.t("pr.badge", { n }));
    const status = this.error ? ctx.errorText(this.error)
      : this.apps === null ? (this.loading ? ctx.t("pr.loading") : "")
        : n ? ctx.t("pr.count", { n }) : ctx.t("pr.none");
    setText($("pr-status"), status);
    $("pr-queue").hidden = this.review.active;
    $("pr-queue").setAttribute("aria-busy", this.loading ? "true" : "false");
    $("pr-review").hidden = !this.review.active;
    this.review.render();
  }

  relabel() {
    this.#draw();
    this.review.relabel();
    this.render();
  }

  #draw() {
    const { ctx } = this;
    reconcile($("pr-list"), this.apps || [], (a) => a.id,
      (a) => h("li", {}, h("button", { type: "button", class: "pr-item", onclick: () => this.open(a.id) },
        h("span", { class: "pr-line" }, h("b", { class: "case-number" }), " ", h("span", { class: "pr-matter" }),
          " ", h("span", { class: "tag pr-again" })),
        h("span", { class: "pr-line muted" }))),
      (li, a) => {
        const [top, facts] = li.firstChild.children;
        setText(top.children[0], a.reference);
        setText(top.children[1], a.matter_name);
        top.children[2].hidden = !a.missing.length; // came back after a return
        setText(top.children[2], ctx.t("pr.again"));
        setText(facts, [ctx.t("pr.who", { who: `${a.applicant} ${a.id_masked}` }),
          ctx.t("pr.files", { n: a.files.length }),
          ctx.t("pr.submitted_at", { when: this.when(a.submitted_at) })].join(" · "));
        li.dataset.reference = a.reference;
      });
  }

  // An instant in the hall's time: "今天 09:30", or the day too when it is not today.
  when(iso) {
    if (!iso) return "";
    const tz = this.ctx.hall && this.ctx.hall.tz;
    const day = dateIn(iso, tz);
    const time = timeIn(iso, tz);
    const today = this.ctx.hall && this.ctx.hall.business_day;
    return day === today ? this.ctx.t("pr.today", { time }) : `${day} ${time}`;
  }

  #listKey(e) {
    const items = [...$("pr-list").querySelectorAll("button")];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    items[Math.max(0, Math.min(items.length - 1, to))].focus();
  }
}
