// 评价器配对 on /supervise: pair a window's rating pad (a new key, shown once as the
// address to open on the pad), pair again, or unpair. The server keeps only the key's hash.
import { $, h, setText } from "/static/console/dom.js";

const enc = encodeURIComponent;

export class PadsPanel {
  constructor(page) {
    this.page = page;
  }

  async load() {
    const p = this.page;
    setText($("pads-error"), "");
    if (!p.hall) return;
    try {
      const [hall, pads] = await Promise.all([
        p.call("GET", `/api/halls/${enc(p.hall)}`),
        p.call("GET", `/api/halls/${enc(p.hall)}/pads`),
      ]);
      const windows = (hall.windows || []).slice().sort((a, b) => a.number - b.number);
      $("pads-list").replaceChildren(...windows.map((w) => this.row(w, pads.paired[w.id])));
    } catch (e) {
      setText($("pads-error"), p.err(e));
    }
  }

  row(w, pairedAt) {
    const p = this.page;
    const name = p.t("pads.window", { n: w.number });
    const state = pairedAt ? p.t("pads.paired", { at: p.when(pairedAt) }) : p.t("pads.unpaired");
    const li = h("li", { "data-window": w.id }, h("span", { class: "fu-pad-name" }, name),
      h("span", { class: "fu-pad-state" }, state),
      h("button", { type: "button", class: "ghost small pad-pair", onclick: () => this.pair(w, name) },
        p.t(pairedAt ? "pads.repair" : "pads.pair")));
    if (pairedAt) {
      li.append(h("button", { type: "button", class: "ghost small pad-unpair",
        onclick: () => this.unpair(w) }, p.t("pads.unpair")));
    }
    return li;
  }

  async pair(w, name) {
    const p = this.page;
    setText($("pads-error"), "");
    try {
      const r = await p.call("POST", `/api/windows/${enc(w.id)}/pad`);
      setText($("pads-key-note"), p.t("pads.key", { window: name }));
      $("pads-key-url").href = r.pad_url;
      setText($("pads-key-url"), r.pad_url);
      $("pads-key").hidden = false;
      await this.load();
    } catch (e) {
      setText($("pads-error"), p.err(e));
    }
  }

  async unpair(w) {
    const p = this.page;
    setText($("pads-error"), "");
    $("pads-key").hidden = true;
    try {
      await p.call("DELETE", `/api/windows/${enc(w.id)}/pad`);
      await this.load();
    } catch (e) {
      setText($("pads-error"), p.err(e));
    }
  }
}
