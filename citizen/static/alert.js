// Being called: a full-screen "请到 3号窗口", a vibration and, when the citizen allowed it,
// a system notification (which reaches them with the page in the background).
import { t } from "./common.js";

const ASKED = "ow.citizen.notify_asked";
const PATTERN = [400, 200, 400, 200, 800];
const $ = (id) => document.getElementById(id);

export function notificationsSupported() {
  return "Notification" in window;
}

// The "开启到号提醒" button and its note: asked once, on the citizen's own tap.
export function setupNotifyButton(button, note) {
  const show = () => {
    if (!notificationsSupported()) {
      button.hidden = true;
      note.hidden = false;
      note.textContent = t("notify.none");
      return;
    }
    const perm = Notification.permission;
    const asked = localStorage.getItem(ASKED) === "1";
    button.hidden = perm !== "default" || asked;
    note.hidden = !button.hidden;
    note.textContent = perm === "granted" ? t("notify.on") : t("notify.denied");
  };
  button.addEventListener("click", async () => {
    localStorage.setItem(ASKED, "1");
    try {
      await Notification.requestPermission();
    } catch {
      // an old browser without the promise form: the note says what happens instead
    }
    show();
    note.focus();
  });
  note.tabIndex = -1;
  show();
}

async function systemNotice(title, body, tag) {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  const options = { body, tag, renotify: true, requireInteraction: true, vibrate: PATTERN };
  try {
    new Notification(title, options); // eslint-disable-line no-new
    return;
  } catch {
    // Android's Chrome allows notifications only from a service worker.
  }
  try {
    const reg = await navigator.serviceWorker.register("/static/citizen/sw.js");
    await navigator.serviceWorker.ready;
    await reg.showNotification(title, options);
  } catch {
    // no way to notify: the full-screen call and the vibration remain
  }
}

export class CallScreen {
  constructor(onDismiss) {
    this.box = $("called");
    this.before = null;
    this.onDismiss = onDismiss;
    $("called-ok").addEventListener("click", () => this.hide(true));
    this.box.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") this.hide(true);
      if (ev.key === "Tab") { // the only control: keep focus inside while it is up
        ev.preventDefault();
        $("called-ok").focus();
      }
    });
  }

  get shown() {
    return !this.box.hidden;
  }

  // Show (or refresh) the call; `news` also vibrates and notifies.
  show(data, windowLabel, serviceLabel, news) {
    $("called-window").textContent = windowLabel;
    $("called-number").textContent = data.number;
    $("called-service").textContent = serviceLabel;
    this.box.dataset.window = data.window ? String(data.window.number) : "";
    if (!this.shown) {
      this.before = document.activeElement;
      this.box.hidden = false;
      document.body.classList.add("is-called");
    }
    $("called-ok").focus();
    if (!news) return;
    try {
      if (navigator.vibrate) navigator.vibrate(PATTERN);
    } catch {
      // vibration is a nicety
    }
    systemNotice(t("call.notify", { number: data.number, window: windowLabel }), serviceLabel,
      `ow-ticket-${data.id}`);
  }

  hide(byUser = false) {
    if (!this.shown) return;
    this.box.hidden = true;
    document.body.classList.remove("is-called");
    if (byUser) this.onDismiss();
    const back = this.before && document.contains(this.before) ? this.before : $("t-state");
    if (back) {
      if (!back.hasAttribute("tabindex") && back.id === "t-state") back.tabIndex = -1;
      back.focus();
    }
  }
}
