// Choosing the window: open a closed one, or continue at the one already signed in to you.

import { $, h, reconcile, setText } from "./dom.js";

export class Picker {
  constructor(ctx, message = "") {
    this.ctx = ctx;
    this.message = message;
    this.busy = null;
    this.onKey = (e) => this.#key(e);
  }

  start() {
    document.addEventListener("keydown", this.onKey);
    this.render();
  }

  stop() {
    document.removeEventListener("keydown", this.onKey);
  }

  onHallChanged() {
    this.render();
  }

  #status(w) {
    if (w.state === "closed") return "open";
    // By the user's id once the socket said it: a display name may change, or be shared.
    const { userId, session } = this.ctx;
    const mine = userId && w.clerk_id ? w.clerk_id === userId
      : !!w.clerk_name && w.clerk_name === session.display_name;
    return mine ? "continue" : "taken";
  }

  render() {
    const { ctx } = this;
    $("hall-form").hidden = true;
    const hall = ctx.hall;
    const list = $("picker-list");
    if (!hall) {
      list.replaceChildren(h("p", { class: "muted" }, ctx.t("picker.loading")));
    } else {
      const windows = [...hall.windows].sort((a, b) => a.number - b.number);
      reconcile(list, windows, (w) => w.id,
        (w) => h("button", { type: "button", class: "wpick", onclick: () => this.choose(w.id) },
          h("span", { class: "wpick-num" }), h("span", { class: "wpick-name" }),
          h("span", { class: "pill" }), h("span", { class: "wpick-svc" }),
          h("span", { class: "wpick-act" })),
        (el, w) => {
          const status = this.#status(w);
          const [num, name, pill, svc, act] = el.children;
          setText(num, String(w.number));
          setText(name, w.name);
          setText(pill, ctx.t(`win.state.${w.state}`));
          pill.dataset.state = w.state;
          setText(svc, ctx.t("picker.services", {
            list: w.services.map((c) => `${c} ${ctx.serviceName(c)}`).join("、"),
          }));
          const label = { open: ctx.t("picker.open"), continue: ctx.t("picker.continue"),
            taken: ctx.t("picker.taken", { name: w.clerk_name || "—" }) }[status];
          setText(act, this.busy === w.id ? ctx.t("busy") : label);
          el.dataset.status = status;
          el.dataset.window = w.id;
          el.disabled = status === "taken" || !!this.busy || !ctx.online;
        });
    }
    setText($("picker-error"), this.message);
    // Ready for the keyboard: the first window that can be chosen has the focus.
    const first = list.querySelector("button:not([disabled])");
    const idle = !document.activeElement || document.activeElement === document.body;
    if (first && idle) first.focus();
  }

  async choose(id) {
    const { ctx } = this;
    const w = ctx.hall && ctx.hall.windows.find((x) => x.id === id);
    if (!w || this.busy) return;
    const status = this.#status(w);
    if (status === "continue") return ctx.enterWindow(id);
    if (status === "taken") return;
    this.busy = id;
    this.message = "";
    this.render();
    let reply;
    try {
      reply = await ctx.socket.command("open", { window: id });
    } catch {
      reply = { ok: false, error: { key: "err.timeout" } };
    }
    this.busy = null;
    if (reply.ok) return ctx.enterWindow(id);
    this.message = ctx.errorText(reply.error);
    ctx.refreshHall(0);
    this.render();
  }

  #key(e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    if (e.target.tagName === "INPUT" || !this.ctx.hall) return;
    if (!/^[1-9]$/.test(e.key)) return;
    // The number selects; Enter (or Space) on the focused window confirms.
    const w = this.ctx.hall.windows.find((x) => String(x.number) === e.key);
    const el = w && $("picker-list").querySelector(`[data-window="${w.id}"]`);
    if (!el || el.disabled) return;
    e.preventDefault();
    el.focus();
  }
}
