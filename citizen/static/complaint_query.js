// The complaint's answer on the phone (#query of /m/{hall}/complaint): the number and
// the query code go in a POST body, never the address;
// a wrong secret reads exactly as an unknown number (the server's words), and a number
// tried wrongly too often is locked for the day.
import { api, describe, el, lang, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const NUMBER = /^TS-[0-9A-Z]{1,16}-\d{8}-\d{4}$/;
// The server's alphabet (no 0/O, 1/I/L); typed in any case, with spaces or dashes.
const SECRET = /^[2-9A-HJKMNP-Z]{8}$/;
const STATES = ["intake", "assigned", "investigated", "answered", "closed"];

function when(iso, tz) {
  return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: tz || undefined, year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit",
  });
}

function normalNumber(raw) {
  return String(raw || "").normalize("NFKC").toUpperCase().replace(/\s/g, "").replace(/[‐-―−]/g, "-");
}

// The complaint as the citizen sees it: its state, each step's time, the answer.
export function complaintCard(c) {
  const done = new Map(c.steps.map((s) => [s.state, s.at]));
  const steps = el("ol", { class: "cp-steps" }, ...STATES.map((s) => {
    const at = done.get(s);
    return el("li", { class: at ? "cp-step done" : "cp-step", "data-state": s },
      el("span", { class: "cp-mark", "aria-hidden": "true", text: at ? "✔" : "○" }),
      el("span", { class: "cp-step-name", text: t(`cp.state.${s}`) }),
      el("span", { class: "sr-only", text: t(at ? "cp.step_done" : "cp.step_todo") }),
      at ? el("span", { class: "cp-step-at muted", text: ` ${when(at, c.tz)}` }) : null);
  }));
  const answer = c.answer
    ? el("p", { id: "cp-answer-text", class: "cp-answer-text", text: c.answer })
    : el("p", { class: "muted", text: t("cp.q.no_answer") });
  return el("article", { class: "card cp-card", "aria-labelledby": "cp-card-title" },
    el("div", { class: "case-head" },
      el("h2", { id: "cp-card-title", class: "case-matter", tabIndex: -1, text: c.number }),
      el("span", { class: "case-state", "data-tone": c.answer ? "done" : "live", text: t(`cp.state.${c.state}`) })),
    el("p", { class: "muted", text: t("cp.q.about", { label: c.subject_label }) }),
    c.answer ? null : el("p", { class: "muted", text: t("cp.q.due", { day: c.due_day }) }),
    el("h3", { class: "cp-sub", text: t("cp.q.answer") }), answer,
    el("h3", { class: "cp-sub", text: t("cp.q.progress") }), steps,
    el("h3", { class: "cp-sub", text: t("cp.q.text") }),
    el("p", { class: "cp-text", text: c.text }));
}

export class QueryForm {
  constructor() {
    this.busy = false;
  }

  start() {
    $("query").addEventListener("submit", (ev) => this.submit(ev));
    $("answer-again").addEventListener("click", () => this.again());
  }

  prefill(number, secret) {
    this.again();
    $("q-number").value = number;
    $("q-secret").value = secret;
  }

  error(id, message) {
    $(`${id}-error`).textContent = message || "";
    if (message) $(id).setAttribute("aria-invalid", "true");
    else $(id).removeAttribute("aria-invalid");
  }

  async submit(ev) {
    ev.preventDefault();
    if (this.busy) return;
    $("query-error").textContent = "";
    const number = normalNumber($("q-number").value);
    const secret = $("q-secret").value.normalize("NFKC").toUpperCase().replace(/[\s\-‐-―−]/g, "");
    this.error("q-number", NUMBER.test(number) ? "" : t("cp.q.err.number"));
    this.error("q-secret", SECRET.test(secret) ? "" : t("cp.q.err.secret"));
    if (!NUMBER.test(number)) { $("q-number").focus(); return; }
    if (!SECRET.test(secret)) { $("q-secret").focus(); return; }
    this.busy = true;
    $("query-submit").disabled = true;
    $("query-submit").textContent = t("cp.q.busy");
    try {
      const c = await api("POST", "/api/complaint-status", { body: { number, secret } });
      $("q-secret").value = "";
      $("answer-box").replaceChildren(complaintCard(c));
      $("query").hidden = true;
      $("answer").hidden = false;
      $("cp-card-title").focus();
    } catch (err) {
      const where = { number: "q-number", secret: "q-secret" }[err.error && err.error.field];
      if (where && err.status === 422) {
        this.error(where, describe(err));
        $(where).focus();
      } else {
        $("query-error").textContent = describe(err);
        $("query-error").tabIndex = -1;
        $("query-error").focus();
      }
    } finally {
      this.busy = false;
      $("query-submit").disabled = false;
      $("query-submit").textContent = t("cp.q.submit");
    }
  }

  again() {
    $("answer-box").replaceChildren();
    $("answer").hidden = true;
    $("query").hidden = false;
    $("q-number").value = "";
  }
}
