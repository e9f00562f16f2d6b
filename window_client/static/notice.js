// The one-time notice (一次性告知书) of a case in correction, for printing on A4: the
// hall, the 受理编号, the matter, the applicant masked, the day of the notice, and every
// missing material with how many originals and copies to bring. It reads the case with
// the console's sign-in (kept in this browser by session.js) and never the applicant's
// unmasked data: a printed sheet leaves the hall with the citizen.

import { dateIn } from "./dom.js";
import { api, loadSession } from "./session.js";

const $ = (id) => document.getElementById(id);

function say(text) {
  $("status").textContent = text;
}

// "2026-11-25" -> "2026年11月25日"
function zhDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : iso || "";
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function materialsOf(c) {
  try {
    const m = await api("GET", `/api/halls/${encodeURIComponent(c.hall)}/matters/${encodeURIComponent(c.matter)}`);
    return new Map(m.materials.map((x) => [x.key, x]));
  } catch {
    return new Map(); // a matter since disabled: names only, from the case itself
  }
}

function fill(c, hall, materials) {
  const tz = hall && hall.tz;
  const told = [...c.timeline].reverse().find((e) => e.action === "correction");
  const day = zhDate(told ? dateIn(told.at, tz) : c.business_day);
  for (const el of document.querySelectorAll(".hall-name")) el.textContent = hall ? hall.name : c.hall;
  $("n-number").textContent = c.number;
  $("n-applicant").textContent = c.applicant;
  $("n-id").textContent = c.id_masked;
  $("n-day").textContent = day;
  $("n-date").textContent = day;
  $("n-matter").textContent = c.matter_name;
  const w = hall && hall.windows.find((x) => x.id === c.window);
  $("n-window").textContent = w ? w.name : c.window || "";
  $("n-count").textContent = String(c.missing.length);
  $("n-items").replaceChildren(...c.missing.map((x, i) => {
    const m = materials.get(x.key);
    const tr = document.createElement("tr");
    tr.dataset.key = x.key;
    tr.append(cell(String(i + 1)), cell(x.name),
      cell(m ? `${m.originals} 份` : "—"), cell(m ? `${m.copies} 份` : "—"),
      cell(m ? [m.required ? "必交" : "选交", m.waivable ? "可容缺" : ""].filter(Boolean).join("，") : ""));
    return tr;
  }));
  document.title = `一次性告知书 ${c.number}`;
}

async function main() {
  const id = document.body.dataset.case;
  const s = loadSession();
  if (!s || s.expired) return say("请先在窗口工作台（/console）登录，再打开告知书。");
  let c;
  try {
    c = await api("GET", `/api/cases/${encodeURIComponent(id)}`, { token: s.token });
  } catch (err) {
    return say(err.message_zh || err.message_en || "无法读取办件，请检查网络后刷新本页。");
  }
  if (c.state !== "correction" || !c.missing.length) {
    return say(`办件 ${c.number} 当前为「${c.state_zh}」，没有待补正的材料，无需告知书。`);
  }
  let hall = null;
  try {
    hall = await api("GET", `/api/halls/${encodeURIComponent(c.hall)}`);
  } catch {
    // the notice still prints, with the hall's id for its name
  }
  fill(c, hall, await materialsOf(c));
  $("notice").hidden = false;
  say(`共 ${c.missing.length} 项需补正材料 · 按“打印告知书”或 Ctrl+P 打印（A4）`);
  const button = $("print");
  button.disabled = false;
  button.onclick = () => window.print();
  button.focus();
}

main();
