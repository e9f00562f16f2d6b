// 网上申报 on the phone. /m/{hall}/apply/{code} (from a matter's guide): the signed-in
// citizen names the applicant and the application is made (its address becomes
// /m/application/{id}, so a reload shows it again, not a second one); /m/application/{id}
// (from "我的"): one of theirs. Then the matter's materials with their uploads
// (apply_files.js), 提交预审 with the 预审编号 shown, the clerk's return (the missing
// list and note: complete it and submit again), and withdrawal.
import { getMatter } from "/static/common/guide.js";
import { api, describe, el, i18n, lang, session, t, wireLangSwitch } from "./common.js";
import { MaterialList } from "./apply_files.js";
import { idProblem } from "./idcheck.js";

const $ = (id) => document.getElementById(id);
const B = document.body.dataset;
const OPEN = new Set(["draft", "submitted", "returned"]);
const S = { app: null, matter: null, busy: false };
window.__apply = S;

const who = () => session.load();
const say = (text) => { $("status").textContent = text || ""; };
const list = new MaterialList($("materials"), {
  app: () => S.app,
  token: () => (who() || {}).token,
  say,
  failed: (err) => refused(err),
});

function done() {
  $("loading").hidden = true;
  document.body.classList.remove("loading");
}

function signInFirst() {
  for (const id of ["create", "app", "notfound"]) $(id).hidden = true;
  $("signin-box").hidden = false;
  $("signin-link").href = `/m/me?next=${encodeURIComponent(location.pathname)}`;
  done();
}

// A refusal that is no fault of what was typed: a lapsed sign-in, or the application
// changed meanwhile (read again).
function refused(err) {
  if (err.status === 401) {
    session.clear();
    signInFirst();
  } else if (err.status === 409 && S.app) {
    load(S.app.id);
  }
}

function fieldError(id, message) {
  $(`${id}-error`).textContent = message || "";
  if (message) $(id).setAttribute("aria-invalid", "true");
  else $(id).removeAttribute("aria-invalid");
}

function showMatter(m) {
  const name = lang !== "zh" && m.name_en ? m.name_en : m.name;
  $("matter-name").textContent = name;
  if (lang !== "zh" && name === m.name) $("matter-name").lang = "zh-CN"; // no English name given
  document.title = `${name} · ${t("apply.title")}`;
}

// --- a new application --------------------------------------------------------------

async function newOne() {
  $("back-link").href = `/m/${encodeURIComponent(B.hall)}/guide/${encodeURIComponent(B.matter)}`;
  $("back-link").textContent = t("apply.back");
  if (!who()) return signInFirst();
  try {
    S.matter = await getMatter(B.hall, B.matter);
  } catch (err) {
    $("notfound").hidden = false;
    $("notfound-text").textContent = err.status === 404 ? t("guide.notfound_text") : describe(err);
    return done();
  }
  showMatter(S.matter);
  $("create").hidden = false;
  done();
  try { // one still open for this matter: offered, not made twice
    const mine = await api("GET", "/api/applications/mine", { citizen: who().token });
    const open = (mine.applications || []).find((a) => a.hall === B.hall && a.matter === B.matter && OPEN.has(a.state));
    if (open) {
      $("open-one-text").textContent = t("apply.open_one", { ref: open.reference, state: t(`apply.state.${open.state}`) });
      $("open-one-link").href = `/m/application/${encodeURIComponent(open.id)}`;
      $("open-one").hidden = false;
    }
  } catch (err) {
    refused(err);
  }
}

async function create(ev) {
  ev.preventDefault();
  if (S.busy) return;
  const name = $("name").value.trim();
  const idRaw = $("id-number").value.trim();
  const problem = idRaw ? idProblem(idRaw) : { key: "apply.id_empty" };
  fieldError("name", name ? "" : t("apply.name_empty"));
  fieldError("id-number", problem ? t(problem.key, problem.vars || {}) : "");
  $("create-error").textContent = "";
  if (!name || problem) return $(!name ? "name" : "id-number").focus();
  S.busy = true;
  $("create-go").disabled = true;
  $("create-go").textContent = t("apply.creating");
  try {
    const body = { hall: B.hall, matter: B.matter,
      applicant: { name, id_number: idRaw.toUpperCase(), address: $("address").value.trim() || null } };
    const a = await api("POST", "/api/applications", { body, citizen: who().token });
    history.replaceState(null, "", `/m/application/${encodeURIComponent(a.id)}`);
    wireLangSwitch($("lang")); // the other language of this application, not a new form
    $("create").hidden = true;
    await show(a);
    $("materials-title").focus();
  } catch (err) {
    const field = { "applicant.id_number": "id-number", name: "name", address: "address" }[err.error && err.error.field];
    if (field) {
      fieldError(field, describe(err));
      $(field).focus();
    } else {
      $("create-error").textContent = describe(err);
      refused(err);
    }
  } finally {
    S.busy = false;
    $("create-go").disabled = false;
    $("create-go").textContent = t("apply.create");
  }
}

// --- one application ----------------------------------------------------------------

async function load(id) {
  if (!who()) return signInFirst();
  try {
    await show(await api("GET", `/api/applications/${encodeURIComponent(id)}`, { citizen: who().token }));
  } catch (err) {
    if (err.status === 401) return refused(err);
    $("app").hidden = true;
    $("notfound").hidden = false;
    if (err.status !== 404) $("notfound-text").textContent = describe(err);
  }
  done();
}

async function show(a) {
  S.app = a;
  if (!S.matter || S.matter.code !== a.matter) {
    // Disabled since: the materials it names, from its files and what was found missing.
    S.matter = await getMatter(a.hall, a.matter).catch(() => null);
  }
  const m = S.matter || { name: a.matter_name, materials: [...new Map([...a.files.map((u) => [u.material, u.material]),
    ...a.missing.map((x) => [x.key, x.name])]).entries()].map(([key, name]) => ({ key, name })) };
  showMatter(m);
  const head = { draft: "apply.draft_text", submitted: "apply.submitted_text", returned: "apply.returned_text",
    accepted: "apply.accepted_text", withdrawn: "apply.withdrawn_text" }[a.state];
  $("app-state").textContent = t(`apply.state.${a.state}`);
  $("app-state").dataset.state = a.state;
  $("app-title").textContent = t(`apply.${a.state}_title`);
  $("app-text").textContent = t(head);
  $("app-ref").hidden = a.state !== "submitted";
  $("app-ref").textContent = a.reference;
  $("app-reference").textContent = a.reference;
  $("app-reference-row").hidden = a.state === "submitted"; // shown large above
  $("app-applicant").textContent = a.applicant;
  $("app-id").textContent = a.id_masked;
  const returned = a.state === "returned";
  $("app-missing").hidden = !returned || !a.missing.length;
  $("app-missing-list").replaceChildren(...a.missing.map((x) => el("li", { "data-key": x.key, text: x.name })));
  if (lang !== "zh") $("app-missing-list").lang = "zh-CN";
  $("app-note").hidden = !returned || !a.note;
  $("app-note-text").textContent = a.note || "";
  $("app-cases-link").hidden = a.state !== "accepted";
  const editable = a.state === "draft" || returned;
  $("materials-title").textContent = t("matter.materials", { n: m.materials.length });
  $("materials-hint").hidden = !editable;
  list.render(m.materials, editable);
  $("submit").hidden = !editable;
  $("submit").textContent = t(returned ? "apply.resubmit" : "apply.submit");
  $("withdraw-box").hidden = !OPEN.has(a.state);
  $("withdraw-confirm").hidden = true;
  $("submit-error").textContent = "";
  const left = editable ? list.unfilled().waivable : [];
  $("waivable-note").hidden = !left.length;
  $("waivable-note").textContent = t("apply.waivable_left", { names: left.map((x) => x.name).join(lang === "zh" ? "、" : ", ") });
  $("back-link").href = "/m/me#applications";
  $("back-link").textContent = t("apply.back_me");
  $("app").hidden = false;
}

async function move(action, button, error, busyKey) {
  if (S.busy) return;
  S.busy = true;
  const text = button.textContent;
  button.disabled = true;
  button.textContent = t(busyKey);
  error.textContent = "";
  try {
    await show(await api("POST", `/api/applications/${encodeURIComponent(S.app.id)}/${action}`, { citizen: who().token }));
    $("app-title").focus();
  } catch (err) {
    error.textContent = describe(err);
    refused(err);
  } finally {
    S.busy = false;
    button.disabled = false;
    if (button.textContent === t(busyKey)) button.textContent = text;
  }
}

function submit() {
  if (list.busy) return;
  const { required, asked } = list.unfilled();
  const names = (items) => items.map((x) => x.name).join(lang === "zh" ? "、" : ", ");
  if (asked.length || required.length) {
    $("submit-error").textContent = asked.length ? t("apply.fix_first", { names: names(asked) })
      : t("apply.missing_required", { names: names(required) });
    list.focus((asked[0] || required[0]).key);
    return;
  }
  move("submit", $("submit"), $("submit-error"), "apply.submitting");
}

function wire() {
  $("create").addEventListener("submit", create);
  $("id-number").addEventListener("blur", () => {
    const v = $("id-number").value.trim();
    const p = v ? idProblem(v) : null;
    fieldError("id-number", p ? t(p.key, p.vars || {}) : "");
  });
  $("submit").addEventListener("click", submit);
  $("withdraw").addEventListener("click", () => {
    $("withdraw-confirm").hidden = false;
    $("withdraw-no").focus();
  });
  $("withdraw-no").addEventListener("click", () => {
    $("withdraw-confirm").hidden = true;
    $("withdraw").focus();
  });
  $("withdraw-yes").addEventListener("click", () => move("withdraw", $("withdraw-yes"), $("withdraw-error"), "apply.submitting"));
}

i18n.apply();
wireLangSwitch($("lang"));
wire();
if (B.application) load(B.application);
else newOne();
