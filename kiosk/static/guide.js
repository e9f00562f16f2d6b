// The kiosk's 办事指南: from the start screen, the hall's matters in a list that a
// touch on the letter keys narrows by pinyin initials ("SFZ" finds 身份证…); a touch on
// one shows its guide (materials, time limits, fees, where to go), and 取号办理 starts
// the ordinary ticket flow for the matter's intake service (kiosk.js). An ordinary
// step of the kiosk: the idle timer brings the start screen back, and clear() forgets
// what was typed and shown.
import {
  departmentList, getMatter, materialsTable, matterBrief, matterFacts, matterName, searchMatters,
} from "/static/common/guide.js";
import { buildKeypad } from "./keypad.js";

const $ = (id) => document.getElementById(id);
// The letter keys as a phone's pinyin keyboard has them; "" is a gap in the grid.
const LETTERS = [..."QWERTYUIOP", ..."ASDFGHJKL", "", ..."ZXCVBNM"];
const TYPED = /^[A-Z0-9]$/;
const MAX = 20;
const DEBOUNCE_MS = 200;
const RECHECK_MS = 5 * 60 * 1000;

export class MatterGuide {
  // hall: the LiveHall (which services this kiosk issues); go(step), reset() (back to
  // the start, everything forgotten), say(text), and take(serviceCode): the ticket flow.
  constructor({ hallId, t, lang, hall, go, reset, say, take }) {
    Object.assign(this, { hallId, t, lang, hall, go, reset, say, take });
    this.round = 0; // bumped by clear(): an answer that comes after a reset is dropped
    this.timer = null;
    this.matter = null;
    this.input = $("mq-input");
    buildKeypad($("mq-keypad"), { chars: LETTERS, t, onKey: (k) => this.type(k) });
    $("mq-keypad").setAttribute("aria-label", t("guide.keypad"));
    $("mq-keypad").classList.add("keypad-letters");
    // Whatever else types into the field (a paste, an IME) is cut to letters and digits.
    this.input.addEventListener("input", () => {
      this.input.value = [...this.input.value.toUpperCase()].filter((c) => TYPED.test(c)).join("").slice(0, MAX);
      this.searchSoon();
    });
    $("guide-open").addEventListener("click", () => this.open());
    $("guide-open-alt").lang = lang === "zh" ? "en" : "zh-CN";
    $("matters-back").addEventListener("click", () => this.reset());
    $("matter-back").addEventListener("click", () => this.go("matters"));
    $("matter-take").addEventListener("click", () => {
      if (this.matter) this.take(this.matter.intake_service);
    });
  }

  // Offered on the start screen where the hall has a matter to show (checked now and then).
  start() {
    const check = async () => {
      try {
        $("guide-open").hidden = !(await searchMatters(this.hallId)).length;
      } catch {
        // offline or an older server: the entry stays as it was
      }
    };
    check();
    setInterval(check, RECHECK_MS);
  }

  open() {
    this.clear();
    this.go("matters");
    this.search();
  }

  // The keyboard on the list step: letters into the field, Enter searches at once.
  route() {
    return { onKey: (k) => this.type(k), onEnter: () => this.search() };
  }

  type(k) {
    const before = this.input.value;
    if (k === "delete") this.input.value = before.slice(0, -1);
    else if (k === "clear") this.input.value = "";
    else if (TYPED.test(k) && before.length < MAX) this.input.value = before + k;
    if (this.input.value !== before) this.searchSoon();
  }

  // A new citizen: nothing typed, nothing listed, no matter shown, late answers dropped.
  clear() {
    this.round++;
    clearTimeout(this.timer);
    this.matter = null;
    this.input.value = "";
    $("mq-count").textContent = "";
    $("matter-list").replaceChildren();
    for (const id of ["matter-title", "matter-alt", "matter-take-note"]) $(id).textContent = "";
    for (const id of ["matter-facts", "matter-depts", "matter-materials"]) $(id).replaceChildren();
  }

  searchSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(), DEBOUNCE_MS);
  }

  async search() {
    clearTimeout(this.timer);
    const q = this.input.value;
    const round = ++this.round;
    $("matter-list").setAttribute("aria-busy", "true");
    if (!$("mq-count").textContent) $("mq-count").textContent = this.t("guide.loading");
    try {
      const found = await searchMatters(this.hallId, q);
      if (round === this.round) this.#list(q, found);
    } catch {
      if (round === this.round) $("mq-count").textContent = this.t("guide.error");
    } finally {
      if (round === this.round) $("matter-list").removeAttribute("aria-busy");
    }
  }

  #list(q, found) {
    const items = found.map((m) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "matter-item";
      b.dataset.matter = m.code;
      const name = Object.assign(document.createElement("span"), { className: "matter-name", textContent: matterName(m, this.lang) });
      const brief = Object.assign(document.createElement("span"), { className: "matter-brief", textContent: matterBrief(m, this.t) });
      b.append(name, brief);
      b.addEventListener("click", () => this.show(m.code));
      const li = document.createElement("li");
      li.append(b);
      return li;
    });
    $("matter-list").replaceChildren(...items);
    let text;
    if (found.length) text = this.t(q ? "guide.count" : "guide.count_all", { n: found.length });
    else text = this.t(q ? "guide.none" : "guide.empty", { q });
    $("mq-count").textContent = text;
    $("mq-count").dataset.empty = String(!found.length);
  }

  // One matter's guide, read afresh (it may have changed or been withdrawn meanwhile).
  async show(code) {
    const round = this.round;
    let m;
    try {
      m = await getMatter(this.hallId, code);
    } catch (err) {
      if (round !== this.round) return;
      // Withdrawn since the list was drawn: said, and the list read again.
      const gone = err && err.status === 404;
      if (gone) await this.search();
      if (round + (gone ? 1 : 0) === this.round) $("mq-count").textContent = this.t(gone ? "guide.gone" : "guide.error");
      return;
    }
    if (round !== this.round) return;
    this.matter = m;
    const name = matterName(m, this.lang);
    $("matter-title").textContent = name;
    $("matter-alt").textContent = m.name;
    $("matter-alt").hidden = name === m.name;
    $("matter-facts").replaceChildren(matterFacts(m, this.t));
    $("matter-depts").replaceChildren(departmentList(m, this.t));
    $("matter-materials").replaceChildren(materialsTable(m, this.t, { heading: "h3" }));
    const svc = this.hall.service(m.intake_service); // issued at this kiosk, or null
    $("matter-take").hidden = !svc;
    $("matter-take").textContent = svc
      ? this.t("guide.take_for", { name: this.lang === "zh" ? svc.name : svc.name_en || svc.name })
      : "";
    $("matter-take-note").hidden = Boolean(svc);
    $("matter-take-note").textContent = svc ? "" : this.t("guide.no_take");
    this.go("matter");
    this.say(this.t("guide.matter_say", { name }));
  }
}
