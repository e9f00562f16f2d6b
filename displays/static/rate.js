// The rating pad (评价器) at /display/{hall}/window/{window}/rate: a small tablet facing
// the citizen. Idle, it shows the clerk's name and a photo placeholder. When the clerk
// finishes a ticket (ticket.finished of this window) or presses 请评价 (rating.prompt),
// it shows the five levels; the bottom two ask why. It times out after 60 s: nothing is
// sent, so the ticket counts as not rated, never as satisfied.
//
// The pad is trusted by the key it was paired with (opened once as …/rate#key=…, then
// kept in localStorage). It follows its own topic, pad:{window}, with that key, and
// sends the choice straight to the server: the clerk's console never sees it.
import { HallSocket } from "/static/common/socket.js";
import { errorText, makeI18n } from "/static/common/i18n.js";
import { REASONS, STRINGS } from "./rate_strings.js";

const i18n = makeI18n(STRINGS, "ow.display.lang");
const { t, lang } = i18n;
const body = document.body;
const WIN = body.dataset.window;
const STORE_KEY = `ow.pad.${WIN}`;
const THANKS_MS = 5000;
const $ = (id) => document.getElementById(id);

const S = {
  key: null, win: null, promptS: 60, prompt: null, level: null, reasons: new Set(),
  timer: null, socket: null, thanksTimer: null,
};

function readKey() {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(STORE_KEY, decodeURIComponent(m[1]));
    // The key must not stay in the address bar or the history.
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(STORE_KEY);
}

function show(view) {
  for (const id of ["idle", "ask", "why", "thanks", "unpaired"]) $(id).hidden = id !== view;
  body.dataset.state = view;
}

function renderWindow() {
  const w = S.win;
  if (!w) return;
  const title = t("pad.title", { n: w.number });
  $("pad-title").textContent = title;
  document.title = `${title} · ${body.dataset.hallName}`;
  $("clerk-name").textContent = w.clerk_name || "";
  $("photo").setAttribute("aria-label", w.clerk_name || t("pad.clerk"));
}

function unpaired() {
  S.key = null;
  localStorage.removeItem(STORE_KEY);
  if (S.socket) S.socket.stop();
  S.socket = null;
  stopPrompt();
  show("unpaired");
}

// --- the prompt --------------------------------------------------------------------

function now() {
  return S.socket ? S.socket.serverNow() : Date.now();
}

function parseAt(at) {
  return Date.parse(String(at).replace(/(\.\d{3})\d+/, "$1"));
}

function startPrompt(p) {
  if (!p || !p.ticket) return;
  const expires = p.expires_at ? parseAt(p.expires_at) : parseAt(p.at) + S.promptS * 1000;
  if (S.prompt && S.prompt.ticket === p.ticket) {
    // Asked again (请评价, or a snapshot after a reconnect) while the citizen is choosing:
    // more time, and the choice so far kept.
    S.prompt.expires = Math.max(S.prompt.expires, expires);
    return;
  }
  if (!(expires > now())) return;
  clearTimeout(S.thanksTimer);
  S.prompt = { ticket: p.ticket, number: p.number, expires };
  S.level = null;
  S.reasons.clear();
  $("comment").value = "";
  $("phone").value = "";
  $("why-error").textContent = "";
  $("ask-title").textContent = t("pad.ask", { number: p.number });
  show("ask");
  tick();
  clearInterval(S.timer);
  S.timer = setInterval(tick, 250);
}

function tick() {
  if (!S.prompt) return;
  const left = Math.ceil((S.prompt.expires - now()) / 1000);
  if (left <= 0) {
    stopPrompt(); // timed out: nothing is sent, "not rated"
    show("idle");
    return;
  }
  const text = t("pad.countdown", { s: left });
  $("countdown").textContent = text;
  $("countdown-why").textContent = text;
}

function stopPrompt() {
  clearInterval(S.timer);
  S.timer = null;
  S.prompt = null;
}

function choose(level) {
  if (!S.prompt) return;
  S.level = level;
  if (level <= 2) {
    $("why-title").textContent = t("pad.why");
    renderReasons();
    show("why");
    $("why-title").focus();
  } else {
    send();
  }
}

function renderReasons() {
  const box = $("reasons");
  box.replaceChildren(...REASONS.map((r) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "reason";
    b.dataset.reason = r;
    b.textContent = t(`reason.${r}`);
    b.setAttribute("aria-pressed", String(S.reasons.has(r)));
    b.addEventListener("click", () => {
      if (S.reasons.has(r)) S.reasons.delete(r); else S.reasons.add(r);
      b.setAttribute("aria-pressed", String(S.reasons.has(r)));
      $("why-error").textContent = "";
    });
    return b;
  }));
}

async function send() {
  const p = S.prompt;
  if (!p || p.sending) return;
  const comment = $("comment").value.trim();
  if (S.level <= 2 && !S.reasons.size && !comment) {
    $("why-error").textContent = t("pad.need_reason");
    return;
  }
  p.sending = true;
  const payload = { ticket: p.ticket, level: S.level };
  if (S.level <= 2) {
    payload.reasons = [...S.reasons];
    if (comment) payload.comment = comment;
    // Only a phone the citizen typed here, to be called back: the ticket's is not used.
    const phone = $("phone").value.trim();
    if (phone) payload.phone = phone;
  }
  let note = S.level <= 2 ? t("pad.thanks_bad") : "";
  let failed = false;
  try {
    const r = await fetch(`/api/pads/${encodeURIComponent(WIN)}/ratings`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pad-key": S.key },
      body: JSON.stringify(payload),
    });
    if (r.status === 401) return unpaired();
    if (!r.ok) {
      const e = await r.json().catch(() => ({}));
      // Already rated (on the phone) or timed out: say so, then back to idle.
      failed = true;
      note = t("pad.failed", { error: errorText(e.error, lang, t) || r.status });
    }
  } catch (err) {
    failed = true;
    note = t("pad.failed", { error: t("status.offline") });
  }
  stopPrompt();
  $("thanks-title").textContent = failed ? "" : t("pad.thanks");
  $("thanks-note").textContent = note;
  show("thanks");
  S.thanksTimer = setTimeout(() => { if (!S.prompt) show("idle"); }, THANKS_MS);
}

// --- the connection ----------------------------------------------------------------

function onMessage(msg) {
  if (msg.op === "error" && msg.topic === `pad:${WIN}`) {
    const code = msg.error && msg.error.code;
    if (code === "pad_key_invalid") unpaired();
    return;
  }
  if (msg.op === "snapshot") {
    const d = msg.data || {};
    S.win = d.window || S.win;
    S.promptS = d.prompt_s || S.promptS;
    renderWindow();
    if (d.prompt) startPrompt(d.prompt);
    else if (!S.prompt && body.dataset.state !== "thanks") show("idle");
    return;
  }
  if (msg.op !== "event") return;
  const d = msg.data || {};
  if (d.window !== WIN) return;
  if (msg.type === "ticket.finished") {
    startPrompt({ ticket: d.ticket, number: d.number, at: msg.at });
  } else if (msg.type === "rating.prompt") {
    startPrompt(d);
  } else if (msg.type === "rating.recorded") {
    // Rated elsewhere (the phone) meanwhile: nothing left to ask.
    if (S.prompt && S.prompt.ticket === d.ticket && !S.prompt.sending) {
      stopPrompt();
      show("idle");
    }
  } else if (msg.type.startsWith("window.") && S.win) {
    S.win.clerk_name = d.clerk_name ?? null;
    S.win.state = d.state;
    renderWindow();
  }
}

// Cut off by the server (4001): the key was replaced or revoked. Ask once whether it
// still holds; if not, back to the pairing form, else follow again.
async function recheck() {
  const r = await fetch(`/api/pads/${encodeURIComponent(WIN)}`, { headers: { "x-pad-key": S.key } })
    .catch(() => null);
  if (r && r.status === 401) return unpaired();
  if (S.socket) S.socket.stop();
  connect();
}

function connect() {
  const badge = $("offline");
  let timer = null;
  let everOnline = false;
  S.socket = new HallSocket({
    onMessage,
    onStatus: (status) => {
      if (status === "unauthorized") return void recheck();
      if (status === "online") {
        clearTimeout(timer);
        timer = null;
        badge.hidden = true;
        everOnline = true;
      } else if (!timer && badge.hidden) {
        timer = setTimeout(() => {
          badge.textContent = t(everOnline ? "status.offline" : "status.connecting");
          badge.hidden = false;
        }, 800);
      }
    },
  });
  S.socket.follow(`pad:${WIN}`, S.key);
  S.socket.start();
  window.__socket = S.socket; // tests cut the connection through it
}

function start() {
  S.key = readKey();
  if (!S.key) return show("unpaired");
  show("idle");
  connect();
}

for (const b of document.querySelectorAll("#levels .level")) {
  b.addEventListener("click", () => choose(Number(b.dataset.level)));
}
$("send").addEventListener("click", send);
$("back").addEventListener("click", () => { if (S.prompt) show("ask"); });
$("pair-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const key = $("pair-key").value.trim();
  if (!key) return;
  localStorage.setItem(STORE_KEY, key);
  $("pair-key").value = "";
  start();
});

// The pairing address opened on a pad already showing this page: only the fragment changes.
window.addEventListener("hashchange", () => {
  if (!/key=/.test(location.hash)) return;
  if (S.socket) S.socket.stop();
  S.socket = null;
  start();
});

document.body.classList.add(`lang-${lang}`);
if (new URLSearchParams(location.search).get("contrast") === "high") body.classList.add("hc");
i18n.apply();
start();
