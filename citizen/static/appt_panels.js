// The panels inside a 我的预约 card: 改期 (the slot picker of the same service, free places
// live over /ws while it is open, then a confirmation) and 取消 (after a confirmation).
// `host` is the list: {token(), replace(appointment), say(text), fail(appointment, err),
// signedOut(), cardOf(id)}.
import { api, describe, el, t } from "./common.js";
import { slotLabel } from "./appt_format.js";
import { connectLive } from "./live.js";
import { SlotPicker } from "./slotpicker.js";

const P = { open: null, socket: null, halls: new Map(), host: null };

export function button(text, cls, onClick, describedBy) {
  const b = el("button", { type: "button", class: cls, text, "aria-describedby": describedBy });
  b.addEventListener("click", onClick);
  return b;
}

export function setupPanels(host) {
  P.host = host;
}

export function openId() {
  return P.open ? P.open.id : null;
}

export function closePanel() {
  if (!P.open) return;
  const { hall } = P.open;
  P.open = null;
  if (P.socket) P.socket.unfollow(`hall:${hall}`);
  for (const p of document.querySelectorAll(".appt-panel")) {
    p.hidden = true;
    p.replaceChildren();
  }
}

function panelOf(a) {
  closePanel();
  const c = P.host.cardOf(a.id);
  c.querySelector("[data-role=error]").textContent = "";
  const panel = c.querySelector(".appt-panel");
  panel.hidden = false;
  P.open = { id: a.id, hall: a.hall_id, picker: null };
  return panel;
}

// A hall's public view (its time zone, its services' English names), read once a page.
export function hallView(hall) {
  if (!P.halls.has(hall)) {
    P.halls.set(hall, api("GET", `/api/halls/${encodeURIComponent(hall)}`).catch(() => {
      P.halls.delete(hall); // read again next time: the network may be back
      return null;
    }));
  }
  return P.halls.get(hall);
}

function onMessage(msg) {
  const picker = P.open && P.open.picker;
  if (!picker) return;
  if (msg.op === "event" && msg.type === "slot.changed") picker.applyEvent(msg.data);
  else if (msg.op === "snapshot") picker.load().catch(() => {});
}

function follow(hall) {
  if (!P.socket) {
    const offline = document.getElementById("offline");
    P.socket = connectLive({ offline, onMessage, onOnline: () => onMessage({ op: "snapshot" }) });
    P.socket.follow(`hall:${hall}`);
    P.socket.start();
  } else {
    P.socket.follow(`hall:${hall}`);
  }
}

export async function openReschedule(a) {
  const panel = panelOf(a);
  const head = el("h4", { class: "panel-title", tabIndex: -1, text: t("ap.resched_title") });
  const root = el("div", { class: "picker" });
  const ask = el("div", { class: "confirm-move", hidden: true });
  const error = el("p", { class: "error", role: "alert" });
  const close = button(t("ap.resched_no"), "plain", () => {
    closePanel();
    P.host.cardOf(a.id).querySelector(".resched").focus();
  });
  panel.append(head, root, ask, error, el("div", { class: "actions" }, close));
  const picker = new SlotPicker(root, { hall: a.hall_id, service: a.service, tz: (await hallView(a.hall_id))?.tz || "Asia/Shanghai",
    current: a.slot_start, onPick: (slot) => askMove(a, slot, { root, ask, error }) });
  if (!P.open || P.open.id !== a.id) return; // closed while the time zone was read
  P.open.picker = picker;
  follow(a.hall_id);
  try {
    await picker.load();
  } catch (err) {
    error.textContent = describe(err);
  }
  head.focus();
}

// One question at a time: the picker makes way for "改到 …？" and comes back for another.
function askMove(a, slot, { root, ask, error }) {
  const when = slotLabel(slot.start, slot.end);
  const again = () => {
    ask.hidden = true;
    root.hidden = false;
  };
  error.textContent = "";
  const yes = button(t("ap.resched_yes"), "primary", async () => {
    yes.disabled = true;
    yes.textContent = t("ap.resched_busy");
    try {
      const r = await api("PATCH", `/api/appointments/${encodeURIComponent(a.id)}`,
        { body: { slot: slot.start }, citizen: P.host.token() });
      P.host.replace(r);
      P.host.say(t("ap.resched_done", { when: slotLabel(r.slot_start, r.slot_end) }));
    } catch (err) {
      if (err.status === 401) {
        P.host.signedOut();
        return;
      }
      // Taken meanwhile, or started: said, and the list read afresh to choose again.
      error.textContent = describe(err);
      again();
      if (P.open && P.open.picker) P.open.picker.load().catch(() => {});
    }
  });
  const no = button(t("ap.resched_other"), "plain", () => {
    again();
    const picker = P.open && P.open.picker;
    const back = picker && picker.slotList.querySelector(`[data-slot="${Date.parse(slot.start)}"]`);
    if (back) back.focus();
  });
  const from = slotLabel(a.slot_start, a.slot_end);
  ask.replaceChildren(el("p", { class: "confirm-q", text: t("ap.resched_confirm", { from, when }) }),
    el("div", { class: "actions" }, yes, no));
  ask.hidden = false;
  root.hidden = true;
  yes.focus();
}

export function openCancel(a) {
  const panel = panelOf(a);
  const when = slotLabel(a.slot_start, a.slot_end);
  const qid = `ap-${a.id}-cancel-q`;
  const yes = button(t("ap.cancel_yes"), "danger", async () => {
    yes.disabled = true;
    try {
      P.host.replace(await api("DELETE", `/api/appointments/${encodeURIComponent(a.id)}`,
        { citizen: P.host.token() }));
      P.host.say(t("ap.cancelled"));
    } catch (err) {
      yes.disabled = false;
      P.host.fail(a, err);
    }
  });
  const no = button(t("ap.cancel_no"), "plain", () => {
    closePanel();
    P.host.cardOf(a.id).querySelector(".cancel").focus();
  });
  panel.append(el("div", { class: "confirm", role: "group", "aria-labelledby": qid },
    el("p", { id: qid, text: t("ap.cancel_confirm", { when }) }),
    el("div", { class: "actions" }, yes, no)));
  no.focus();
}
