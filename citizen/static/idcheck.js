// ID numbers (GB 11643, check digit by ISO 7064 MOD 11-2) and mainland mobile numbers,
// checked on the phone so a typo is explained before anything is sent; the server
// checks again (server/domain/identity.py is the rule).

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
  50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
]);

export function checkCharacter(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

// null when the number is well formed; else {key, vars} for the catalog.
export function idProblem(raw, today = new Date()) {
  const v = raw.trim().toUpperCase();
  if (v.length !== 18) return { key: "id.length", vars: { n: v.length } };
  if (!/^[0-9]{17}[0-9X]$/.test(v)) return { key: "id.chars" };
  if (!PROVINCES.has(Number(v.slice(0, 2)))) return { key: "id.region", vars: { code: v.slice(0, 2) } };
  const [y, m, d] = [v.slice(6, 10), v.slice(10, 12), v.slice(12, 14)].map(Number);
  const born = new Date(Date.UTC(y, m - 1, d));
  const real = born.getUTCFullYear() === y && born.getUTCMonth() === m - 1 && born.getUTCDate() === d;
  if (!real || y < 1900 || born.getTime() > today.getTime()) {
    return { key: "id.birth", vars: { date: `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}` } };
  }
  const want = checkCharacter(v);
  if (want !== v[17]) return { key: "id.check", vars: { want, got: v[17] } };
  return null;
}

// The number as the server wants it (digits only), or null when it is not a mobile number.
export function normalPhone(raw) {
  let v = raw.replace(/[\s-]/g, "");
  if (v.startsWith("+86")) v = v.slice(3);
  return /^1[3-9][0-9]{9}$/.test(v) ? v : null;
}
