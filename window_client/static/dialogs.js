// Modal forms (<dialog>): Enter confirms, Esc cancels, and an action's error is shown
// inside the dialog, which stays open until the action succeeds or the user cancels.

import { $, h } from "./dom.js";

// submit(value, form) -> null on success (the dialog closes) or the error text to show.
// keys: extra single-letter shortcuts inside the dialog, e.g. {c: "close"}.
export function runDialog(dlg, { submit, keys = {}, focus = null }) {
  const form = dlg.querySelector("form");
  const error = dlg.querySelector(".dlg-error");
  error.textContent = "";
  const before = document.activeElement;
  return new Promise((resolve) => {
    let busy = false;
    const finish = (value) => {
      form.onsubmit = null;
      dlg.onclick = null;
      dlg.onkeydown = null;
      dlg.oncancel = null;
      if (dlg.open) dlg.close();
      // Focus goes back where it was, or nowhere: never left on a hidden field of the
      // closed dialog, where the page's shortcut keys would not reach.
      if (dlg.contains(document.activeElement)) document.activeElement.blur();
      if (before && before !== document.body && before.isConnected && !before.disabled) {
        before.focus();
      }
      resolve(value);
    };
    const go = async (value) => {
      if (busy) return;
      busy = true;
      dlg.setAttribute("aria-busy", "true");
      error.textContent = "";
      try {
        const problem = await submit(value, form);
        if (problem) error.textContent = problem;
        else finish(value);
      } finally {
        busy = false;
        dlg.removeAttribute("aria-busy");
      }
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      go((e.submitter && e.submitter.value) || "ok");
    };
    dlg.onclick = (e) => {
      const b = e.target.closest("button[type=button]");
      if (!b || !dlg.contains(b)) return;
      if (b.value === "cancel") finish(null);
      else go(b.value);
    };
    dlg.oncancel = (e) => {
      e.preventDefault();
      if (!busy) finish(null);
    };
    dlg.onkeydown = (e) => {
      if (e.ctrlKey || e.altKey || e.metaKey) return;
      const tag = e.target.tagName;
      if (e.key === "Enter" && tag !== "BUTTON" && tag !== "TEXTAREA") {
        // Enter on a select or a radio confirms too, as it does in a text field.
        e.preventDefault();
        form.requestSubmit();
      } else if (tag !== "INPUT" && tag !== "SELECT" && keys[e.key.toLowerCase()]) {
        e.preventDefault();
        go(keys[e.key.toLowerCase()]);
      }
    };
    dlg.showModal();
    const first = focus || form.querySelector("input:not([type=radio]), select, button");
    if (first) {
      first.focus();
      if (first.select) first.select();
    }
  });
}

// The transfer form, for a clerk's current ticket or a supervisor's waiting one.
export function transferDialog(ctx, { title, ticket, excludeWindow = null, submit }) {
  const dlg = $("dlg-transfer");
  const services = ctx.hall ? ctx.hall.services : [];
  const windows = ctx.hall ? ctx.hall.windows.filter((w) => w.id !== excludeWindow) : [];
  const svc = $("transfer-service");
  svc.replaceChildren(
    ...services.map((s) => h("option", { value: s.code }, `${s.code} · ${ctx.serviceName(s.code)}`)),
  );
  const other = services.find((s) => s.code !== ticket.service);
  svc.value = other ? other.code : ticket.service;
  const win = $("transfer-window");
  win.replaceChildren(
    h("option", { value: "" }, ctx.t("transfer.any_window")),
    ...windows.map((w) =>
      h("option", { value: w.id }, `${w.name} · ${ctx.t(`win.state.${w.state}`)}`)),
  );
  win.value = "";
  dlg.querySelector("input[value=front]").checked = true;
  $("transfer-reason").value = "";
  $("transfer-title").textContent = title;
  return runDialog(dlg, {
    focus: svc,
    submit: (_, form) => {
      const f = new FormData(form);
      return submit({
        service: f.get("service") || null,
        window: f.get("window") || null,
        keep_place: f.get("place") !== "back",
        reason: (f.get("reason") || "").trim() || null,
      });
    },
  });
}

export function pauseDialog(ctx, { title, submit }) {
  const dlg = $("dlg-pause");
  $("pause-title").textContent = title;
  $("pause-presets").replaceChildren(
    ...ctx.t("pause.presets").split(",").map((p) => h("option", { value: p })),
  );
  $("pause-reason").value = ctx.t("pause.default");
  return runDialog(dlg, {
    submit: (_, form) => submit((new FormData(form).get("reason") || "").trim() || null),
  });
}

export function confirmDialog({ title, ok, submit }) {
  const dlg = $("dlg-confirm");
  $("confirm-title").textContent = title;
  $("confirm-ok").textContent = ok;
  return runDialog(dlg, { focus: $("confirm-ok"), submit });
}
