// 办件查询 at /m/{hall}/case: the 受理编号 and the last 4 of the applicant's ID number,
// sent in a POST body (never in the address: the suffix is half a secret), answered by
// the case's public view (case_view.js); while its result waits, 取号领取 takes a ticket
// for the pickup window and follows it. A wrong suffix reads exactly as an unknown
// number (the server's words); a number tried wrongly too often is locked for the day.
import { api, describe, el, i18n, t, wireLangSwitch } from "./common.js";
import { caseCard, matterInfo, takePickup } from "./case_view.js";
import { RatingPanel, idGate } from "./rating.js";

const $ = (id) => document.getElementById(id);
const PREFIX = document.body.dataset.prefix || "370102";
const NUMBER = /^[0-9A-Z]{1,16}-\d{8}-\d{4}$/;
const SUFFIX = /^[0-9]{3}[0-9X]$/;
const S = { suffix: null, busy: false };
window.__case = S;

function example() {
  const d = new Date();
  return `${PREFIX}-${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}-0001`;
}

// The number as the server writes it: capitals, plain dashes, no spaces (a phone's
// keyboard may give full-width ones); the hall's first part added when only the date
// and the serial were typed, the dashes when only the digits were.
export function normalNumber(raw) {
  let v = String(raw || "").normalize("NFKC").toUpperCase().replace(/\s/g, "").replace(/[‐-―−]/g, "-");
  if (/^\d{8}-?\d{4}$/.test(v)) v = `${PREFIX}${v}`;
  const bare = v.replaceAll("-", "");
  if (bare.startsWith(PREFIX) && /^\d{12}$/.test(bare.slice(PREFIX.length))) {
    const rest = bare.slice(PREFIX.length);
    v = `${PREFIX}-${rest.slice(0, 8)}-${rest.slice(8)}`;
  }
  return v;
}

function fieldError(id, message) {
  $(`${id}-error`).textContent = message || "";
  if (message) $(id).setAttribute("aria-invalid", "true");
  else $(id).removeAttribute("aria-invalid");
}

function readForm() {
  const number = normalNumber($("number").value);
  const suffix = $("suffix").value.normalize("NFKC").trim().toUpperCase();
  const numberErr = !number ? t("case.err.number_empty")
    : NUMBER.test(number) ? "" : t("case.err.number", { example: example() });
  fieldError("number", numberErr);
  fieldError("suffix", SUFFIX.test(suffix) ? "" : t("case.err.suffix"));
  if (numberErr) return { focus: "number" };
  if (!SUFFIX.test(suffix)) return { focus: "suffix" };
  return { number, suffix };
}

async function show(c) {
  const info = await matterInfo(c);
  const pickup = (kase, button, error) => takePickup(kase, S.suffix, button, error);
  $("case-box").replaceChildren(caseCard(c, info, { heading: "h2", pickup }));
  $("query").hidden = true;
  $("result").hidden = false;
  document.title = `${c.number} · ${t("case.title")}`;
  $(`case-${c.id}-title`).focus();
  // Collected or mailed: the case's own rating (好差评), by the number and the full ID
  // number (the suffix that opened this page is shown masked to staff: no credential).
  if (!["picked_up", "mailed", "archived"].includes(c.state)) return;
  idGate($("case-rating"), "case-rating", (idNumber) => {
    const asked = { number: c.number, id_number: idNumber };
    new RatingPanel($("case-rating"), {
      id: "case-rating",
      read: () => api("POST", "/api/case-rating", { body: asked }),
      send: (body) => api("POST", "/api/case-ratings", { body: { ...asked, ...body } }),
    }).refresh();
  });
}

async function submit(ev) {
  ev.preventDefault();
  if (S.busy) return;
  $("form-error").textContent = "";
  const got = readForm();
  if (got.focus) {
    $(got.focus).focus();
    return;
  }
  S.busy = true;
  $("submit").disabled = true;
  $("submit").textContent = t("case.busy");
  try {
    const c = await api("POST", "/api/case-status", { body: { number: got.number, id_suffix: got.suffix } });
    S.suffix = got.suffix;
    $("number").value = c.number;
    $("suffix").value = ""; // kept for 取号领取 only, not on the screen
    await show(c);
  } catch (err) {
    const where = { number: "number", id_suffix: "suffix" }[err.error && err.error.field];
    if (where && err.status === 422) {
      fieldError(where, describe(err));
      $(where).focus();
    } else {
      $("form-error").textContent = describe(err);
      $("form-error").tabIndex = -1;
      $("form-error").focus();
    }
  } finally {
    S.busy = false;
    $("submit").disabled = false;
    $("submit").textContent = t("case.submit");
  }
}

function again() {
  S.suffix = null;
  $("case-box").replaceChildren();
  $("case-rating").replaceChildren();
  $("case-rating").hidden = true;
  $("result").hidden = true;
  $("query").hidden = false;
  $("number").value = "";
  document.title = t("case.title");
  $("number").focus();
}

function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  document.title = `${t("case.title")} · ${document.querySelector(".hall-line").textContent}`;
  // The example unbroken: a number split over two lines is misread.
  const [before, after] = t("case.number_help", { example: "\u0000" }).split("\u0000");
  $("number-help").replaceChildren(before, el("span", { class: "nowrap", text: example() }), after);
  $("query").addEventListener("submit", submit);
  $("again").addEventListener("click", again);
  document.body.classList.remove("loading");
}

start();
