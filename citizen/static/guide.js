// The phone's 办事指南 at /m/{hall}/guide: the hall's matters, searched as one types
// (the name, or its pinyin initials: "sfz" finds 身份证…), each a link to its guide
// (matter.js). The last search is kept for this tab, so coming back shows it again.
import { matterBrief, matterName, searchMatters } from "/static/common/guide.js";
import { errorText } from "/static/common/i18n.js";
import { el, i18n, lang, t, wireLangSwitch } from "./common.js";

const HALL = document.body.dataset.hall;
const $ = (id) => document.getElementById(id);
const KEEP = `ow.citizen.guide.q.${HALL}`;
const DEBOUNCE_MS = 250;
const S = { timer: null, round: 0, controller: null, shown: null };

function remembered() {
  const q = new URLSearchParams(location.search).get("q");
  if (q !== null) return q;
  try {
    return sessionStorage.getItem(KEEP) || "";
  } catch {
    return "";
  }
}

function keep(q) {
  try {
    sessionStorage.setItem(KEEP, q);
  } catch {
    // private mode: the search is not kept, nothing else is lost
  }
}

function render(q, matters) {
  const items = matters.map((m) => el("li", { class: "matter-item", "data-matter": m.code },
    el("a", { class: "matter-link", href: `/m/${encodeURIComponent(HALL)}/guide/${encodeURIComponent(m.code)}` },
      el("span", { class: "matter-name", text: matterName(m, lang) }),
      el("span", { class: "matter-brief", text: matterBrief(m, t) }))));
  $("matters").replaceChildren(...items);
  let said;
  if (matters.length) said = t(q ? "guide.count" : "guide.count_all", { n: matters.length });
  else said = q ? t("guide.none", { q }) : t("guide.empty");
  $("count").textContent = said;
  $("count").dataset.empty = matters.length ? "0" : "1";
  S.shown = q;
}

// Search now; an answer to an older search that comes late is dropped.
async function search() {
  clearTimeout(S.timer);
  S.timer = null;
  const q = $("q").value.trim();
  keep(q);
  if (q === S.shown && S.controller === null) return;
  if (S.controller) S.controller.abort();
  const controller = new AbortController();
  S.controller = controller;
  const round = ++S.round;
  $("matters").setAttribute("aria-busy", "true");
  try {
    const matters = await searchMatters(HALL, q, { signal: controller.signal });
    if (round === S.round) render(q, matters);
  } catch (err) {
    if (round !== S.round || (err && err.name === "AbortError")) return;
    $("count").textContent = errorText(err.error, lang, t);
    $("count").dataset.empty = "1";
    S.shown = null;
  } finally {
    if (round === S.round) {
      S.controller = null;
      $("matters").removeAttribute("aria-busy");
      document.body.classList.remove("loading");
    }
  }
}

function searchSoon() {
  clearTimeout(S.timer);
  S.timer = setTimeout(search, DEBOUNCE_MS);
}

function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  document.title = `${t("guide.title")} · ${document.body.dataset.hallName}`;
  const q = $("q");
  q.value = remembered();
  q.addEventListener("input", searchSoon);
  $("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    q.blur(); // the phone's keyboard goes away: the list is what one wants to see now
    search();
  });
  search();
}

start();
