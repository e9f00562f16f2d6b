// Finding the matter (事项) at intake: by name or pinyin initials (GET /api/halls/{hall}/
// matters?q=, the server's search), the whole catalog while the box is empty, the matters
// this ticket's service takes in listed first. ↓ walks the list, Enter takes a matter
// (from the box: the first one listed).

import { $, h, setText } from "./dom.js";
import { api } from "./session.js";

const SEARCH_MS = 200;

export class MatterSearch {
  constructor(pane) {
    this.pane = pane;
    this.ctx = pane.ctx;
    this.matches = [];  // the matters listed
    this.seq = 0;
    this.timer = null;
  }

  bind() {
    $("matter-q").oninput = () => this.#soon();
    $("matter-q").onkeydown = (e) => this.#boxKey(e);
    $("matter-list").onkeydown = (e) => this.#listKey(e);
  }

  cancel() {
    clearTimeout(this.timer);
    this.seq += 1;
  }

  // A new ticket: the list is made again for its service when the pane opens.
  clear() {
    this.cancel();
    this.matches = [];
    $("matter-list").replaceChildren();
    setText($("matter-status"), "");
  }

  #soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run($("matter-q").value.trim()), SEARCH_MS);
  }

  async run(q) {
    const mine = ++this.seq;
    const work = this.pane.work;
    let found;
    if (!q) {
      found = await work.loadCatalog();
    } else {
      setText($("matter-status"), this.ctx.t("matter.loading"));
      try {
        found = (await api("GET", `${this.pane.hallPath}/matters?q=${encodeURIComponent(q)}`)).matters;
      } catch (err) {
        if (mine === this.seq) setText($("matter-status"), this.ctx.errorText(err));
        return;
      }
    }
    if (mine !== this.seq) return;
    const svc = work.ticket && work.ticket.service;
    const mineFirst = (m) => (m.intake_service === svc ? 0 : 1);
    this.#show([...(found || [])].sort((a, b) => mineFirst(a) - mineFirst(b)));
  }

  relabel() {
    this.#show(this.matches);
  }

  #show(list) {
    const { ctx } = this;
    this.matches = list;
    const work = this.pane.work;
    const svc = work.ticket && work.ticket.service;
    $("matter-list").replaceChildren(...list.map((m) => h("li", {},
      h("button", { type: "button", class: "matter-item", dataset: { code: m.code },
        onclick: () => this.pane.choose(m) },
      h("b", {}, m.name), " ", h("span", { class: "muted" }, m.code),
      m.intake_service === svc ? h("span", { class: "tag" }, ctx.t("matter.this_service")) : null))));
    $("matter-list").setAttribute("aria-label", ctx.t("matter.list"));
    setText($("matter-status"), list.length ? "" : ctx.t("matter.none"));
  }

  #boxKey(e) {
    const first = $("matter-list").querySelector("button");
    if (e.key === "ArrowDown" && first) {
      e.preventDefault();
      first.focus();
    } else if (e.key === "Enter") {
      e.preventDefault();
      e.stopPropagation(); // not the form's "next field"
      if (this.matches.length) this.pane.choose(this.matches[0]);
    }
  }

  #listKey(e) {
    const items = [...$("matter-list").querySelectorAll("button")];
    const i = items.indexOf(document.activeElement);
    if (i < 0 || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
    e.preventDefault();
    if (e.key === "ArrowUp" && i === 0) return $("matter-q").focus();
    items[Math.min(items.length - 1, i + (e.key === "ArrowDown" ? 1 : -1))].focus();
  }
}
