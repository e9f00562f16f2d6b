// 投诉建议 at /m/{hall}/complaint: file a complaint about a window, a clerk, a matter or
// the hall (the windows and matters read from the public API), with an optional
// contact; the answer is looked up on the same page (#query, complaint_query.js) with
// the complaint number and the query code given here once (and texted to a phone left).
import { api, describe, el, i18n, t, wireLangSwitch } from "./common.js";
import { normalPhone } from "./idcheck.js";
import { QueryForm } from "./complaint_query.js";

const HALL = document.body.dataset.hall;
const $ = (id) => document.getElementById(id);
const S = { busy: false, loaded: false };
const query = new QueryForm();
window.__complaint = S;

function subject() {
  const checked = document.querySelector('input[name="subject"]:checked');
  return checked ? checked.value : null;
}

function showWhich() {
  const s = subject();
  for (const kind of ["window", "clerk", "matter"]) $(`which-${kind}`).hidden = s !== kind;
  $("subject-error").textContent = "";
  $("which-error").textContent = "";
}

function options(select, items) {
  select.replaceChildren(el("option", { value: "", text: t("cp.choose") }),
    ...items.map(([value, text]) => el("option", { value, text })));
}

// The hall's windows and matters for the two pickers (best effort: a failure leaves
// "choose" only, and the server says what is wrong if a choice is missing).
async function loadChoices() {
  try {
    const hall = await api("GET", `/api/halls/${encodeURIComponent(HALL)}`);
    options($("window"), [...hall.windows].sort((a, b) => a.number - b.number)
      .map((w) => [w.id, w.name.includes(String(w.number)) ? w.name : t("cp.window_n", { n: w.number, name: w.name })]));
  } catch { options($("window"), []); }
  try {
    const list = await api("GET", `/api/halls/${encodeURIComponent(HALL)}/matters`);
    options($("matter"), list.matters.map((m) => [m.code, m.name]));
  } catch { options($("matter"), []); }
}

function countText() {
  $("text-count").textContent = t("cp.count", { n: $("text").value.trim().length });
}

function fieldError(id, message, input = id) {
  $(`${id}-error`).textContent = message || "";
  if (!$(input)) return;
  if (message) $(input).setAttribute("aria-invalid", "true");
  else $(input).removeAttribute("aria-invalid");
}

function readForm() {
  const s = subject();
  const which = { window: $("window").value, clerk: $("clerk").value.trim(), matter: $("matter").value }[s];
  const text = $("text").value.trim();
  const raw = $("phone").value.trim();
  const phone = raw ? normalPhone(raw) : "";
  fieldError("subject", s ? "" : t("cp.err.subject"), null);
  fieldError("which", s && s !== "hall" && !which ? t("cp.err.which") : "", s === "hall" ? null : s);
  fieldError("text", !text ? t("cp.err.text") : text.length > 1000 ? t("cp.err.text_long", { n: text.length }) : "");
  fieldError("phone", phone === null ? t("phone.format") : "");
  if (!s) return { focus: document.querySelector('input[name="subject"]') };
  if (s !== "hall" && !which) return { focus: $(s) };
  if (!text || text.length > 1000) return { focus: $("text") };
  if (phone === null) return { focus: $("phone") };
  const body = { subject: s, text, channel: "phone" };
  if (s !== "hall") body.subject_id = which;
  const name = $("name").value.trim();
  if (name || phone) body.contact = { name: name || null, phone: phone || null };
  return { body };
}

async function submit(ev) {
  ev.preventDefault();
  if (S.busy) return;
  $("file-error").textContent = "";
  const got = readForm();
  if (got.focus) { got.focus.focus(); return; }
  S.busy = true;
  $("file-submit").disabled = true;
  $("file-submit").textContent = t("cp.busy");
  try {
    const r = await api("POST", `/api/halls/${encodeURIComponent(HALL)}/complaints`, { body: got.body });
    S.phoneLeft = Boolean(got.body.contact && got.body.contact.phone);
    filed(r);
  } catch (err) {
    const f = err.error && err.error.field;
    const where = { text: "text", "contact.phone": "phone", subject: "subject", subject_id: "which" }[f];
    if (where && err.status === 422) {
      fieldError(where, describe(err), where === "which" ? subject() : where === "subject" ? null : where);
      (where === "which" ? $(subject()) : where === "subject" ? document.querySelector('input[name="subject"]') : $(where)).focus();
    } else {
      $("file-error").textContent = describe(err);
      $("file-error").tabIndex = -1;
      $("file-error").focus();
    }
  } finally {
    S.busy = false;
    $("file-submit").disabled = false;
    $("file-submit").textContent = t("cp.submit");
  }
}

function filed(r) {
  const c = r.complaint;
  $("filed-number").textContent = c.number;
  $("filed-code").textContent = r.query_code;
  $("filed-help").textContent = t(S.phoneLeft ? "cp.filed_phone_help" : "cp.filed_code_help");
  $("filed-due").textContent = t("cp.filed_due", { day: c.due_day });
  S.last = { number: c.number, code: r.query_code };
  $("file").hidden = true;
  $("filed").hidden = false;
  $("filed-title").focus();
}

function again() {
  $("file").reset();
  countText();
  showWhich();
  $("filed").hidden = true;
  $("file").hidden = false;
  document.querySelector('input[name="subject"]').focus();
}

// #file or #query: which half of the page shows (a link from the hall page may ask).
function route() {
  const q = location.hash === "#query";
  $("file-view").hidden = q;
  $("query-view").hidden = !q;
  for (const [id, on] of [["tab-file", !q], ["tab-query", q]]) {
    if (on) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
}

function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  document.title = `${t("cp.title")} · ${document.querySelector(".hall-line").textContent}`;
  for (const r of document.querySelectorAll('input[name="subject"]')) r.addEventListener("change", showWhich);
  $("text").addEventListener("input", () => { countText(); fieldError("text", ""); });
  $("phone").addEventListener("input", () => fieldError("phone", ""));
  for (const id of ["window", "matter", "clerk"]) $(id).addEventListener("input", () => fieldError("which", "", id));
  $("file").addEventListener("submit", submit);
  $("filed-again").addEventListener("click", again);
  $("filed-query").addEventListener("click", () => {
    query.prefill(S.last.number, S.last.code);
    location.hash = "#query";
  });
  window.addEventListener("hashchange", route);
  query.start();
  countText();
  route();
  loadChoices().then(() => { S.loaded = true; });
  document.body.classList.remove("loading");
}

start();
