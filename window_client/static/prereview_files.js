// The files a citizen uploaded with an online application, as the pre-review shows them:
// under each material its files (name, type, size, 查看), and a viewer beside the list.
// A file is fetched with the clerk's token (a plain link cannot carry it; the server
// audits every view) and shown from a blob: URL — an image in the viewer, a PDF in a new
// tab (the console's policy allows blob: images; the tab is a document of its own). The
// URLs live as long as the review and are revoked with it.

import { $, h, setText } from "./dom.js";
import { apiBlob } from "./session.js";

const PDF = "application/pdf";
const IMAGES = new Set(["image/png", "image/jpeg"]);
const TYPE_NAMES = { [PDF]: "PDF", "image/png": "PNG", "image/jpeg": "JPEG" };

export function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export class FileViewer {
  constructor(ctx) {
    this.ctx = ctx;
    this.urls = new Map();  // file digest -> blob: URL
    this.shown = null;      // what the viewer says: {key, vars} or {text}, with url, image…
    this.gen = 0;           // bumped by reset: a download for a review gone is dropped
  }

  // A new review (or none): nothing shown, every URL of the last one let go.
  reset() {
    this.gen += 1;
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
    this.#show({ key: "pr.viewer_hint" });
  }

  relabel() {
    if (this.shown) this.#show(this.shown);
  }

  // The line under material `m` of application `app`: its files, or "none uploaded".
  list(app, m) {
    const { ctx } = this;
    const files = app ? app.files.filter((f) => f.material === m.key) : [];
    if (!files.length) return h("p", { class: "pr-files pr-none muted" }, ctx.t("pr.no_files"));
    return h("ul", { class: "pr-files" }, ...files.map((f) => h("li", { dataset: { digest: f.digest } },
      h("span", { class: "pr-file" }, f.name), " ",
      h("span", { class: "muted" }, `${TYPE_NAMES[f.content_type] || f.content_type} · ${sizeText(f.size)}`),
      " ",
      h("button", { type: "button", class: "quiet pr-view", onclick: () => this.view(app, m, f),
        "aria-label": ctx.t("pr.view_label", { name: f.name }) }, ctx.t("pr.view")))));
  }

  async view(app, m, f) {
    const what = `${m.name} · ${f.name}`;
    const pdf = f.content_type === PDF;
    if (!pdf && !IMAGES.has(f.content_type)) return this.#show({ key: "pr.viewer_other", vars: { what } });
    // The tab is opened now, while the click still counts as the clerk's own (one opened
    // after the download may be blocked as a pop-up), and sent on once the bytes are
    // here — or closed if they do not come.
    const tab = pdf ? window.open("", "_blank") : null;
    if (tab) tab.opener = null;
    const gen = this.gen;
    this.#show({ key: "pr.viewer_loading", vars: { name: f.name } });
    let url;
    try {
      url = await this.#url(app, f, gen);
    } catch (err) {
      if (tab) tab.close();
      if (gen === this.gen) this.#show({ text: this.ctx.errorText(err) });
      return;
    }
    if (gen !== this.gen) {
      if (tab) tab.close();
      return;
    }
    if (pdf) {
      if (tab) tab.location.href = url;
      return this.#show({ key: tab ? "pr.viewer_pdf" : "pr.viewer_blocked", vars: { what }, url });
    }
    this.#show({ key: "pr.viewer_image", vars: { what }, url, image: true, alt: what,
      caption: `${what} · ${sizeText(f.size)}` });
  }

  async #url(app, f, gen) {
    if (!this.urls.has(f.digest)) {
      const path = `/api/applications/${encodeURIComponent(app.id)}/files/${encodeURIComponent(f.digest)}`;
      const raw = await apiBlob(path, { token: this.ctx.session.token });
      if (gen !== this.gen) return null;
      // The type is the one the server found by content, whatever the answer said.
      this.urls.set(f.digest, URL.createObjectURL(new Blob([raw], { type: f.content_type })));
    }
    return this.urls.get(f.digest);
  }

  // A sentence (role=status), the image with its caption, the link to a new tab. The
  // <img> exists only while a picture shows: none is left pointing at a revoked URL.
  #show(state) {
    this.shown = state;
    setText($("pr-viewer-status"), state.text || this.ctx.t(state.key, state.vars || {}));
    const figure = $("pr-figure");
    let img = $("pr-img");
    figure.hidden = !state.image;
    if (!state.image && img) img.remove();
    if (state.image) {
      if (!img) {
        img = h("img", { id: "pr-img", alt: "", onerror: () => this.#broken() });
        figure.prepend(img);
      }
      if (img.getAttribute("src") !== state.url) img.src = state.url;
      img.alt = state.alt;
      setText($("pr-caption"), state.caption);
    }
    $("pr-open").hidden = !state.url;
    if (state.url) $("pr-open").href = state.url;
    else $("pr-open").removeAttribute("href");
  }

  #broken() {
    if (this.shown && this.shown.image) this.#show({ key: "pr.viewer_broken", vars: this.shown.vars });
  }
}
