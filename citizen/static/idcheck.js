// The phone page's wording of the shared ID and phone checks (web_common/idcheck.js):
// its own catalog keys, with what each message names.

import { checkCharacter, checkId, checkPhone } from "/static/common/idcheck.js";

const KEYS = {
  "id.err.empty": "id.length",
  "id.err.length": "id.length",
  "id.err.x": "id.chars",
  "id.err.region": "id.region",
  "id.err.birth_old": "id.birth",
  "id.err.birth_invalid": "id.birth",
  "id.err.birth_future": "id.birth",
  "id.err.check": "id.check",
};

const isoDay = (d) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

// null when the number is well formed; else {key, vars} for the catalog.
export function idProblem(raw, today = new Date()) {
  const found = checkId(raw, isoDay(today));
  if (found.ok) return null;
  const v = String(raw || "").trim().toUpperCase();
  const key = KEYS[found.error] || "id.chars";
  const vars = {
    "id.length": { n: v.length },
    "id.region": { code: v.slice(0, 2) },
    "id.birth": { date: `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}` },
    "id.check": { want: checkCharacter(v), got: v[17] },
  }[key] || {};
  return { key, vars };
}

// The number as the server wants it (digits only), or null when it is not a mobile
// number; a phone may paste it with spaces, dashes or +86.
export function normalPhone(raw) {
  let v = String(raw || "").replace(/[\s-]/g, "");
  if (v.startsWith("+86")) v = v.slice(3);
  return checkPhone(v).ok ? v : null;
}
