// The board's long-wait notice: shown while the hall's longest wait is past its target
// (stats.wait_alert on the hall topic, display-safe: services and minutes only), hidden
// when it clears. Read once at start and after a reconnect, since a board that opens
// during an alert has seen no event yet.
import { getJson, i18n } from "./display.js";

export class WaitAlert {
  constructor(hallId, el) {
    this.hallId = hallId;
    this.el = el;
    this.services = [];
    this.targetS = 1800;
  }

  async load() {
    try {
      const r = await getJson(`/api/halls/${encodeURIComponent(this.hallId)}/wait-alert`);
      this.show(r.active);
    } catch {
      // offline: the next event or reconnect brings it
    }
  }

  onEvent(msg) {
    if (msg.type !== "stats.wait_alert") return;
    const d = msg.data || {};
    this.services = d.services || [];
    this.targetS = d.target_s || this.targetS;
    this.show(!!d.active);
  }

  show(active) {
    const minutes = Math.round(this.targetS / 60);
    this.el.querySelector(".wait-alert-text").textContent = this.services.length
      ? i18n.t("alert.wait_services", { services: this.services.join("、"), minutes })
      : i18n.t("alert.wait", { minutes });
    this.el.hidden = !active;
    document.body.classList.toggle("has-wait-alert", active);
  }
}
