// What the hall board and the window screen share: query-string settings, the
// catalog, the hall's clock, the connection and its offline indicator.
import { HallSocket } from "/static/common/socket.js";
import { makeI18n } from "/static/common/i18n.js";
import { STRINGS } from "./strings.js";

export const i18n = makeI18n(STRINGS, "ow.display.lang");
export const params = new URLSearchParams(location.search);

export function num(name, fallback) {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) ? v : fallback;
}

export function flag(name, fallback) {
  if (!params.has(name)) return fallback;
  return !["0", "false", "off", "no"].includes(params.get(name).toLowerCase());
}

// Event times carry microseconds ("…T02:00:00.123456+00:00"); keep milliseconds.
export function parseAt(at) {
  if (!at) return NaN;
  return Date.parse(String(at).replace(/(\.\d{3})\d+/, "$1"));
}

export function pageSetup() {
  if (params.get("contrast") === "high") document.body.classList.add("hc");
  document.body.classList.add(`lang-${i18n.lang}`);
  i18n.apply();
}

// The hall's date and time, in the hall's time zone (not the screen's).
export function hallClock(tz, lang) {
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const safe = (opts) => {
    try { return new Intl.DateTimeFormat(locale, { timeZone: tz, ...opts }); }
    catch { return new Intl.DateTimeFormat(locale, opts); }
  };
  const date = safe({ year: "numeric", month: "long", day: "numeric", weekday: "long" });
  const time = safe({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const iso = safe({ year: "numeric", month: "2-digit", day: "2-digit" });
  return {
    date: (ms) => date.format(ms),
    time: (ms) => time.format(ms),
    // YYYY-MM-DD of an instant in the hall's zone, to compare with business_day.
    day: (ms) => {
      const p = Object.fromEntries(iso.formatToParts(ms).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day}`;
    },
  };
}

// Runs fn at most once per `ms`, after the first request in a quiet spell.
export function later(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}

// The connection: anonymous, one hall topic. The offline indicator shows only
// after a short grace, so a quick reconnect does not make the screen blink.
export function connect({ topic, onMessage, onReconnect }) {
  const badge = document.getElementById("offline");
  let everOnline = false;
  let timer = null;
  const socket = new HallSocket({
    onMessage,
    backoffMaxMs: num("retry_max", 15) * 1000,
    onStatus: (status) => {
      if (status === "online") {
        clearTimeout(timer);
        timer = null;
        badge.hidden = true;
        document.body.classList.remove("is-offline");
        if (everOnline) onReconnect();
        everOnline = true;
      } else if (!timer && badge.hidden) {
        timer = setTimeout(() => {
          badge.textContent = i18n.t(everOnline ? "status.offline" : "status.connecting");
          badge.hidden = false;
          document.body.classList.add("is-offline");
        }, 800);
      }
    },
  });
  socket.follow(topic);
  socket.start();
  window.__socket = socket; // tests cut the connection through it
  return socket;
}

export async function getJson(path) {
  const r = await fetch(path, { cache: "no-store", headers: { accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

// The one gesture a browser may demand before it plays sound: a small button in
// a corner; any click or key anywhere will do. Remembered, so an operator who
// enabled it once is not asked again where the browser allows it by itself.
export function setupSound(speaker) {
  const button = document.getElementById("sound");
  button.textContent = i18n.t("sound.enable");
  if (!speaker.needsGesture()) return;
  button.hidden = false;
  const enable = () => {
    speaker.unlock();
    localStorage.setItem("ow.display.sound", "on");
  };
  speaker.onUnlocked(() => { button.hidden = true; });
  button.addEventListener("click", enable);
  document.addEventListener("pointerdown", enable, { once: true });
  document.addEventListener("keydown", enable, { once: true });
}
