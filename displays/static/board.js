// The hall board (综合屏) at /display/{hall}: the latest calls, every window's
// state and number, waiting counts per service, the hall's date and clock; the
// voice call; notices (信息推送) while the hall is quiet. It runs unattended for
// months: it reconnects, resumes, and never shows a stale call as new.
//
// Settings, by query string (all optional):
//   ?lang=en           English (remembered); Chinese by default
//   ?contrast=high     high contrast, larger type
//   ?voice=0           no voice calls (default 1)
//   ?template=…        what is said; default "请 {number} 号到 {window} 办理":
//                      {number} is read digit by digit (A001 → "A零零一"),
//                      {window} is "3号窗口", {window_number} the bare number
//   ?repeat=2          say each call this many times (default 1); a recall is said again
//   ?chime=0           no chime before the voice (default 1)
//   ?rate=0.9          speech rate
//   ?idle=60           seconds without a call before notices rotate (0: never)
//   ?rotate=15         seconds each notice stays
//   ?flash=8           seconds a new call flashes
//   ?stale=15          a call older than this by the server's clock is listed but
//                      never flashed or spoken (after a reload, a replay or a snapshot)
//   ?calls=8           how many earlier calls the list shows
//   ?tz=Asia/Shanghai  the hall's time zone, for the clock and the business day
//   ?retry_max=15      the longest wait between reconnection attempts, in seconds
//
// Sound: browsers play audio only after a click unless started with
// --autoplay-policy=no-user-gesture-required (what an unattended TV should use).
// Otherwise the board shows a small "enable voice" button; one click anywhere
// enables it, and the choice is remembered.
//
// Privacy: the hall topic and GET /api/halls/{hall} carry numbers, services and
// windows only; this page renders nothing else and only through textContent.
//
// Configuration: an admin's change (config.changed: a window renamed, added or
// removed, a service added or renamed, the hall renamed) shows within a moment,
// without a reload: what the event says is applied at once, then the hall is re-read.
import { Speaker, callText } from "./speech.js";
import { WaitAlert } from "./board_alert.js";
import { connect, flag, getJson, hallClock, i18n, later, num, pageSetup, params, parseAt,
  setupSound } from "./display.js";

const { t, lang } = i18n;
const body = document.body;
const HALL = body.dataset.hall;
const CALL_TYPES = new Set(["ticket.called", "ticket.recalled", "ticket.called_back"]);
const GONE_TYPES = new Set(["ticket.finished", "ticket.no_show", "ticket.transferred"]);

const cfg = {
  idleMs: num("idle", 60) * 1000,
  rotateMs: Math.max(0.5, num("rotate", 15)) * 1000,
  flashMs: num("flash", 8) * 1000,
  staleMs: num("stale", 15) * 1000,
  calls: Math.max(0, num("calls", 8)),
  tz: params.get("tz") || "Asia/Shanghai",
  template: params.get("template") || t("voice.template"),
};

const S = {
  hall: { id: HALL, name: body.dataset.hallName, business_day: null },
  services: [],
  windows: new Map(),
  calls: [],            // newest first
  notices: [],
  heard: new Set(),     // calls already announced (or too old to be): never again
  flashKey: null,
  flashUntil: 0,
  mode: "calls",
  noticeIndex: -1,
  noticeSince: 0,
  quietSince: performance.now(),
  applied: 0,           // events and snapshots applied: a refresh begun before one is stale
};

const speaker = new Speaker({
  enabled: flag("voice", true),
  chime: flag("chime", true),
  rate: num("rate", 0.9),
  repeat: num("repeat", 1),
});

let clock = hallClock(cfg.tz, lang);
const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// --- the model ------------------------------------------------------------------------

function callKey(c) {
  return `${c.ticket}|${c.type}|${c.recall_count ?? 0}|${c.at}`;
}

function toCall(d) {
  const c = {
    ticket: d.ticket, number: d.number, service: d.service, type: d.type, at: d.at,
    recall_count: d.recall_count, window: d.window, window_number: d.window_number,
  };
  c.key = callKey(c);
  return c;
}

function isFresh(c) {
  const at = parseAt(c.at);
  return Number.isFinite(at) && window.__socket.serverNow() - at <= cfg.staleMs;
}

// Yesterday's calls are not today's: latest_calls is not cut at the business day.
function today(c) {
  if (!S.hall.business_day) return true;
  const at = parseAt(c.at);
  return !Number.isFinite(at) || clock.day(at) === S.hall.business_day;
}

function pushCall(c) {
  S.calls = [c, ...S.calls.filter((x) => x.ticket !== c.ticket)].slice(0, 30);
}

function applySnapshot(data) {
  S.applied++;
  if (data.hall) {
    S.hall = { ...S.hall, ...data.hall };
    if (data.hall.tz) clock = hallClock(data.hall.tz, lang);
  }
  S.services = data.services || [];
  S.windows = new Map((data.windows || []).map((w) => [w.id, w]));
  S.notices = data.notices || S.notices;
  const calls = [];
  for (const raw of data.latest_calls || []) {
    const c = toCall(raw);
    if (today(c) && !calls.some((x) => x.ticket === c.ticket)) calls.push(c);
  }
  S.calls = calls;
  // Oldest first, so the voice keeps the order of the calls.
  for (const c of [...calls].reverse()) announce(c);
  render();
}

function applyEvent(msg) {
  S.applied++;
  const d = msg.data || {};
  const type = msg.type;
  const w = d.window ? S.windows.get(d.window) : null;
  if (CALL_TYPES.has(type)) {
    const c = toCall({ ...d, type, at: msg.at });
    pushCall(c);
    if (w) {
      w.state = "serving";
      w.current = { number: d.number, service: d.service, state: d.state || "called" };
    }
    if (type === "ticket.called") bump(d.service, -1);
    announce(c);
  } else if (type === "ticket.issued") {
    bump(d.service, +1);
  } else if (type === "ticket.cancelled") {
    bump(d.service, -1);
  } else if (type === "ticket.started") {
    if (w && w.current) w.current.state = "serving";
  } else if (GONE_TYPES.has(type)) {
    if (w && w.current && w.current.number === d.number) {
      w.current = null;
      w.state = "open";
    }
  } else if (type.startsWith("window.")) {
    if (w) Object.assign(w, { state: d.state, pause_reason: d.pause_reason ?? null });
  } else if (type === "notice.changed") {
    loadNotices();
  } else if (type === "config.changed") {
    applyConfig(d);
  }
  if (type.startsWith("ticket.") || type.startsWith("window.") || type === "config.changed") {
    refreshSoon();
  }
  render();
}

// What a config.changed event says about a window is shown at once; everything
// else (a new window's state, service names, the hall's name) comes with the re-read.
function applyConfig(d) {
  if (d.what !== "window" || !d.window) return;
  if (d.action === "deleted") {
    S.windows.delete(d.window);
    return;
  }
  const w = S.windows.get(d.window);
  if (!w) return;
  Object.assign(w, {
    number: d.window_number ?? w.number,
    name: d.window_name ?? w.name,
    services: d.services ?? w.services,
  });
}

function bump(code, by) {
  const s = S.services.find((x) => x.code === code);
  if (s) s.waiting = Math.max(0, (s.waiting || 0) + by);
}

// A new call flashes, interrupts the notices and is spoken; an old one is only listed.
function announce(c) {
  if (S.heard.has(c.key)) return;
  S.heard.add(c.key);
  if (S.heard.size > 500) S.heard = new Set([...S.heard].slice(-200));
  if (!isFresh(c)) return;
  S.flashKey = c.key;
  S.flashUntil = performance.now() + cfg.flashMs;
  S.quietSince = performance.now();
  if (S.mode !== "calls") showCalls();
  const windowNumber = c.window_number ?? S.windows.get(c.window)?.number ?? "";
  speaker.say(callText(cfg.template, c.number, windowNumber, t("voice.window")));
}

// Counts and windows from the public hall view, after events settle: the events
// say what changed at once, this makes sure the totals are right.
const refreshSoon = later(refresh, 300);

async function refresh() {
  const mark = S.applied;
  let h;
  try {
    h = await getJson(`/api/halls/${encodeURIComponent(HALL)}`);
  } catch {
    return; // offline: the reconnect refreshes again
  }
  if (S.applied !== mark) {
    refreshSoon(); // something happened meanwhile; this answer may be older than it
    return;
  }
  if (h.name) S.hall.name = h.name;
  if (h.tz && h.tz !== S.hall.tz) {
    S.hall.tz = h.tz;
    clock = hallClock(h.tz, lang);
  }
  if (h.business_day && h.business_day !== S.hall.business_day) {
    S.hall.business_day = h.business_day;
    S.calls = S.calls.filter(today);
  }
  S.services = h.services || S.services;
  S.windows = new Map((h.windows || []).map((w) => [w.id, w]));
  render();
}

async function loadNotices() {
  try {
    const r = await getJson(`/api/halls/${encodeURIComponent(HALL)}/notices`);
    S.notices = (r.notices || []).filter((n) => n.active !== false);
  } catch {
    return;
  }
  if (S.mode === "notices") {
    if (!S.notices.length) showCalls();
    else showNotice(Math.min(S.noticeIndex, S.notices.length - 1));
  }
}

// --- notices (信息推送) -----------------------------------------------------------------

function showCalls() {
  S.mode = "calls";
  body.dataset.mode = "calls";
}

function showNotice(i) {
  S.mode = "notices";
  body.dataset.mode = "notices";
  S.noticeIndex = i;
  S.noticeSince = performance.now();
  const n = S.notices[i];
  const box = $("notice");
  box.dataset.notice = n.id;
  $("notice-kind").textContent = t(`notice.${n.kind}`) === `notice.${n.kind}`
    ? t("notice.general") : t(`notice.${n.kind}`);
  $("notice-title").textContent = n.title;
  $("notice-body").textContent = n.body;
  $("notice-progress").textContent = t("board.notice_progress", { i: i + 1, n: S.notices.length });
  fit($("notice-body"), $("notice-text"));
}

// Shrink a long text until it fits its box (a TV has no scroll bar anybody can use).
function fit(text, box) {
  text.style.fontSize = "";
  let size = parseFloat(getComputedStyle(text).fontSize);
  const min = size * 0.45;
  while (box.scrollHeight > box.clientHeight + 1 && size > min) {
    size *= 0.92;
    text.style.fontSize = `${size}px`;
  }
}

function tick() {
  const now = performance.now();
  const ms = window.__socket.serverNow();
  const time = clock.time(ms);
  if ($("time").textContent !== time) {
    $("time").textContent = time;
    $("date").textContent = clock.date(ms);
  }
  if (S.mode === "calls") {
    if (cfg.idleMs > 0 && S.notices.length && now - S.quietSince >= cfg.idleMs) {
      showNotice((S.noticeIndex + 1) % S.notices.length);
    }
  } else if (now - S.noticeSince >= cfg.rotateMs) {
    if (S.notices.length) showNotice((S.noticeIndex + 1) % S.notices.length);
    else showCalls();
  }
  if (S.flashKey && now >= S.flashUntil) {
    S.flashKey = null;
    renderFlash();
  }
}

// --- rendering (textContent only) --------------------------------------------------------

function windowLabel(n) {
  return t("window.label", { n });
}

function renderFlash() {
  const hero = $("now");
  const on = S.calls.length > 0 && S.flashKey === S.calls[0].key;
  if (on && hero.dataset.flashKey !== S.flashKey) {
    hero.classList.remove("flash");
    void hero.offsetWidth; // restart the animation for a recall of the same number
  }
  hero.classList.toggle("flash", on);
  hero.dataset.flashKey = on ? S.flashKey : "";
}

function renderHero() {
  const hero = $("now");
  const c = S.calls[0];
  hero.dataset.number = c ? c.number : "";
  hero.dataset.window = c ? c.window || "" : "";
  $("now-number").textContent = c ? c.number : "";
  $("now-window").textContent = c
    ? t("board.please_go", { window: windowLabel(c.window_number) }) : t("board.none");
  hero.classList.toggle("empty", !c);
  renderFlash();
}

function renderCalls() {
  const list = $("calls");
  const items = S.calls.slice(1, 1 + cfg.calls).map((c) => {
    const li = el("li", "call");
    li.dataset.number = c.number;
    li.dataset.window = c.window || "";
    li.append(el("span", "call-number", c.number), el("span", "call-arrow", "→"),
      el("span", "call-window", windowLabel(c.window_number)));
    return li;
  });
  list.replaceChildren(...items);
}

function renderWindows() {
  const grid = $("windows");
  const wins = [...S.windows.values()].sort((a, b) => a.number - b.number);
  const cols = wins.length <= 4 ? 2 : wins.length <= 9 ? 3 : wins.length <= 16 ? 4 : 5;
  grid.style.setProperty("--cols", cols);
  grid.style.setProperty("--rows", Math.max(1, Math.ceil(wins.length / cols)));
  grid.replaceChildren(...wins.map((w) => {
    const card = el("div", `win state-${w.state}`);
    card.dataset.window = w.id;
    card.dataset.state = w.state;
    const name = lang === "zh" && w.name ? w.name : windowLabel(w.number);
    const current = w.current && w.state === "serving" ? w.current.number : t("window.idle");
    const number = el("div", "win-number", current);
    number.dataset.number = w.current && w.state === "serving" ? w.current.number : "";
    card.append(el("div", "win-name", name), number, el("div", "win-state", t(`state.${w.state}`)));
    return card;
  }));
}

function renderServices() {
  const list = $("services");
  const [before, after] = t("board.people", { n: "\u0000" }).split("\u0000");
  list.replaceChildren(...S.services.map((s) => {
    const li = el("li", "svc");
    li.dataset.service = s.code;
    const name = lang === "zh" ? s.name : s.name_en || s.name;
    const count = el("span", "svc-count");
    count.append(before ? el("span", "svc-unit", before) : "", el("b", "svc-n", s.waiting ?? 0),
      after ? el("span", "svc-unit", after) : "");
    li.append(el("span", "svc-code", s.code), el("span", "svc-name", name), count);
    return li;
  }));
}

function renderHall() {
  const name = S.hall.name || "";
  if ($("hall-name").textContent !== name) $("hall-name").textContent = name;
  const title = `${name} · ${t("board.title")}`;
  if (document.title !== title) document.title = title;
}

function render() {
  renderHall();
  renderHero();
  renderCalls();
  renderWindows();
  renderServices();
}

// --- start ------------------------------------------------------------------------------------

pageSetup();
const waitAlert = new WaitAlert(HALL, $("wait-alert"));
waitAlert.load();
$("notice").setAttribute("aria-label", t("board.notices"));
showCalls();
connect({
  topic: `hall:${HALL}`,
  onMessage: (msg) => {
    if (msg.op === "snapshot" && msg.topic === `hall:${HALL}`) applySnapshot(msg.data || {});
    else if (msg.op === "event" && msg.topic === `hall:${HALL}`) {
      applyEvent(msg);
      waitAlert.onEvent(msg);
    }
  },
  // Back after a blip or a server restart: the replay (or snapshot) brings the
  // calls; counts, windows and notices are read afresh as well.
  onReconnect: () => { refreshSoon(); loadNotices(); waitAlert.load(); },
});
setupSound(speaker);
window.addEventListener("resize", () => {
  if (S.mode === "notices") fit($("notice-body"), $("notice-text"));
});
render();
tick();
setInterval(tick, 250);
// A safety net for a screen that runs for months: totals, windows, the business
// day (yesterday's calls leave the list) and notices, re-read every few minutes.
setInterval(() => { refreshSoon(); loadNotices(); }, 5 * 60 * 1000);

// For people debugging a board from the browser console; tests use the DOM.
window.__board = { state: S, speaker, cfg };
