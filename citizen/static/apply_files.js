// The materials of an online application (网上申报) on its page (apply.js): each with its
// files (name, type, size; removable while the citizen may still change them) and an
// upload control (the raw file as the body of a PUT; the server reads what the file
// really is, and its refusal, too large, not a PDF/JPEG/PNG, a damaged PDF, is said
// beside the material). Once returned, the materials pre-review found missing are marked.
import { api, describe, el, lang, t } from "./common.js";

const ACCEPT = "application/pdf,image/jpeg,image/png";
const KIND = { "application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png" };
const MAX_FILES = 5; // per material, as the server keeps them

export function sizeText(n) {
  if (n < 1024) return t("apply.size.b", { n });
  const kb = n / 1024;
  if (kb < 1024) return t("apply.size.kb", { n: kb < 10 ? kb.toFixed(1) : Math.round(kb) });
  const mb = kb / 1024;
  return t("apply.size.mb", { n: mb < 10 ? mb.toFixed(1) : Math.round(mb) });
}

const kindText = (type) => (KIND[type] ? t(`apply.kind.${KIND[type]}`) : type);

export class MaterialList {
  // host: {app(): the application, token(): the sign-in, say(text), failed(err): a
  // refusal that is no fault of the file (the sign-in ran out, the application moved on)}.
  constructor(list, host) {
    this.list = list;
    this.host = host;
    this.materials = [];
    this.busy = 0; // uploads under way
  }

  render(materials, editable) {
    this.materials = materials;
    this.editable = editable;
    this.list.replaceChildren(...materials.map((m) => this.#row(m)));
  }

  // Before pre-review: the required materials with no file, those that may follow (容缺),
  // and, once returned, those the clerk listed that have no file uploaded since.
  unfilled() {
    const a = this.host.app();
    const has = new Set(a.files.map((u) => u.material));
    const asked = new Set(a.state === "returned" ? a.missing.map((x) => x.key) : []);
    const fresh = new Set(a.files.filter((u) => Date.parse(u.uploaded_at) > Date.parse(a.reviewed_at || 0))
      .map((u) => u.material));
    const empty = this.materials.filter((m) => m.required && !has.has(m.key) && !asked.has(m.key));
    return { required: empty.filter((m) => !m.waivable), waivable: empty.filter((m) => m.waivable),
      asked: this.materials.filter((m) => asked.has(m.key) && !fresh.has(m.key)) };
  }

  focus(key) {
    const input = this.list.querySelector(`[data-material="${CSS.escape(key)}"] input[type=file]`);
    if (input) input.focus();
  }

  #row(m) {
    const a = this.host.app();
    const id = `mat-${m.key}`;
    const tags = [el("span", { class: m.required ? "tag tag-required" : "tag tag-optional",
      text: t(m.required ? "matter.required" : "matter.optional") })];
    if (m.waivable) tags.push(" ", el("span", { class: "tag tag-waivable", text: t("matter.waivable") }));
    const missing = a.state === "returned" && a.missing.some((x) => x.key === m.key);
    if (missing) tags.push(" ", el("span", { class: "tag tag-fix", "data-role": "fix" }));
    const li = el("li", { class: `material card${missing ? " is-missing" : ""}`, "data-material": m.key },
      el("div", { class: "material-head" }, el("h3", { class: "material-name", id: `${id}-name`, tabIndex: -1, lang: lang === "zh" ? null : "zh-CN",
        text: m.name }),
        el("span", { class: "material-tags" }, ...tags)),
      el("ul", { class: "files", "aria-labelledby": `${id}-name` }),
      el("p", { class: "muted no-file", text: t("apply.no_file") }));
    if (this.editable) {
      const input = el("input", { type: "file", id: `${id}-file`, class: "file-input", accept: ACCEPT,
        multiple: true, "aria-describedby": `${id}-error ${id}-status` });
      input.addEventListener("change", () => this.#upload(m, input));
      li.append(el("div", { class: "upload" }, input,
        el("label", { htmlFor: input.id, class: "button secondary upload-label" },
          el("span", { "data-role": "upload-text" }),
          el("span", { class: "sr-only", text: t("apply.upload_for", { name: m.name }) }))));
    }
    li.append(el("p", { class: "material-status muted", id: `${id}-status`, "aria-live": "polite" }),
      el("p", { class: "error", id: `${id}-error`, "aria-live": "polite", "data-role": "error" }));
    this.#files(m, li);
    return li;
  }

  // The material's files as they are now, and what its controls say.
  #files(m, li) {
    const a = this.host.app();
    const mine = a.files.filter((u) => u.material === m.key);
    const items = mine.map((u) => {
      const item = el("li", { class: "file", "data-digest": u.digest },
        el("span", { class: "file-name", text: u.name }),
        el("span", { class: "file-meta", text: `${kindText(u.content_type)} · ${sizeText(u.size)}` }));
      if (this.editable) {
        const remove = el("button", { type: "button", class: "plain file-remove", text: t("apply.remove"),
          "aria-label": t("apply.remove_label", { name: u.name }) });
        remove.addEventListener("click", () => this.#remove(m, u, remove));
        item.append(remove);
      }
      return item;
    });
    li.querySelector(".files").replaceChildren(...items);
    li.querySelector(".files").hidden = !items.length;
    li.querySelector(".no-file").hidden = items.length > 0;
    const fix = li.querySelector("[data-role=fix]");
    if (fix) {
      // Supplied after the return: said so, the clerk's list stays what it was.
      const again = a.reviewed_at && mine.some((u) => Date.parse(u.uploaded_at) > Date.parse(a.reviewed_at));
      fix.textContent = again ? t("apply.fixed") : t("apply.needs_fix");
      fix.dataset.fixed = String(Boolean(again));
    }
    const text = li.querySelector("[data-role=upload-text]");
    if (text) text.textContent = t(mine.length ? "apply.upload_more" : "apply.upload");
    const input = li.querySelector("input[type=file]");
    if (input) input.disabled = mine.length >= MAX_FILES;
  }

  #li(m) {
    return this.list.querySelector(`[data-material="${CSS.escape(m.key)}"]`);
  }

  async #upload(m, input) {
    const files = [...input.files];
    input.value = ""; // the same file may be picked again after a refusal
    const li = this.#li(m);
    const status = li.querySelector(".material-status");
    const error = li.querySelector("[data-role=error]");
    error.textContent = "";
    this.busy++;
    try {
      for (const file of files) {
        status.textContent = t("apply.uploading", { name: file.name });
        const a = this.host.app();
        const path = `/api/applications/${encodeURIComponent(a.id)}/files/${encodeURIComponent(m.key)}`
          + `?name=${encodeURIComponent(file.name)}`;
        try {
          const u = await api("PUT", path, { raw: file, citizen: this.host.token() });
          a.files.push(u);
          status.textContent = t("apply.uploaded", { name: file.name });
          this.host.say(status.textContent);
        } catch (err) {
          status.textContent = "";
          if (err.error && err.error.field === "file") {
            error.textContent = `${file.name}${lang === "zh" ? "：" : ": "}${describe(err)}`;
            continue;
          }
          error.textContent = describe(err);
          this.host.failed(err);
          break;
        }
        this.#files(m, li);
      }
    } finally {
      this.busy--;
      this.#files(m, li);
    }
  }

  async #remove(m, u, button) {
    const a = this.host.app();
    const li = this.#li(m);
    const error = li.querySelector("[data-role=error]");
    error.textContent = "";
    button.disabled = true;
    try {
      await api("DELETE", `/api/applications/${encodeURIComponent(a.id)}/files/${encodeURIComponent(m.key)}`
        + `/${encodeURIComponent(u.digest)}`, { citizen: this.host.token() });
      a.files = a.files.filter((x) => !(x.material === m.key && x.digest === u.digest));
      this.#files(m, li);
      li.querySelector(".material-status").textContent = t("apply.removed", { name: u.name });
      const next = li.querySelector("input[type=file]") || li.querySelector(".material-name");
      next.focus();
    } catch (err) {
      button.disabled = false;
      error.textContent = describe(err);
      if (err.status !== 404) this.host.failed(err);
    }
  }
}
