// Services (业务) of the chosen hall: the ticket prefix, names, channels, daily quota and
// the online-appointment rules (booking.js).

import { enc } from "./api.js";
import { BookingEditor, bookingCell } from "./booking.js";
import { Crud } from "./section.js";
import { checkGroup, checkedValues, field, h } from "./ui.js";

export const CHANNELS = ["kiosk", "phone", "window"];
const CODE = /^[A-Z]{1,2}$/;
const AVG_MIN = 30;
const AVG_MAX = 14400;

export class ServicesSection extends Crud {
  constructor(app) {
    super(app, "services", "services.title", {
      addKey: "services.add",
      emptyKey: "services.empty",
      captionKey: "services.caption",
    });
  }

  get base() {
    return `/api/admin/halls/${enc(this.app.hallId)}/services`;
  }

  async load() {
    this.sub.textContent = this.app.hall ? this.app.hall.name : "";
    if (!this.app.hallId) {
      this.items = [];
      return;
    }
    this.items = (await this.app.client.get(this.base)).services || [];
  }

  onHallChanged() {
    if (this.editing !== undefined) this.closeEditor(null, { focus: false });
  }

  key(s) {
    return s.code;
  }

  label(s) {
    return `${s.code} ${this.app.named(s)}`;
  }

  columns() {
    return [
      { key: "services.code", cell: (s) => h("b", { class: "code" }, s.code) },
      { key: "services.name", cell: (s) => s.name },
      { key: "services.name_en", cell: (s) => s.name_en || "" },
      { key: "services.avg", cell: (s) => this.t("services.avg_value", { min: Math.round((s.avg_service_s || 0) / 6) / 10 }) },
      { key: "services.channels", cell: (s) => (s.channels || []).map((c) => this.t(`channel.${c}`)).join(this.t("list.sep")) },
      { key: "services.quota", cell: (s) => (s.daily_quota == null ? this.t("services.no_quota") : String(s.daily_quota)) },
      { key: "services.booking", cell: (s) => bookingCell(s.booking) },
    ];
  }

  fields(s) {
    const out = [];
    if (!s) {
      out.push(field({
        name: "code", label: "services.code", required: true, hint: "services.code_hint",
        attrs: { maxlength: "2", autocomplete: "off", class: "short", autocapitalize: "characters" },
      }));
    }
    out.push(
      field({ name: "name", label: "services.name", required: true, value: s ? s.name : "", attrs: { maxlength: "60" } }),
      field({ name: "name_en", label: "services.name_en", value: s ? s.name_en || "" : "", attrs: { maxlength: "80", lang: "en" } }),
      field({
        name: "avg_service_s", label: "services.avg_s", kind: "number", required: true,
        value: s ? s.avg_service_s : 300, hint: "services.avg_hint",
        attrs: { min: String(AVG_MIN), max: String(AVG_MAX), step: "1", class: "short" },
      }),
      checkGroup({
        name: "channels", legend: "services.channels",
        options: CHANNELS.map((c) => ({ value: c, key: `channel.${c}` })),
        values: s ? s.channels || [] : [...CHANNELS],
      }),
      field({
        name: "daily_quota", label: "services.quota", kind: "number",
        value: s && s.daily_quota != null ? s.daily_quota : "", hint: "services.quota_hint",
        attrs: { min: "0", step: "1", class: "short" },
      }),
    );
    this.booking = new BookingEditor(this.app, s ? s.booking : null);
    out.push(this.booking.root);
    return out;
  }

  read(form, s) {
    const v = (n) => form.elements[n].value.trim();
    const body = {
      name: v("name"),
      name_en: v("name_en"),
      avg_service_s: v("avg_service_s") === "" ? null : Number(v("avg_service_s")),
      channels: checkedValues(form, "channels"),
      daily_quota: v("daily_quota") === "" ? null : Number(v("daily_quota")),
      booking: this.booking.value(),
    };
    if (!s) body.code = v("code").toUpperCase();
    return body;
  }

  check(b, s) {
    const p = [];
    if (!s && !b.code) p.push({ field: "code", key: "form.required" });
    else if (!s && !CODE.test(b.code)) p.push({ field: "code", key: "services.code_bad" });
    if (!b.name) p.push({ field: "name", key: "form.required" });
    if (b.avg_service_s === null) p.push({ field: "avg_service_s", key: "form.required" });
    else if (!Number.isInteger(b.avg_service_s) || b.avg_service_s < AVG_MIN || b.avg_service_s > AVG_MAX) {
      p.push({ field: "avg_service_s", key: "form.int_between", vars: { min: AVG_MIN, max: AVG_MAX } });
    }
    if (!b.channels.length) p.push({ field: "channels", key: "services.channels_none" });
    if (b.daily_quota !== null && (!Number.isInteger(b.daily_quota) || b.daily_quota < 0)) {
      p.push({ field: "daily_quota", key: "form.whole_int" });
    }
    return p.concat(this.booking.problems(b.booking));
  }

  create(body) {
    return this.app.client.post(this.base, body);
  }

  update(s, patch) {
    return this.app.client.patch(`${this.base}/${enc(s.code)}`, patch);
  }

  remove(s) {
    return this.app.client.del(`${this.base}/${enc(s.code)}`);
  }
}
