// "我的" at /m/me: sign-in by mobile number and SMS code, then that number's appointments
// (appts.js), tickets of today, cases and online applications (mycases.js); and, signed
// in or not, the tickets taken on this phone
// (kept in localStorage). A page that needs the sign-in sends the citizen here with
// ?next=<its address>, and gets them back once signed in.
import { api, describe, el, i18n, lang, session, t, tickets, wireLangSwitch } from "./common.js";
import { clearAppointments, loadAppointments, setupAppointments } from "./appts.js";
import { normalPhone } from "./idcheck.js";
import { clearMyCases, loadMyCases } from "./mycases.js";

const $ = (id) => document.getElementById(id);
const S = { timer: null, listed: new Set() };
window.__me = S;

function fieldError(id, message) {
  $(`${id}-error`).textContent = message || "";
  if (message) $(id).setAttribute("aria-invalid", "true");
  else $(id).removeAttribute("aria-invalid");
}

function say(text) {
  $("status").textContent = text || "";
}

function maskPhone(p) {
  return `${p.slice(0, 3)}****${p.slice(-4)}`;
}

function stateLine(d) {
  const parts = [t(`state.${d.state}`)];
  if (d.state === "waiting") {
    const ahead = d.people_ahead ?? 0;
    parts.push(ahead === 0 ? t("me.next") : `${t("t.ahead")} ${t("t.ahead_n", { n: ahead })}`);
  }
  if ((d.state === "called" || d.state === "serving") && d.window) {
    parts.push(t("call.window", { n: d.window.number }));
  }
  return parts.join(" · ");
}

function ticketItem(d, token) {
  const what = [d.service_name || d.service, d.hall_name].filter(Boolean).join(" · ");
  const body = [
    el("span", { class: "tl-number", text: d.number }),
    el("span", { class: "tl-what", text: what }),
    el("span", { class: "tl-state", text: stateLine(d) }),
  ];
  if (token) {
    const link = el("a", { class: "tl-link", href: `/m/ticket/${encodeURIComponent(d.id)}` }, ...body);
    return el("li", { class: "tl", "data-ticket": d.id, "data-state": d.state }, link);
  }
  body.push(el("span", { class: "tl-note", text: t("me.no_token") }));
  return el("li", { class: "tl no-link", "data-ticket": d.id, "data-state": d.state },
    el("div", { class: "tl-link" }, ...body));
}

// Where to go back to after signing in: a phone page of this site only.
function nextPage() {
  const raw = new URLSearchParams(location.search).get("next");
  if (!raw) return null;
  try {
    const url = new URL(raw, location.origin);
    return url.origin === location.origin && url.pathname.startsWith("/m/") ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

function showSignIn(message) {
  clearAppointments();
  clearMyCases();
  $("me-view").hidden = true;
  $("signin-view").hidden = false;
  S.listed = new Set();
  say(message);
}

async function loadMe() {
  const who = session.load();
  if (!who) {
    showSignIn("");
    return;
  }
  try {
    const me = await api("GET", "/api/citizen/me", { citizen: who.token });
    const kept = tickets.all();
    $("me-phone").textContent = t("me.phone_is", { phone: me.phone_masked || who.phone_masked });
    const items = (me.tickets || []).map((d) => ticketItem(d, kept[d.id] && kept[d.id].token));
    $("me-tickets").replaceChildren(...items);
    $("me-none").hidden = items.length > 0;
    S.listed = new Set((me.tickets || []).map((d) => d.id));
    $("signin-view").hidden = true;
    $("me-view").hidden = false;
    await loadAppointments(who.token);
    await loadMyCases(who.token, () => {
      session.clear();
      showSignIn(t("me.expired"));
    });
  } catch (err) {
    if (err.status === 401) {
      session.clear();
      showSignIn(t("me.expired"));
    } else {
      say(describe(err));
    }
  }
}

// The tickets this phone holds tokens for, with their state now.
async function loadLocal() {
  const kept = Object.entries(tickets.all());
  const rows = await Promise.all(kept.map(async ([id, rec]) => {
    try {
      const d = await api("GET", `/api/tickets/${encodeURIComponent(id)}?token=${encodeURIComponent(rec.token)}`);
      const last = { ...(rec.last || {}), ...d };
      tickets.save(id, { last });
      return last;
    } catch (err) {
      if (err.status === 403 || err.status === 404) return null;
      return rec.last ? rec.last : { id, number: rec.number, state: "waiting", service_name: rec.service_name };
    }
  }));
  const shown = rows.filter((d) => d && !S.listed.has(d.id))
    .sort((a, b) => String(b.issued_at || "").localeCompare(String(a.issued_at || "")));
  $("local-tickets").replaceChildren(...shown.map((d) => ticketItem(d, true)));
  $("local-none").hidden = shown.length > 0;
  // Every ticket of this phone is listed above already: no second, empty list.
  $("local-view").hidden = shown.length === 0 && S.listed.size > 0;
  // Back to taking tickets: the hall of the phone's newest ticket.
  const newest = rows.filter((d) => d && d.hall_id)
    .sort((a, b) => String(b.issued_at || "").localeCompare(String(a.issued_at || "")))[0];
  $("take").hidden = !newest;
  if (newest) $("take").href = `/m/${encodeURIComponent(newest.hall_id)}`;
}

function countdown(seconds) {
  const button = $("send");
  clearInterval(S.timer);
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(S.timer);
      button.disabled = false;
      button.textContent = t("me.send");
      return;
    }
    button.disabled = true;
    button.textContent = t("me.resend_in", { n: left });
  };
  tick();
  S.timer = setInterval(tick, 1000);
}

function readPhone() {
  const phone = normalPhone($("si-phone").value);
  fieldError("si-phone", phone ? "" : t("phone.format"));
  if (!phone) $("si-phone").focus();
  return phone;
}

async function sendCode() {
  const phone = readPhone();
  if (!phone) return;
  $("sent").textContent = "";
  const button = $("send");
  button.disabled = true;
  button.textContent = t("me.sending");
  try {
    const r = await api("POST", "/api/citizen/code", { body: { phone, lang } });
    $("sent").textContent = t("me.sent", { phone: maskPhone(phone) });
    countdown(r && r.resend_in ? r.resend_in : 60);
    $("si-code").focus();
  } catch (err) {
    fieldError("si-phone", describe(err));
    const wait = err.error && err.error.retry_after;
    if (wait) countdown(Math.ceil(wait));
    else countdown(0);
  }
}

function codeError(err) {
  const e = err.error || {};
  switch (err.code) {
    case "code_wrong": return t("me.code_wrong", { n: e.tries_left ?? 0 });
    case "code_locked": return t("me.code_locked");
    case "code_expired": return t("me.code_expired");
    case "no_code": return t("me.no_code");
    default: return describe(err);
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const phone = readPhone();
  if (!phone) return;
  const code = $("si-code").value.trim();
  if (!/^[0-9]{6}$/.test(code)) {
    fieldError("si-code", t("me.code_format"));
    $("si-code").focus();
    return;
  }
  fieldError("si-code", "");
  $("submit").disabled = true;
  $("submit").textContent = t("me.busy");
  try {
    const r = await api("POST", "/api/citizen/session", { body: { phone, code } });
    session.save({ token: r.token, phone_masked: r.phone_masked, expires_at: r.expires_at });
    $("si-code").value = "";
    const next = nextPage();
    if (next) {
      location.assign(next);
      return;
    }
    say("");
    await loadMe();
    await loadLocal();
    $("me-phone").tabIndex = -1;
    $("me-phone").focus();
  } catch (err) {
    if (err.error && err.error.field === "phone") {
      fieldError("si-phone", describe(err));
      $("si-phone").focus();
    } else {
      fieldError("si-code", codeError(err));
      $("si-code").focus();
    }
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = t("me.submit");
  }
}

async function signOut() {
  const who = session.load();
  session.clear();
  if (who) {
    try {
      await api("DELETE", "/api/citizen/session", { citizen: who.token });
    } catch {
      // the phone forgets the sign-in whatever the server says
    }
  }
  showSignIn(t("me.signed_out"));
  await loadLocal();
  $("si-phone").focus();
}

async function start() {
  i18n.apply();
  wireLangSwitch($("lang"));
  $("send").addEventListener("click", sendCode);
  $("signin").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  setupAppointments({
    onSignedOut: () => {
      session.clear();
      showSignIn(t("me.expired"));
    },
  });
  await loadMe();
  await loadLocal();
  document.body.classList.remove("loading");
  const at = { "#appointments": "ap-title", "#cases": "cs-title", "#applications": "apl-title" }[location.hash];
  if (at && !$("me-view").hidden) $(at).focus();
}

start();
