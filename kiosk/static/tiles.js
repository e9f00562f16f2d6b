// The start screen's tiles: one big button per service the kiosk issues, with
// its waiting count and estimated wait. Updated in place (never rebuilt), so a
// keyboard user's focus stays on the tile it was on when the counts move.

const el = (tag, cls) => {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
};

export const serviceName = (s, lang) => (lang === "zh" ? s.name : s.name_en || s.name);

export function renderTiles(box, services, { closed, t, lang, onChoose }) {
  box.setAttribute("aria-busy", "false");
  // Few services: wide tiles in one or two columns; many: more columns, each tile stacked.
  const n = services.length;
  const colsL = n <= 2 ? Math.max(n, 1) : n === 4 ? 2 : n <= 6 ? 3 : 4;
  const colsP = n <= 4 ? 1 : n <= 10 ? 2 : 3;
  box.style.setProperty("--cols-l", colsL);
  box.style.setProperty("--cols-p", colsP);
  box.dataset.stackL = String(colsL >= 4);
  box.dataset.stackP = String(colsP >= 2);
  const keep = new Set(services.map((s) => s.code));
  for (const b of [...box.children]) if (!keep.has(b.dataset.service)) b.remove();
  const [before, after] = t("kiosk.waiting", { n: "\u0000" }).split("\u0000");
  services.forEach((s, i) => {
    let b = box.querySelector(`[data-service="${CSS.escape(s.code)}"]`);
    if (!b) {
      b = el("button", "tile");
      b.type = "button";
      b.dataset.service = s.code;
      b.append(el("span", "tile-code"), el("span", "tile-name"), el("span", "tile-wait"),
        el("span", "tile-eta"));
      b.addEventListener("click", () => onChoose(b.dataset.service));
    }
    if (box.children[i] !== b) box.insertBefore(b, box.children[i] || null);
    // Still pressable when the hall is closed: the press says why there is no ticket.
    b.setAttribute("aria-disabled", String(closed));
    b.querySelector(".tile-code").textContent = s.code;
    b.querySelector(".tile-name").textContent = serviceName(s, lang);
    const count = el("b", "tile-n");
    count.textContent = String(s.waiting ?? 0);
    b.querySelector(".tile-wait").replaceChildren(before, count, after);
    const eta = b.querySelector(".tile-eta");
    eta.hidden = !Number.isFinite(s.eta_minutes);
    eta.textContent = s.eta_minutes > 0 ? t("kiosk.eta", { n: s.eta_minutes }) : t("kiosk.eta_none");
  });
}
