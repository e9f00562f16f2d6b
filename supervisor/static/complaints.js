// 投诉处理 at /supervise/complaints: a hall's supervisor (or an admin, choosing the hall)
// signs in, sees the complaints with each step's time, overdue ones marked by a sign and
// a word, and takes the next step of one: assign, record the investigation, answer (the
// citizen sees it, and gets it by SMS when a phone was left), close. The list carries no
// text: opening one complaint reads its texts (the complaint, the finding, the answer),
// and the server audits each such read; the unmasked contact is shown only on request,
// audited too.
//
// The sign-in, the hall and the view are supervise.js's, shared with /supervise.
import { $, h, setText } from "/static/console/dom.js";
import catalog from "./complaints_strings.js";
import { SupervisePage } from "./supervise.js";

const ACTIONS = { intake: "assign", assigned: "investigate", investigated: "answer", answered: "close" };

class ComplaintsPage extends SupervisePage {
  constructor() {
    super(catalog, "cp");
    this.board = null;
    this.current = null; // the complaint opened in the detail panel
  }

  when(iso) {
    return new Date(iso).toLocaleString(this.i18n.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: (this.board && this.board.tz) || undefined, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  bindPage() {
    $("d-contact-show").onclick = () => this.showContact();
    for (const action of Object.values(ACTIONS)) {
      $(`act-${action}`).onsubmit = (e) => { e.preventDefault(); this.act(action); };
    }
  }

  // --- the list -------------------------------------------------------------------------

  async load() {
    setText($("cp-list-error"), "");
    if (!this.hall) return;
    try {
      this.board = await this.call("GET",
        `/api/halls/${encodeURIComponent(this.hall)}/complaints?view=${this.view}`);
    } catch (e) {
      setText($("cp-list-error"), this.err(e));
      return;
    }
    this.renderList();
    if (this.current) {
      // Someone else took a step: read it again (an audited read), else keep what is shown.
      const again = this.board.complaints.find((c) => c.id === this.current.id);
      if (again && again.state !== this.current.state) await this.open(again, false);
    }
  }

  stepsText(c) {
    return c.steps.map((s) => (s.by
      ? this.t("step.by", { state: this.t(`state.${s.state}`), at: this.when(s.at), by: s.by })
      : this.t("step.citizen", { state: this.t(`state.${s.state}`), at: this.when(s.at),
        channel: this.t(`channel.${c.channel}`) })));
  }

  stateCell(c) {
    const cell = h("td", { class: "cp-state" }, h("span", { class: "cp-pill", "data-state": c.state },
      this.t(`state.${c.state}`)));
    if (c.overdue) {
      cell.append(" ", h("span", { class: "cp-overdue" }, h("span", { "aria-hidden": "true" }, "⚠ "),
        this.t("overdue")));
    }
    return cell;
  }

  renderList() {
    const list = this.board.complaints;
    const rows = list.map((c) => h("tr", { "data-id": c.id, class: c.overdue ? "late" : null },
      h("th", { scope: "row" }, h("button", { type: "button", class: "cp-open",
        "aria-label": this.t("open_label", { number: c.number }), onclick: () => this.open(c) }, c.number)),
      h("td", {}, `${this.t(`subject.${c.subject}`)}：${c.subject_label}`),
      this.stateCell(c),
      h("td", {}, h("ul", { class: "cp-steps" }, ...this.stepsText(c).map((x) => h("li", {}, x)))),
      h("td", {}, c.due_day)));
    $("cp-rows").replaceChildren(...rows);
    $("cp-empty").hidden = list.length > 0;
    setText($("cp-summary"), this.t("list.summary", { n: list.length, late: list.filter((c) => c.overdue).length }));
  }

  // --- one complaint ------------------------------------------------------------------

  async open(row, focus = true) {
    setText($("act-done"), "");
    setText($("act-error"), "");
    let c;
    try {
      c = await this.call("GET", `/api/complaints/${encodeURIComponent(row.id)}`);
    } catch (e) {
      setText($("cp-list-error"), this.err(e));
      return;
    }
    this.renderDetail(c);
    if (focus) $("cp-detail-title").focus();
  }

  closeDetail() {
    this.current = null;
    $("cp-detail").hidden = true;
  }

  renderDetail(c) {
    const changed = !this.current || this.current.id !== c.id;
    this.current = c;
    $("cp-detail").hidden = false;
    setText($("cp-detail-title"), c.number);
    $("cp-detail-state").replaceChildren(h("span", { class: "cp-pill", "data-state": c.state }, this.t(`state.${c.state}`)),
      " ", this.t("d.due", { day: c.due_day }),
      ...(c.overdue ? [" ", h("span", { class: "cp-overdue" }, h("span", { "aria-hidden": "true" }, "⚠ "), this.t("overdue"))] : []));
    setText($("d-subject"), `${this.t(`subject.${c.subject}`)}：${c.subject_label}`);
    setText($("d-filed"), `${this.when(c.filed_at)}（${this.t(`channel.${c.channel}`)}）`);
    const masked = [c.name_masked, c.phone_masked].filter(Boolean).join(" ");
    if (changed) setText($("d-contact"), masked || this.t("d.contact_none"));
    $("d-contact-show").hidden = !masked;
    setText($("d-assignee"), c.assignee_name || "—");
    setText($("d-text"), c.text);
    $("d-finding-box").hidden = !c.finding;
    setText($("d-finding"), c.finding || "");
    $("d-answer-box").hidden = !c.answer;
    setText($("d-answer"), c.answer || "");
    const next = ACTIONS[c.state];
    for (const action of Object.values(ACTIONS)) $(`act-${action}`).hidden = action !== next;
    if (next === "assign") {
      const people = this.board ? this.board.supervisors : [];
      $("a-assignee").replaceChildren(h("option", { value: "" }, this.t("a.choose")),
        ...people.map((p) => h("option", { value: p.id }, p.name)));
      if (this.session && people.some((p) => p.id === this.session.id)) $("a-assignee").value = this.session.id;
    }
  }

  async showContact() {
    setText($("act-error"), "");
    try {
      const r = await this.call("GET", `/api/complaints/${encodeURIComponent(this.current.id)}/contact`);
      setText($("d-contact"), `${[r.name, r.phone].filter(Boolean).join(" ")}${this.t("d.contact_note")}`);
      $("d-contact-show").hidden = true;
    } catch (e) {
      setText($("act-error"), this.err(e));
    }
  }

  async act(action) {
    const body = {};
    if (action === "assign") body.assignee = $("a-assignee").value || null;
    if (action === "investigate") body.finding = $("a-finding").value;
    if (action === "answer") body.answer = $("a-answer").value;
    const form = $(`act-${action}`);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    setText($("act-error"), "");
    setText($("act-done"), "");
    try {
      const c = await this.call("POST", `/api/complaints/${encodeURIComponent(this.current.id)}/${action}`, body);
      if (action === "investigate") $("a-finding").value = "";
      if (action === "answer") $("a-answer").value = "";
      this.renderDetail(c);
      setText($("act-done"), this.t(`a.done.${action}`));
      await this.load();
      $("cp-detail-title").focus();
    } catch (e) {
      setText($("act-error"), this.err(e));
    } finally {
      button.disabled = false;
    }
  }
}

const page = new ComplaintsPage();
window.__complaints = page;
page.boot();
