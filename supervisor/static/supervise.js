// What both /supervise pages share: the supervisor's (or admin's) sign-in, kept in
// localStorage under "ow.supervise.session" so moving between the pages does not ask
// again; the hall choice for an admin; the open / all view; the page's language. A page
// extends SupervisePage with its own list (load), detail (closeDetail) and actions
// (bindPage), and names its elements by a prefix ("fu-", "cp-").
import { errorText, makeI18n } from "/static/common/i18n.js";
import { $, h, setText } from "/static/console/dom.js";
import { api, onSessionLost, sessionStore, signIn, signOutServer } from "/static/console/session.js";

const store = sessionStore("ow.supervise.session");
const MANAGERS = new Set(["supervisor", "admin"]);

export class SupervisePage {
  constructor(catalog, prefix) {
    this.i18n = makeI18n(catalog);
    this.prefix = prefix;
    this.session = null;
    this.hall = null;
    this.view = "open";
  }

  t(key, vars) { return this.i18n.t(key, vars); }
  err(e) { return errorText(e, this.i18n.lang, (k, v) => this.t(k, v)); }
  el(name) { return $(`${this.prefix}-${name}`); }
  call(method, path, body) {
    return api(method, path, { token: this.session && this.session.token, body });
  }

  // Overridden by each page.
  bindPage() {}
  async load() {}
  closeDetail() {}

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
    this.el("refresh").onclick = () => this.load();
    this.el("hall").onchange = () => { this.hall = this.el("hall").value; this.closeDetail(); this.load(); };
    this.bindPage();
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
    this.el("list-panel").focus();
  }

  async loadHalls() {
    try {
      const r = await this.call("GET", "/api/admin/halls");
      const halls = r.halls || r;
      this.el("hall").replaceChildren(...halls.map((x) => h("option", { value: x.id }, x.name)));
      this.hall = this.hall || (halls[0] && halls[0].id);
      this.el("hall").value = this.hall || "";
      this.el("hall-box").hidden = false;
    } catch (e) {
      setText(this.el("list-error"), this.err(e));
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
}
