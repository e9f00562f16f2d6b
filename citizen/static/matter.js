// One matter's guide on the phone, /m/{hall}/guide/{code}: its name, time limits, fees,
// where to apply and collect, the approving departments (the lead marked 牵头) and the
// materials; then a ticket for its intake service, by the phone page's own ticket flow
// (/m/{hall}?take=CODE), or a booking where the service takes them.
import {
  departmentList, getMatter, materialsTable, matterFacts, matterName,
} from "/static/common/guide.js";
import { errorText } from "/static/common/i18n.js";
import { api, i18n, lang, t, wireLangSwitch } from "./common.js";

const HALL = document.body.dataset.hall;
const CODE = document.body.dataset.matter;
const $ = (id) => document.getElementById(id);

function svcName(s) {
  return lang !== "zh" && s.name_en ? s.name_en : s.name;
}

// The ticket and booking links for the matter's intake service, as the hall has it now.
function renderTake(m, hall) {
  // The hall unread (a network blip): the link anyway, the phone page says the rest.
  const svc = hall ? (hall.services || []).find((s) => s.code === m.intake_service)
    : { code: m.intake_service, name: m.intake_service_name || m.intake_service };
  const phone = Boolean(svc) && (!svc.channels || svc.channels.includes("phone"));
  const base = `/m/${encodeURIComponent(HALL)}`;
  const take = $("m-take-link");
  take.hidden = !phone;
  take.href = `${base}?take=${encodeURIComponent(m.intake_service)}`;
  const book = $("m-book-link");
  book.hidden = !(svc && svc.bookable);
  book.href = `${base}/book/${encodeURIComponent(m.intake_service)}`;
  const name = svc ? svcName(svc) : m.intake_service_name || m.intake_service;
  let note;
  if (!svc) note = t("guide.no_service");
  else if (!phone) note = t("guide.kiosk_only", { name });
  else if (hall && hall.open_now === false) note = t("guide.closed");
  else note = t("guide.take_hint", { name });
  $("m-take-note").textContent = note;
}

function render(m, hall) {
  const name = matterName(m, lang);
  document.title = `${name} · ${t("guide.title")}`;
  $("m-name").textContent = name;
  // On an English page the Chinese name too: it is what the hall's signs and staff say.
  $("m-alt").hidden = name === m.name;
  $("m-alt").textContent = m.name;
  $("m-alt").lang = "zh-CN";
  $("m-facts").replaceChildren(matterFacts(m, t));
  $("m-depts").replaceChildren(departmentList(m, t));
  $("m-materials").replaceChildren(materialsTable(m, t));
  renderTake(m, hall);
  $("matter").hidden = false;
}

function notFound(err) {
  $("notfound").hidden = false;
  const gone = err.status === 404;
  $("notfound-text").textContent = gone ? t("guide.notfound_text") : errorText(err.error, lang, t);
}

async function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  const hall = api("GET", `/api/halls/${encodeURIComponent(HALL)}`).catch(() => null);
  try {
    const m = await getMatter(HALL, CODE);
    render(m, await hall);
  } catch (err) {
    notFound(err);
  } finally {
    $("loading").hidden = true;
    document.body.classList.remove("loading");
  }
}

start();
