// The window screen (窗口屏) at /display/{hall}/window/{window}: the window's
// number, the clerk's name and photo placeholder, the number being served, and
// 未登录 / 暂停服务 (with the reason, e.g. 暂离) when nobody serves.
//
// It follows the public hall topic and keeps only this window's events, so it
// needs no sign-in; citizens' data never reaches it. A configuration change
// (config.changed: the window renamed or given other services, a service renamed,
// the clerk's name, the hall's name) is shown without a reload; a window that was
// deleted says so until it comes back.
//
// Settings, by query string: ?lang=en, ?contrast=high, ?voice=1 (off by default:
// the hall board speaks), ?template=…, ?chime=0, ?flash=8, ?stale=15,
// ?tz=Asia/Shanghai, ?retry_max=15 — as on the board (see board.js).
import { Speaker, callText } from "./speech.js";
import { connect, flag, getJson, hallClock, i18n, later, num, pageSetup, params, parseAt,
  setupSound } from "./display.js";

const { t, lang } = i18n;
const body = document.body;
const HALL = body.dataset.hall;
const WIN = body.dataset.window;
const CALL_TYPES = new Set(["ticket.called", "ticket.recalled", "ticket.called_back"]);
const GONE_TYPES = new Set(["ticket.finished", "ticket.no_show", "ticket.transferred"]);

const cfg = {
  flashMs: num("flash", 8) * 1000,
  staleMs: num("stale", 15) * 1000,
  tz: params.get("tz") || "Asia/Shanghai",
  template: params.get("template") || t("voice.template"),
};
const speaker = new Speaker({
  enabled: flag("voice", false),
  chime: flag("chime", true),
  rate: num("rate", 0.9),
  repeat: num("repeat", 1),
});

const S = {
  win: null, gone: false, hallName: body.dataset.hallName,
  services: new Map(), heard: new Set(), flashUntil: 0, applied: 0,
};
let clock = hallClock(cfg.tz, lang);
const $ = (id) => document.getElementById(id);

// The hall as the snapshot or GET /api/halls/{hall} has it: a window missing from
// the full list was deleted.
function applyHall(hall, services, windows) {
  if (hall && hall.name) S.hallName = hall.name;
  if (hall && hall.tz) clock = hallClock(hall.tz, lang);
  S.services = new Map((services || []).map((s) => [s.code, s]));
  const w = (windows || []).find((x) => x.id === WIN);
  if (w) S.win = w;
  if (windows) S.gone = !w;
}

function applySnapshot(data) {
  S.applied++;
  applyHall(data.hall, data.services, data.windows);
  // Calls already made are not news: remember them, so a replay does not flash them.
  for (const c of data.latest_calls || []) S.heard.add(`${c.ticket}|${c.type}|${c.at}`);
  render();
}

// config.changed: what the event says about this window is shown at once; the rest
// (service names, the clerk's name, a window that came back) comes with the re-read.
function applyConfig(d) {
  S.applied++;
  if (d.what === "window" && d.window === WIN) {
    if (d.action === "deleted") {
      S.gone = true;
    } else if (S.win) {
      S.gone = false;
      Object.assign(S.win, {
        number: d.window_number ?? S.win.number,
        name: d.window_name ?? S.win.name,
        services: d.services ?? S.win.services,
      });
    }
  }
  refreshSoon();
  render();
}

function applyEvent(msg) {
  const d = msg.data || {};
  if (msg.type === "config.changed") return applyConfig(d);
  if (d.window !== WIN || !S.win) return;
  S.applied++;
  const w = S.win;
  if (CALL_TYPES.has(msg.type)) {
    w.state = "serving";
    w.current = { number: d.number, service: d.service, state: "called" };
    const key = `${d.ticket}|${msg.type}|${msg.at}`;
    const at = parseAt(msg.at);
    if (!S.heard.has(key) && window.__socket.serverNow() - at <= cfg.staleMs) {
      S.flashUntil = performance.now() + cfg.flashMs;
      speaker.say(callText(cfg.template, d.number, d.window_number ?? w.number, t("voice.window")));
    }
    S.heard.add(key);
  } else if (msg.type === "ticket.started") {
    if (w.current) w.current.state = "serving";
  } else if (GONE_TYPES.has(msg.type)) {
    if (w.current && w.current.number === d.number) {
      w.current = null;
      w.state = "open";
    }
  } else if (msg.type.startsWith("window.")) {
    Object.assign(w, {
      state: d.state, pause_reason: d.pause_reason ?? null, clerk_name: d.clerk_name ?? null,
    });
    if (d.state !== "serving") w.current = null;
  }
  refreshSoon();
  render();
}

const refreshSoon = later(refresh, 300);

async function refresh() {
  const mark = S.applied;
  let h;
  try {
    h = await getJson(`/api/halls/${encodeURIComponent(HALL)}`);
  } catch {
    return;
  }
  if (S.applied !== mark) {
    refreshSoon();
    return;
  }
  applyHall({ name: h.name, tz: h.tz }, h.services, h.windows);
  render();
}

function render() {
  const w = S.win;
  $("hall-name").textContent = S.hallName;
  if (S.gone) return renderGone(w);
  if (!w) return;
  body.dataset.state = w.state;
  const title = lang === "zh" && w.name ? w.name : t("window.label", { n: w.number });
  $("win-title").textContent = title;
  document.title = `${title} · ${S.hallName}`;
  $("services").textContent = (w.services || [])
    .map((code) => {
      const s = S.services.get(code);
      return s ? `${code} ${lang === "zh" ? s.name : s.name_en || s.name}` : code;
    })
    .join("　");

  if (w.state === "closed") {
    $("off-title").textContent = t("screen.not_signed_in");
    $("off-note").textContent = "";
  } else if (w.state === "paused") {
    $("off-title").textContent = t("screen.paused");
    $("off-note").textContent = w.pause_reason || "";
  } else {
    $("off-title").textContent = "";
    $("off-note").textContent = "";
  }
  $("clerk-name").textContent = w.clerk_name || "";
  const cur = w.state === "serving" ? w.current : null;
  const status = $("status");
  status.dataset.number = cur ? cur.number : "";
  if (cur && cur.state === "called") {
    $("status-label").textContent = t("screen.called");
    $("status-number").textContent = cur.number;
    $("status-note").textContent = t("screen.calling", { number: cur.number });
  } else if (cur) {
    $("status-label").textContent = t("screen.serving");
    $("status-number").textContent = cur.number;
    $("status-note").textContent = "";
  } else {
    $("status-label").textContent = "";
    $("status-number").textContent = "";
    $("status-note").textContent = t("screen.waiting");
  }
  renderFlash();
}

// The window no longer exists: nobody will be called here.
function renderGone(w) {
  body.dataset.state = "removed";
  const title = w ? (lang === "zh" && w.name ? w.name : t("window.label", { n: w.number })) : "";
  $("win-title").textContent = title;
  document.title = `${title || t("screen.removed")} · ${S.hallName}`;
  $("off-title").textContent = t("screen.removed");
  $("off-note").textContent = t("screen.removed_note");
  $("clerk-name").textContent = "";
  $("services").textContent = "";
  $("status").dataset.number = "";
  $("status-label").textContent = "";
  $("status-number").textContent = "";
  $("status-note").textContent = "";
  S.flashUntil = 0;
  renderFlash();
}

function renderFlash() {
  $("status").classList.toggle("flash", performance.now() < S.flashUntil);
}

function tick() {
  const ms = window.__socket.serverNow();
  const time = clock.time(ms);
  if ($("time").textContent !== time) {
    $("time").textContent = time;
    $("date").textContent = clock.date(ms);
  }
  renderFlash();
}

pageSetup();
$("photo").setAttribute("aria-label", t("screen.photo"));
connect({
  topic: `hall:${HALL}`,
  onMessage: (msg) => {
    if (msg.topic !== `hall:${HALL}`) return;
    if (msg.op === "snapshot") applySnapshot(msg.data || {});
    else if (msg.op === "event") applyEvent(msg);
  },
  onReconnect: () => refreshSoon(),
});
setupSound(speaker);
tick();
setInterval(tick, 250);
setInterval(refreshSoon, 5 * 60 * 1000); // a safety net for a screen that runs for months
