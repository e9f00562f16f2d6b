// The checks the kiosk and the phone page make before they send anything: a resident
// ID number (GB 11643-1999: region, birth date, ISO 7064 MOD 11-2 check character) and
// a mainland mobile number. The server checks the same again (server/domain/identity.py
// is the rule); the pages check first so that they can say WHICH part is wrong, in
// words, while the citizen is still there. Pure functions: "today" is passed in (the
// hall's business day), never read from the screen's clock.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = "10X98765432";
// The first two digits: provinces, Taiwan, Hong Kong, Macao (the server's list).
const PROVINCES = new Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
  41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91]);
export const ELDERLY_AGE = 70;

export function checkCharacter(first17) {
  let total = 0;
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[total % 11];
}

// "2024-05-06" → {y, m, d}; anything else → null.
function parseDay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  return m ? { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) } : null;
}

function realDate(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

const key = (x) => x.y * 10000 + x.m * 100 + x.d;

// {ok: true, number, birth: {y, m, d}} or {ok: false, error: catalog key, vars, part}
// where part names the group at fault ("region", "birth", "serial", "check") for the
// screen to mark. `today` is "YYYY-MM-DD" in the hall's time zone.
export function checkId(raw, today) {
  const number = String(raw || "").trim().toUpperCase();
  const fail = (error, part = null, vars = {}) => ({ ok: false, error, part, vars });
  if (!number) return fail("id.err.empty");
  if (number.length !== 18) return fail("id.err.length", null, { n: number.length });
  if (!/^[0-9]{17}[0-9X]$/.test(number)) {
    const at = number.indexOf("X");
    const part = at < 6 ? "region" : at < 14 ? "birth" : "serial";
    return fail("id.err.x", part);
  }
  if (!PROVINCES.has(Number(number.slice(0, 2)))) {
    return fail("id.err.region", "region", { code: number.slice(0, 2) });
  }
  const digits = number.slice(6, 14);
  const birth = { y: Number(digits.slice(0, 4)), m: Number(digits.slice(4, 6)),
    d: Number(digits.slice(6, 8)) };
  if (birth.y < 1900) return fail("id.err.birth_old", "birth", { year: birth.y });
  if (!realDate(birth.y, birth.m, birth.d)) {
    return fail("id.err.birth_invalid", "birth", { digits });
  }
  const now = parseDay(today);
  if (now && key(birth) > key(now)) {
    return fail("id.err.birth_future", "birth",
      { date: `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}` });
  }
  if (checkCharacter(number.slice(0, 17)) !== number[17]) return fail("id.err.check", "check");
  return { ok: true, number, birth };
}

// Completed years on `today` ("YYYY-MM-DD"); a 29 February birthday counts from 1 March.
export function ageOn(birth, today) {
  const now = parseDay(today);
  if (!now) return 0;
  const had = now.m * 100 + now.d >= birth.m * 100 + birth.d;
  return now.y - birth.y - (had ? 0 : 1);
}

// {ok: true, number} or {ok: false, error, vars}: 11 digits, 1[3-9]…
export function checkPhone(raw) {
  const number = String(raw || "").replace(/[\s-]/g, "");
  if (number.length !== 11) return { ok: false, error: "phone.err.length", vars: { n: number.length } };
  if (!/^1[3-9][0-9]{9}$/.test(number)) return { ok: false, error: "phone.err.prefix", vars: {} };
  return { ok: true, number };
}

// What the confirm screen shows: 370***********1234, 138****1234.
export const maskId = (n) => (n.length > 7 ? n.slice(0, 3) + "*".repeat(n.length - 7) + n.slice(-4) : "*".repeat(n.length));
export const maskPhone = (n) => `${n.slice(0, 3)}****${n.slice(-4)}`;

// The ID in its four groups, for the screen to show which one is wrong.
export function idGroups(number) {
  return [
    ["region", number.slice(0, 6)],
    ["birth", number.slice(6, 14)],
    ["serial", number.slice(14, 17)],
    ["check", number.slice(17, 18)],
  ];
}
