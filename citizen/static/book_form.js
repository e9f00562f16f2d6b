// The booking page's confirm form and its done screen: the fields checked before anything
// is sent (the ID number by the shared GB 11643 check), errors beside their fields, and the
// booking code, its QR, the slot and the check-in time once booked.
import { t } from "./common.js";
import { codeNode, qrNode, slotLabel, windowLabel } from "./appt_format.js";
import { idProblem } from "./idcheck.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const $ = (id) => document.getElementById(id);

export function fieldError(id, message) {
  $(`${id}-error`).textContent = message || "";
  if (message) $(id).setAttribute("aria-invalid", "true");
  else $(id).removeAttribute("aria-invalid");
}

export function clearErrors() {
  for (const id of ["id-number", "name", "email"]) fieldError(id, "");
  $("form-error").textContent = "";
  $("form-error-link").hidden = true;
  $("form-error-until").hidden = true;
}

// {id_number, name, email} to send, or {focus: the field to fix first}.
export function readForm() {
  const idRaw = $("id-number").value.trim();
  const problem = idRaw ? idProblem(idRaw) : { key: "book.id_empty" };
  fieldError("id-number", problem ? t(problem.key, problem.vars || {}) : "");
  const email = $("email").value.trim();
  const badEmail = email && !EMAIL.test(email);
  fieldError("email", badEmail ? t("book.email_format") : "");
  if (problem) return { focus: "id-number" };
  if (badEmail) return { focus: "email" };
  return { id_number: idRaw.toUpperCase(), name: $("name").value.trim() || null, email: email || null };
}

// `name`: the service in the page's language (the booking carries the Chinese name only).
export function renderDone(r, name) {
  $("done-code").replaceChildren(codeNode(r.code, "code-big"));
  $("done-qr").replaceChildren(qrNode(r.qr_svg, "qr qr-big"));
  $("d-service").textContent = name || r.service_name;
  $("d-when").textContent = slotLabel(r.slot_start, r.slot_end);
  $("d-window").textContent = windowLabel(r.check_in_from, r.check_in_until);
  $("d-hall").textContent = r.hall_name;
  $("next1").textContent = t("book.next1", { hall: r.hall_name });
}
