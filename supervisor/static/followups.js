// 差评整改 at /supervise: a hall's supervisor (or an admin, choosing the hall) signs in,
// sees the bad ratings waiting for follow-up by deadline, overdue ones marked by a sign
// and a word, and takes the next step of one: call the citizen back (the full number is
// shown only on request, and the server audits each such view), record the finding and
// the rectification, close with the response the citizen reads (and gets by SMS). A
// rating may be marked malicious, with a reason: it stays, out of the satisfaction rate.
//
// The sign-in, the hall and the view are supervise.js's, shared with /supervise/complaints.
import { $, h, setText } from "/static/console/dom.js";
import catalog from "./followups_strings.js";
import { PadsPanel } from "./pads.js";
import { SupervisePage } from "./supervise.js";

const NEXT = { open: "call_back", called_back: "rectify", rectified: "close" };
const enc = encodeURIComponent;

class FollowupsPage extends SupervisePage {
  constructor() {
    super(catalog, "fu");
    this.list = [];
    this.current = null;
    this.pads = new PadsPanel(this);
  }

  when(iso) {
    return iso ? new Date(iso).toLocaleString(this.i18n.lang === "en" ? "en-GB" : "zh-CN", {
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
    }) : "";
  }

  bindPage() {
    $("d-contact-show").onclick = () => this.showContact();
    for (const action of Object.values(NEXT)) {
      $(`act-${action}`).onsubmit = (e) => { e.preventDefault(); this.act(action); };
    }
    $("act-malicious").onsubmit = (e) => { e.preventDefault(); this.markMalicious(); };
  }

  // --- the list -------------------------------------------------------------------------

  async load() {
    setText($("fu-list-error"), "");
    if (!this.hall) return;
    try {
      const r = await this.call("GET", `/api/halls/${enc(this.hall)}/followups?view=${this.view}`);
      this.list = r.followups;
    } catch (e) {
      setText($("fu-list-error"), this.err(e));
      return;
    }
    this.renderList();
    this.pads.load();
    if (this.current) {
      const again = this.list.find((f) => f.id === this.current.id);
      if (again) this.renderDetail(again);
    }
  }

  what(f) {
    const r = f.rating;
    const head = r.ticket ? this.t("what.ticket", { number: r.ticket }) : this.t("what.case", { number: r.case });
    return r.window ? `${head} · ${this.t("what.window", { n: r.window })}` : head;
  }

  // The deadline's state in a sign and a word, not by colour alone.
  dueTags(f) {
    const out = [];
    if (f.colour === "red") {
      out.push(" ", h("span", { class: "fu-late" }, h("span", { "aria-hidden": "true" }, "⚠ "), this.t("overdue")));
    } else if (f.colour === "yellow") {
      out.push(" ", h("span", { class: "fu-soon" }, h("span", { "aria-hidden": "true" }, "▲ "), this.t("due_soon")));
    }
    if (f.days_left !== null && f.days_left >= 0) {
      out.push(h("div", { class: "muted" }, this.t("days_left", { n: f.days_left })));
    }
    return out;
  }

  dueCell(f) {
    return h("td", { class: "fu-due" }, f.due_day, ...this.dueTags(f));
  }

  renderList() {
    const rows = this.list.map((f) => {
      const r = f.rating;
      const level = h("td", {}, h("strong", {}, r.level_zh),
        r.malicious ? [" ", h("span", { class: "fu-bad" }, this.t("malicious"))] : null,
        h("p", { class: "fu-reasons" }, r.reasons.join("、")));
      return h("tr", { "data-id": f.id, class: f.colour === "red" ? "late" : null },
        h("th", { scope: "row" }, h("button", { type: "button", class: "fu-open ghost",
          "aria-label": this.t("open_label", { what: this.what(f) }), onclick: () => this.open(f) },
        this.what(f))),
        level,
        h("td", {}, h("span", { class: "fu-pill", "data-state": f.state }, f.state_zh)),
        this.dueCell(f));
    });
    $("fu-rows").replaceChildren(...rows);
    $("fu-empty").hidden = this.list.length > 0;
    setText($("fu-summary"), this.t("list.summary", { n: this.list.length,
      late: this.list.filter((f) => f.colour === "red").length }));
  }

  // --- one follow-up --------------------------------------------------------------------

  open(f) {
    setText($("act-done"), "");
    setText($("act-error"), "");
    this.renderDetail(f);
    $("fu-detail-title").focus();
  }

  closeDetail() {
    this.current = null;
    $("fu-detail").hidden = true;
  }

  renderDetail(f) {
    this.current = f;
    const r = f.rating;
    $("fu-detail").hidden = false;
    setText($("fu-detail-title"), this.what(f));
    $("fu-detail-state").replaceChildren(h("span", { class: "fu-pill", "data-state": f.state }, f.state_zh),
      " ", f.due_day, ...this.dueTags(f));
    // A pad rating after the clerk's 请评价 says so, with how long after service it came.
    const again = r.prompted_by === "reprompt"
      ? ` · ${this.t("d.reprompt", { min: Math.round((r.delay_s || 0) / 60) })}` : "";
    setText($("d-level"), `${r.level_zh} · ${this.t("d.rated", { channel: this.t(`channel.${r.channel}`), at: this.when(r.rated_at) })}${again}`);
    setText($("d-reasons"), r.reasons.join("、") || "—");
    // The citizen's words stay sealed until the audited view opens them with the phone.
    setText($("d-comment"), r.has_comment ? this.t("d.comment_sealed") : "—");
    setText($("d-where"), [r.service, r.business_day].filter(Boolean).join(" · "));
    setText($("d-contact"), f.contact || this.t("d.no_contact"));
    $("d-contact-show").hidden = !f.contact && !r.has_comment;
    setText($("d-malicious"), r.malicious ? `${this.t("malicious")}：${r.malicious_reason}` : this.t("d.not_malicious"));
    const history = [];
    if (f.called_back_at) history.push(this.t("h.call", { at: this.when(f.called_back_at), note: f.call_note || "—" }));
    if (f.rectified_at) {
      history.push(this.t("h.rectified", { at: this.when(f.rectified_at), finding: f.finding,
        rectification: f.rectification }));
    }
    if (f.closed_at) history.push(this.t("h.response", { at: this.when(f.closed_at), response: f.response }));
    $("d-history").replaceChildren(...history.map((x) => h("p", {}, x)));
    const next = NEXT[f.state];
    for (const action of Object.values(NEXT)) $(`act-${action}`).hidden = action !== next;
    $("act-malicious").hidden = r.malicious;
  }

  async showContact() {
    const f = this.current;
    if (!f) return;
    try {
      const c = await this.call("GET", `/api/followups/${enc(f.id)}/contact`);
      setText($("d-contact"), c.phone || this.t("d.no_contact"));
      setText($("d-comment"), c.comment || "—");
      $("d-contact-show").hidden = true;
    } catch (e) {
      setText($("act-error"), this.err(e));
    }
  }

  async act(action) {
    const f = this.current;
    if (!f) return;
    const body = {
      call_back: () => ({ note: $("a-note").value }),
      rectify: () => ({ finding: $("a-finding").value, rectification: $("a-rectification").value }),
      close: () => ({ response: $("a-response").value }),
    }[action]();
    setText($("act-error"), "");
    setText($("act-done"), "");
    try {
      const after = await this.call("POST", `/api/followups/${enc(f.id)}/${action}`, body);
      for (const id of ["a-note", "a-finding", "a-rectification", "a-response"]) $(id).value = "";
      setText($("act-done"), this.t(`done.${action}`));
      this.renderDetail(after);
      await this.load();
    } catch (e) {
      setText($("act-error"), this.err(e));
    }
  }

  async markMalicious() {
    const f = this.current;
    if (!f) return;
    setText($("act-error"), "");
    try {
      await this.call("POST", `/api/ratings/${enc(f.rating.id)}/malicious`, { reason: $("a-malicious").value });
      $("a-malicious").value = "";
      setText($("act-done"), this.t("done.malicious"));
      await this.load();
    } catch (e) {
      setText($("act-error"), this.err(e));
    }
  }
}

new FollowupsPage().boot();
