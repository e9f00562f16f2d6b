// The ticket page at /m/ticket/{id}?token=… (what the slip's QR and the phone page open):
// number, state, people ahead and the estimated wait, live over the ticket: topic; the
// call full-screen; cancel; the result after service.
//
// The token comes in the address once: the page keeps it on the phone (localStorage,
// by ticket id) and takes it out of the address bar, so a reload, a screenshot or a
// shared link does not carry it. A wrong token shows nothing but "not found".
import { CallScreen, setupNotifyButton } from "./alert.js";
import { api, describe, i18n, lang, serviceName, t, tickets, windowLabel,
  wireLangSwitch } from "./common.js";
import { connectLive } from "./live.js";
import { RatingPanel } from "./rating.js";

const ID = document.body.dataset.ticket;
const TOPIC = `ticket:${ID}`;
const FINAL = new Set(["done", "cancelled", "voided"]);
const CALL_EVENTS = new Set(["ticket.called", "ticket.recalled", "ticket.called_back"]);
const GONE = new Set(["ticket_token_invalid", "unknown_ticket", "not_found", "ticket_not_found"]);
const $ = (id) => document.getElementById(id);
const S = { token: null, data: null, socket: null, found: false, rated: false };
// After service: the rating (好差评), with the ticket's token.
const rating = new RatingPanel($("rating"), {
  id: "rating",
  read: () => api("GET", `/api/tickets/${encodeURIComponent(ID)}/rating?token=${encodeURIComponent(S.token)}`),
  send: (body) => api("POST", `/api/tickets/${encodeURIComponent(ID)}/rating?token=${encodeURIComponent(S.token)}`, { body }),
});
window.__ticket = S;

// Read the token out of the address, then take it out of the address bar.
function tokenFromAddress() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  }
  return token;
}

function showNotFound() {
  S.found = false;
  $("loading").hidden = true;
  $("ticket").hidden = true;
  $("notfound").hidden = false;
  screen.hide();
  if (S.socket) S.socket.unfollow(TOPIC);
  document.title = `${t("t.notfound")} · ${t("t.notfound_en")}`;
  document.body.classList.remove("loading");
}

function timeOf(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB",
    { hour: "2-digit", minute: "2-digit" });
}

function resultText(d) {
  if (d.state === "called") return t("result.called", { window: windowLabel(d.window) });
  if (d.state === "serving") return t("result.serving", { window: windowLabel(d.window) });
  return ["done", "no_show", "cancelled", "voided", "transferred"].includes(d.state)
    ? t(`result.${d.state}`) : "";
}

function render() {
  const d = S.data;
  $("loading").hidden = true;
  $("notfound").hidden = true;
  $("ticket").hidden = false;
  document.body.classList.remove("loading");
  document.body.dataset.state = d.state;
  document.title = `${d.number} · ${t("t.title")}`;
  $("t-hall").textContent = d.hall_name || "";
  $("t-service").textContent = serviceName(d);
  $("t-number").textContent = d.number;
  $("t-state").textContent = t(`state.${d.state}`);
  const queued = d.state === "waiting" || d.state === "transferred";
  $("t-queue").hidden = !queued;
  if (queued) {
    const ahead = d.people_ahead ?? 0;
    $("t-ahead").textContent = ahead === 0 ? t("t.next") : t("t.ahead_n", { n: ahead });
    const eta = d.eta_minutes ?? 0;
    $("t-eta").textContent = ahead === 0 || eta === 0 ? t("t.eta_soon") : t("t.eta_n", { n: eta });
  }
  $("t-result").textContent = resultText(d);
  const meta = [t("t.issued", { time: timeOf(d.issued_at) })];
  if (d.recall_count > 0 && d.state === "called") meta.push(t("t.recalled", { n: d.recall_count }));
  $("t-meta").textContent = d.issued_at ? meta.join(" · ") : "";
  $("cancel-box").hidden = d.state !== "waiting";
  if (d.state !== "waiting") $("cancel-confirm").hidden = true;
  $("notify-box").hidden = FINAL.has(d.state) || d.state === "serving";
  if (d.hall_id) $("hall-link").href = `/m/${encodeURIComponent(d.hall_id)}`;
}

const screen = new CallScreen(() => {
  const d = S.data;
  if (d) tickets.save(ID, { dismissed: `${d.recall_count || 0}` });
});

// A new state: shown, kept on the phone, and a call announced once per call or recall.
function apply(data) {
  const prev = S.data || (tickets.get(ID) || {}).last || null;
  const d = { ...(S.data || {}), ...data };
  S.data = d;
  S.found = true;
  $("t-cached").hidden = true;
  render();
  const rec = tickets.save(ID, {
    token: S.token, number: d.number, hall_id: d.hall_id, hall_name: d.hall_name,
    service_name: d.service_name, last: d,
  });
  if (d.state === "called") {
    const key = `${d.recall_count || 0}`;
    const news = !prev || prev.state !== "called" || (prev.recall_count || 0) < (d.recall_count || 0);
    if (news || rec.dismissed !== key) {
      screen.show(d, windowLabel(d.window), serviceName(d), news);
    }
  } else {
    screen.hide();
  }
  // Nothing more will happen to this ticket: let the connection go (an idle one that
  // follows nothing would only be closed by the server).
  if (FINAL.has(d.state) && S.socket) S.socket.stop();
  if (d.state === "done" && !S.rated) {
    S.rated = true;
    rating.refresh();
  }
}

function fromEvent(msg) {
  const e = msg.data || {};
  const next = { state: e.state || S.data?.state };
  if (e.recall_count !== undefined) next.recall_count = e.recall_count;
  if (e.window_number !== undefined) {
    next.window = { id: e.window, number: e.window_number, name: e.window_name };
  }
  if (CALL_EVENTS.has(msg.type)) next.state = "called";
  return next;
}

function onMessage(msg) {
  if (msg.topic !== TOPIC) return;
  if (msg.op === "snapshot" && msg.data) {
    apply(msg.data);
  } else if (msg.op === "event" && S.data) {
    apply(fromEvent(msg)); // the fresh snapshot follows within a quarter second
  } else if (msg.op === "error" && msg.error && GONE.has(msg.error.code)) {
    showNotFound();
  }
}

async function fetchStatus(token) {
  return api("GET", `/api/tickets/${encodeURIComponent(ID)}?token=${encodeURIComponent(token)}`);
}

// The first reading: the address's token, else the one kept on this phone.
async function load(fromAddress) {
  const kept = tickets.get(ID);
  const candidates = [...new Set([fromAddress, kept && kept.token].filter(Boolean))];
  let offline = false;
  for (const token of candidates) {
    try {
      const data = await fetchStatus(token);
      S.token = token;
      apply(data);
      return true;
    } catch (err) {
      if (err.status === 0) offline = true;
    }
  }
  if (offline) {
    // No network: show what the phone last knew, and let the socket catch up (a wrong
    // token is then refused over the socket, and the page says "not found").
    S.token = candidates[candidates.length - 1];
    if (kept && kept.last && kept.token === S.token) {
      S.data = kept.last;
      render();
      $("t-cached").hidden = false;
    } else {
      $("loading").textContent = t("err.network");
    }
    $("offline").hidden = false;
    return true;
  }
  showNotFound();
  return false;
}

async function refresh() {
  if (!S.token || !S.found) return;
  try {
    apply(await fetchStatus(S.token));
  } catch (err) {
    if (err.status === 403 || err.status === 404) showNotFound();
  }
}

function setupCancel() {
  const confirm = $("cancel-confirm");
  $("cancel").addEventListener("click", () => {
    $("cancel-q").textContent = t("cancel.confirm", { number: S.data.number });
    $("cancel-error").textContent = "";
    confirm.hidden = false;
    $("cancel-no").focus();
  });
  $("cancel-no").addEventListener("click", () => {
    confirm.hidden = true;
    $("cancel").focus();
  });
  $("cancel-yes").addEventListener("click", async () => {
    $("cancel-yes").disabled = true;
    try {
      const r = await api("DELETE",
        `/api/tickets/${encodeURIComponent(ID)}?token=${encodeURIComponent(S.token)}`);
      confirm.hidden = true;
      apply(r);
      $("t-state").tabIndex = -1;
      $("t-state").focus();
    } catch (err) {
      $("cancel-error").textContent = describe(err);
      refresh();
    } finally {
      $("cancel-yes").disabled = false;
    }
  });
}

async function start() {
  const fromAddress = tokenFromAddress(); // before anything copies the address
  i18n.apply();
  wireLangSwitch($("lang"));
  setupCancel();
  setupNotifyButton($("notify"), $("notify-note"));
  if (!(await load(fromAddress))) return;
  if (S.data && FINAL.has(S.data.state)) return; // the result is all there is to show
  S.socket = connectLive({ offline: $("offline"), onMessage, onOnline: refresh });
  S.socket.follow(TOPIC, S.token);
  S.socket.start();
}

start();
