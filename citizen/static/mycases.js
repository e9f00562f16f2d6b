// 我的办件 and 网上申报 on /m/me (me.js): the signed-in citizen's cases (GET
// /api/citizen/cases: those whose applicant phone is theirs), each with the status
// summary of the query page (case_view.js; the timeline folded, 取号领取 while the
// result waits), and their online applications with their state, each a link to its
// page (apply.js).
import { api, describe, el, lang, t } from "./common.js";
import { caseCard, matterInfo, takePickup } from "./case_view.js";

const $ = (id) => document.getElementById(id);
const M = { cases: [], applications: [] };
window.__mycases = M;

function when(iso) {
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB",
    { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// The case's own applicant ID's last 4 are in its masked ID: the sign-in stands for the rest.
const pickup = (c, button, error) => takePickup(c, c.id_masked.slice(-4), button, error);

async function renderCases(cases) {
  const infos = await Promise.all(cases.map(matterInfo));
  const items = cases.map((c, i) => el("li", {}, caseCard(c, infos[i], { heading: "h3", history: "details", pickup })));
  $("cs-list").replaceChildren(...items);
  $("cs-none").hidden = items.length > 0;
}

function appItem(a) {
  const lines = [
    el("span", { class: "tl-what", text: a.matter_name }),
    el("span", { class: "tl-state", text: `${t(`apply.state.${a.state}`)} · ${t("myapp.ref", { ref: a.reference })}` }),
  ];
  if (a.state === "returned") lines.push(el("span", { class: "tl-note", text: t("myapp.returned", { n: a.missing.length }) }));
  else if (a.submitted_at) lines.push(el("span", { class: "tl-note", text: t("myapp.submitted_at", { when: when(a.submitted_at) }) }));
  return el("li", { class: "tl app-item", "data-application": a.id, "data-state": a.state },
    el("a", { class: "tl-link", href: `/m/application/${encodeURIComponent(a.id)}` }, ...lines));
}

// Both lists for the sign-in `token`; onSignedOut() when it has run out.
export async function loadMyCases(token, onSignedOut) {
  $("cs-status").textContent = "";
  try {
    const [cases, apps] = await Promise.all([
      api("GET", "/api/citizen/cases", { citizen: token }),
      api("GET", "/api/applications/mine", { citizen: token }),
    ]);
    M.cases = cases.cases || [];
    M.applications = apps.applications || [];
    // Newest first: what the citizen is waiting for is what they applied for last.
    M.cases.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    M.applications.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    await renderCases(M.cases);
    $("apl-list").replaceChildren(...M.applications.map(appItem));
    $("apl-none").hidden = M.applications.length > 0;
  } catch (err) {
    if (err.status === 401) onSignedOut();
    else $("cs-status").textContent = describe(err);
  }
}

export function clearMyCases() {
  M.cases = [];
  M.applications = [];
  for (const id of ["cs-list", "apl-list"]) $(id).replaceChildren();
  $("cs-status").textContent = "";
}
