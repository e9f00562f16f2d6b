// The admin console (/admin): sign-in (and the first password change), then one
// section per part of a hall's configuration beside a side navigation, and the audit log.
// Admins see and change everything; a supervisor changes their own hall's windows and
// calendar and reads the rest; clerks and officers are told they have no access.

import { errorText, makeI18n } from "/static/common/i18n.js";
import { $, setText } from "/static/console/dom.js";
import { AuditSection } from "./audit.js";
import { Client, clearSession, loadSession, request, saveSession } from "./api.js";
import { DepartmentsSection } from "./departments.js";
import { HallsSection } from "./halls.js";
import { MattersSection } from "./matters.js";
import { ServicesSection } from "./services.js";
import { StaffSection, passwordProblem } from "./staff.js";
import catalog from "./strings.js";
import { bindUi, clearErrors, h, showError, showProblems, tr, translate } from "./ui.js";
import { WindowsSection } from "./windows.js";

const VIEWS = ["signin", "password", "noaccess", "admin"];
const STAFF_ROLES = ["admin", "supervisor"];
const HALL_KEY = "ow.admin.hall";

class Admin {
  constructor() {
    this.i18n = makeI18n(catalog);
    bindUi(this);
    this.session = null;
    this.halls = [];
    this.departments = [];
    this.hallId = null;
    this.current = null;
    this.ending = false;
    this.client = new Client({
      token: () => (this.session ? this.session.token : null),
      onUnauthorized: () => this.end("signin.expired"),
      onPasswordRequired: () => this.askPassword(),
    });
    this.sections = {
      halls: new HallsSection(this),
      services: new ServicesSection(this),
      windows: new WindowsSection(this),
      departments: new DepartmentsSection(this),
      matters: new MattersSection(this),
      staff: new StaffSection(this),
      audit: new AuditSection(this),
    };
  }

  get lang() {
    return this.i18n.lang;
  }

  t(key, vars) {
    return this.i18n.t(key, vars);
  }

  errorText(err) {
    return errorText(err, this.lang, (k, v) => this.t(k, v));
  }

  // A name in the page's language: `name` is Chinese, `name_en` English when there is one.
  named(x) {
    if (!x) return "";
    return this.lang === "zh" ? x.name : x.name_en || x.name;
  }

  get role() {
    return this.session ? this.session.role : null;
  }

  get isAdmin() {
    return this.role === "admin";
  }

  get hall() {
    return this.halls.find((x) => x.id === this.hallId) || null;
  }

  hallName(id) {
    const x = this.halls.find((y) => y.id === id);
    return x ? x.name : id || "";
  }

  departmentName(id) {
    const d = this.departments.find((x) => x.id === id);
    return d ? this.named(d) : id || "";
  }

  // --- start -------------------------------------------------------------------------------

  boot() {
    translate();
    const host = $("sections");
    for (const s of Object.values(this.sections)) host.append(s.root);
    $("lang").addEventListener("click", () => this.toggleLang());
    $("signout").addEventListener("click", () => this.signOut());
    $("noaccess-signout").addEventListener("click", () => this.signOut());
    $("pw-cancel").addEventListener("click", () => this.signOut());
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.signIn();
    });
    $("pw-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.changePassword();
    });
    $("hall-select").addEventListener("change", (e) => this.setHall(e.target.value));
    window.addEventListener("hashchange", () => this.route());
    document.body.classList.remove("loading");
    const s = loadSession();
    if (!s) this.showSignin();
    else if (s.expired) this.showSignin("signin.expired");
    else this.resume(s);
  }

  show(name) {
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    document.body.dataset.view = name;
    this.renderBar();
  }

  showSignin(messageKey = null) {
    this.show("signin");
    const err = $("signin-error");
    err.owError = messageKey ? { key: messageKey } : null;
    setText(err, messageKey ? this.t(messageKey) : "");
    $("signin-user").focus();
  }

  async signIn() {
    const form = $("signin-form");
    clearErrors(form);
    const username = $("signin-user").value.trim();
    const password = $("signin-pass").value;
    const problems = [];
    if (!username) problems.push({ field: "username", key: "form.required" });
    if (!password) problems.push({ field: "password", key: "form.required" });
    if (showProblems(form, problems)) return;
    const button = $("signin-submit");
    button.disabled = true;
    tr(button, "signin.busy");
    try {
      const r = await request("POST", "/api/auth/login", { body: { username, password } });
      $("signin-pass").value = "";
      this.begin({ ...r, username });
    } catch (err) {
      const line = $("signin-error");
      line.owError = err;
      setText(line, this.errorText(err));
      $("signin-pass").select();
      $("signin-pass").focus();
    } finally {
      button.disabled = false;
      tr(button, "signin.submit");
    }
  }

  // A saved session: ask the server who it is (the role or hall may have changed).
  async resume(s) {
    this.session = s;
    try {
      const me = await this.client.get("/api/auth/me");
      this.begin({ ...s, ...me });
    } catch (err) {
      if (!this.session) return; // 401: already back at the sign-in
      this.showSignin();
      setText($("signin-error"), this.errorText(err));
    }
  }

  begin(session) {
    this.session = session;
    this.ending = false;
    saveSession(session);
    if (!STAFF_ROLES.includes(session.role)) return this.showNoAccess();
    if (session.must_change_password) return this.askPassword();
    this.enter();
  }

  showNoAccess() {
    this.show("noaccess");
    tr($("noaccess-text"), "noaccess.text", { role: this.t(`role.${this.role}`) });
    $("noaccess-signout").focus();
  }

  askPassword() {
    if (!this.session) return;
    this.session.must_change_password = true;
    saveSession(this.session);
    const form = $("pw-form");
    form.reset();
    clearErrors(form);
    this.show("password");
    $("pw-old").focus();
  }

  async changePassword() {
    const form = $("pw-form");
    clearErrors(form);
    const old = $("pw-old").value;
    const pw = $("pw-new").value;
    const again = $("pw-again").value;
    const problems = [];
    if (!old) problems.push({ field: "old_password", key: "form.required" });
    const bad = passwordProblem(pw);
    if (bad) problems.push({ field: "new_password", key: bad });
    else if (pw === old) problems.push({ field: "new_password", key: "pw.same" });
    if (pw && again !== pw) problems.push({ field: "confirm", key: "pw.mismatch" });
    if (showProblems(form, problems)) return;
    const button = $("pw-submit");
    button.disabled = true;
    try {
      const r = await this.client.post("/api/auth/password", { old_password: old, new_password: pw });
      form.reset();
      this.say("status.password_changed");
      this.begin({ ...this.session, ...r, must_change_password: false });
    } catch (err) {
      if (!this.session) return;
      const focus = showError(form, err);
      (focus || $("pw-old")).focus();
    } finally {
      button.disabled = false;
    }
  }

  async enter() {
    this.show("admin");
    const supervisor = !this.isAdmin;
    document.body.dataset.role = this.role;
    await Promise.all([this.loadHalls(), this.loadDepartments()]);
    if (!this.session) return;
    const saved = localStorage.getItem(HALL_KEY);
    const pick = supervisor
      ? this.session.hall
      : (this.halls.find((x) => x.id === saved) || this.halls[0] || {}).id || null;
    this.hallId = pick;
    this.renderHallPicker();
    this.renderBar();
    this.route(true);
  }

  async signOut() {
    if (this.session) {
      try {
        await request("POST", "/api/auth/logout", { token: this.session.token });
      } catch {
        // Signed out here either way; an unreachable server ends the token at its expiry.
      }
    }
    this.end("signin.signed_out");
  }

  end(messageKey) {
    if (this.ending) return;
    this.ending = true;
    clearSession();
    this.session = null;
    this.halls = [];
    this.departments = [];
    this.current = null;
    for (const s of Object.values(this.sections)) {
      s.root.hidden = true;
      s.loaded = false;
      if (s.editor && !s.editor.hidden) {
        s.editor.hidden = true;
        s.editor.replaceChildren();
        s.editing = undefined;
      }
    }
    setText($("status"), "");
    this.showSignin(messageKey);
  }

  // --- halls and departments (what every section names) ------------------------------------

  async loadHalls() {
    try {
      const r = await this.client.get("/api/admin/halls");
      this.halls = r.halls || [];
    } catch {
      this.halls = [];
    }
  }

  async loadDepartments() {
    try {
      const r = await this.client.get("/api/admin/departments");
      this.departments = r.departments || [];
    } catch {
      this.departments = [];
    }
  }

  renderHallPicker() {
    const sel = $("hall-select");
    const fixed = $("hall-fixed");
    const supervisor = !this.isAdmin;
    sel.hidden = supervisor;
    sel.previousElementSibling.hidden = supervisor;
    fixed.hidden = !supervisor;
    if (supervisor) {
      const hall = this.hall;
      tr(fixed, "nav.my_hall", { name: hall ? hall.name : this.hallId || "" });
      return;
    }
    sel.replaceChildren(
      ...this.halls.map((x) => h("option", { value: x.id }, x.name)),
    );
    if (this.hallId) sel.value = this.hallId;
  }

  setHall(id) {
    this.hallId = id;
    localStorage.setItem(HALL_KEY, id);
    this.renderHallPicker();
    this.renderBar();
    for (const s of Object.values(this.sections)) s.onHallChanged();
    if (this.current) this.current.refresh();
  }

  // After a hall was created or changed: read the halls again, keep the choice.
  async hallsChanged(selectId = null) {
    await this.loadHalls();
    if (selectId) {
      this.hallId = selectId;
      localStorage.setItem(HALL_KEY, selectId);
    }
    this.renderHallPicker();
    this.renderBar();
  }

  // --- the sections ----------------------------------------------------------------------

  route(initial = false) {
    if (!this.session || $("view-admin").hidden) return;
    let name = location.hash.replace(/^#/, "");
    if (!this.sections[name]) name = "halls";
    const next = this.sections[name];
    for (const [n, s] of Object.entries(this.sections)) s.root.hidden = n !== name;
    for (const a of document.querySelectorAll("#side-nav a[data-section]")) {
      if (a.dataset.section === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (this.current && this.current !== next) setText($("status"), "");
    this.current = next;
    document.body.dataset.section = name;
    next.refresh().then(() => {
      if (!initial && this.current === next) next.heading.focus();
    });
    if (initial) next.heading.focus();
  }

  // One line that says what just happened (role=status: read out, not interrupting).
  say(key, vars = null) {
    const el = $("status");
    if (!key) {
      delete el.dataset.i18n;
      setText(el, "");
    } else tr(el, key, vars);
  }

  // --- the top bar and the language -----------------------------------------------------------

  renderBar() {
    const s = this.session;
    const inside = s && !$("view-admin").hidden;
    setText($("bar-where"), inside && this.hall ? this.hall.name : "");
    setText($("bar-who"), s ? `${s.display_name || s.username || ""} · ${this.t(`role.${s.role}`)}` : "");
    $("signout").hidden = !s;
  }

  toggleLang() {
    localStorage.setItem("ow.lang", this.lang === "zh" ? "en" : "zh");
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(null, "", url);
    }
    this.i18n = makeI18n(catalog);
    translate();
    this.renderBar();
    this.renderHallPicker();
    for (const s of Object.values(this.sections)) if (s.loaded) s.render();
  }
}

const app = new Admin();
window.__admin = app;
app.boot();
