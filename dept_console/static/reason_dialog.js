// The two dialogs of a task action, on the clerk console's runDialog (Enter confirms,
// Esc cancels, the error stays inside until it succeeds or is cancelled): the reason
// asked by reject, supplement and suspend, and the confirmation of an approval.
// Both are modal (the page behind is inert) and keep Tab inside themselves.

import { $, setText } from "/static/console/dom.js";
import { runDialog } from "/static/console/dialogs.js";

const FOCUSABLE = "button, textarea, input, select, [tabindex]:not([tabindex='-1'])";

function trapFocus(dlg) {
  if (dlg.dataset.trapped) return;
  dlg.dataset.trapped = "1";
  dlg.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const items = [...dlg.querySelectorAll(FOCUSABLE)]
      .filter((el) => !el.disabled && el.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });
}

// submit(reason) -> null when done, or the error ({key} or the server's) to show.
export function reasonDialog(app, { action, number, submit }) {
  const dlg = $("dlg-reason");
  trapFocus(dlg);
  const text = $("reason-text");
  const form = dlg.querySelector("form");
  text.value = "";
  text.removeAttribute("aria-invalid");
  dlg.dataset.action = action;
  setText($("reason-title"), app.t(`reason.${action}`, { number }));
  setText($("reason-hint"), app.t(`reason.hint.${action}`));
  setText($("reason-ok"), app.t(`reason.ok.${action}`));
  // Enter makes a new line in the reason; Ctrl+Enter confirms.
  text.onkeydown = (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  };
  const invalid = (message) => {
    text.setAttribute("aria-invalid", "true");
    text.focus();
    return message;
  };
  return runDialog(dlg, {
    focus: text,
    submit: async () => {
      const reason = text.value.trim();
      if (!reason) return invalid(app.t("reason.needed"));
      text.removeAttribute("aria-invalid");
      const err = await submit(reason);
      if (!err) return null;
      return err.field === "reason" ? invalid(app.errorText(err)) : app.errorText(err);
    },
  });
}

export function approveDialog(app, { number, matter, applicant, submit }) {
  const dlg = $("dlg-approve");
  trapFocus(dlg);
  setText($("approve-title"), app.t("approve.title", { number }));
  setText($("approve-body"), app.t("approve.body", { matter, applicant }));
  return runDialog(dlg, {
    focus: $("approve-ok"),
    submit: async () => {
      const err = await submit();
      return err ? app.errorText(err) : null;
    },
  });
}
