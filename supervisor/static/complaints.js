// 投诉处理 at /supervise/complaints: a hall's supervisor (or an admin, choosing the hall)
// signs in, sees the complaints with each step's time, overdue ones marked by a sign and
// a word, and takes the next step of one: assign, record the investigation, answer (the
// citizen sees it, and gets it by SMS when a phone was left), close. The list carries no
// text: opening one complaint reads its texts (the complaint, the finding, the answer),
// and the server audits each such read; the unmasked contact is shown only on request,
// audited too.
//
// The sign-in is kept in localStorage under "ow.supervise.session", which the follow-ups
// page (/supervise) shares, so moving between the two does not ask again.
import { errorText, makeI18n } from "/static/common/i18n.js";
import { $, h, setText } from "/static/console/dom.js";
import { api, onSessionLost, sessionStore, signIn, signOutServer } from "/static/console/session.js";
import catalog from "./complaints_strings.js";

const store = sessionStore("ow.supervise.session");
const MANAGERS = new Set(["supervisor", "admin"]);
const ACTIONS = { intake: "assign", assigned: "investigate", investigated: "answer", answered: "close" };

class ComplaintsPage {
  constructor() {
    this.i18n = makeI18n(catalog);
    this.session = null;
    this.hall = null;
    this.view = "open";
    this.board = null;
    this.current = null; // the complaint opened in the detail panel
  }

  t(key, vars) { return this.i18n.t(key, vars); }
  err(e) { return errorText(e, this.i18n.lang, (k, v) => this.t(k, v)); }
  call(method, path, body) {
    return api(method, path, { token: this.session && this.session.token, body });
  }

  when(iso) {
    return new Date(iso).toLocaleString(this.i18n.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: (this.board && this.board.tz) || undefined, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  boot() {
    this.i18n.apply();
    $("lang").onclick = () => {
      localStorage.setItem("ow.lang", this.i18n.lang === "zh" ? "en" : "zh");
      location.reload();
    };
    $("signout").onclick = () => this.signOut();
    $("signin-form").onsubmit = (e) => { e.preventDefault(); this.signIn(); };
    $("view-open").onclick = () => this.setView("open");
    $("view-all").onclick = () => this.setView("all");
    $("cp-refresh").onclick = () => this.load();
    $("cp-hall").onchange = () => { this.hall = $("cp-hall").value; this.closeDetail(); this.load(); };
    $("d-contact-show").onclick = () => this.showContact();
    for (const action of Object.values(ACTIONS)) {
      $(`act-${action}`).onsubmit = (e) => { e.preventDefault(); this.act(action); };
    }
    onSessionLost((token) => {
      if (this.session && this.session.token === token) this.end(this.t("signin.expired"));
    });
    document.body.classList.remove("loading");
    const s = store.load();
    if (!s) this.showSignin();
    else if (s.expired) this.showSignin(this.t("signin.expired"));
    else this.begin(s);
  }

  show(name) {
    for (const v of ["signin", "work"]) $(`view-${v}`).hidden = v !== name;
    const s = this.session;
    setText($("bar-who"), s ? this.t("who", { name: s.display_name, role: this.t(`role.${s.role}`) }) : "");
    $("signout").hidden = !s;
  }

  showSignin(message = "") {
    this.session = null;
    this.show("signin");
    setText($("signin-error"), message);
    $("signin-user").focus();
  }

  async signIn() {
    const button = $("signin-submit");
    button.disabled = true;
    setText(button, this.t("signin.busy"));
    setText($("signin-error"), "");
    try {
      const s = await signIn($("signin-user").value.trim(), $("signin-pass").value);
      $("signin-pass").value = "";
      if (!MANAGERS.has(s.role)) {
        signOutServer(s.token);
        return this.showSignin(this.t("signin.not_manager"));
      }
      if (s.must_change_password) {
        signOutServer(s.token);
        return this.showSignin(this.t("signin.change_password"));
      }
      store.save(s);
      await this.begin(s);
    } catch (e) {
      setText($("signin-error"), this.err(e));
    } finally {
      button.disabled = false;
      setText(button, this.t("signin.submit"));
    }
  }

  async begin(s) {
    this.session = s;
    this.show("work");
    this.hall = s.hall;
    if (s.role === "admin") await this.loadHalls();
    await this.load();
    $("cp-list-panel").focus();
  }

  async loadHalls() {
    try {
      const r = await this.call("GET", "/api/admin/halls");
      const halls = r.halls || r;
      $("cp-hall").replaceChildren(...halls.map((x) => h("option", { value: x.id }, x.name)));
      this.hall = this.hall || (halls[0] && halls[0].id);
      $("cp-hall").value = this.hall || "";
      $("cp-hall-box").hidden = false;
    } catch (e) {
      setText($("cp-list-error"), this.err(e));
    }
  }

  end(message) {
    store.clear();
    this.showSignin(message);
  }

  async signOut() {
    const token = this.session && this.session.token;
    store.clear();
    if (token) await signOutServer(token);
    this.showSignin();
  }

  setView(view) {
    this.view = view;
    $("view-open").setAttribute("aria-pressed", String(view === "open"));
    $("view-all").setAttribute("aria-pressed", String(view === "all"));
    this.load();
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
