// The department's live inbox: its open tasks by deadline, from the `dept:{id}` topic's
// snapshot and then its events (task.created / task.changed / task.deadline), so a new
// task shows without a reload and a finished one (approved, rejected, cancelled) leaves.
// The tabs read the server's views (GET /api/dept/tasks?view=...) and stay live by colour.
//
// Keyboard: ↑↓ or j k move the selection (focus follows: each row's number is a button,
// one tab stop for the whole list), Enter opens, 1 2 3 pick the tab.

import { $, h, reconcile, setText } from "/static/console/dom.js";
import { OPEN_STATES, byDeadline, deadlineWords, inView } from "./deadline.js";
import { fillRow, newRow } from "./inbox_row.js";

const VIEWS = ["open", "due_soon", "overdue"];
const FRESH_MS = 10000;          // how long a new task is marked 新
const REFRESH_MS = 5 * 60 * 1000; // days left move at midnight without an event: re-read now and then
const LIMIT = 200;               // the server's inbox page (case_tasks.INBOX_LIMIT)
const ROW_FIELDS = ["task", "case", "number", "matter", "matter_name", "applicant", "state",
  "case_state", "lead", "officer", "due_day", "days_left", "colour"];

function pick(d) {
  const out = {};
  for (const k of ROW_FIELDS) if (k in d) out[k] = d[k];
  return out;
}

export class Inbox {
  constructor(app) {
    this.app = app;
    this.rows = new Map();   // task id -> inbox row
    this.view = "open";
    this.selected = null;    // task id of the selected row
    this.opened = null;      // task id whose case is open on the right
    this.fresh = new Map();  // task id -> timer of its 新 mark
    this.touched = null;     // task ids changed by events while a view is being read
    this.ready = false;
    this.error = null;
    this.loadSeq = 0;
    this.timer = null;
  }

  start() {
    for (const tab of $("tabs").querySelectorAll("[role=tab]")) {
      tab.onclick = () => this.setView(tab.dataset.view);
    }
    $("tabs").onkeydown = (e) => this.#tabKey(e);
    $("inbox-rows").onclick = (e) => {
      const tr = e.target.closest("tr[data-key]");
      if (tr) this.open(tr.dataset.key);
    };
    this.timer = setInterval(() => this.load(this.view), REFRESH_MS);
    this.render();
  }

  stop() {
    clearInterval(this.timer);
    for (const timer of this.fresh.values()) clearTimeout(timer);
    this.fresh.clear();
  }

  // --- what the server says ---------------------------------------------------------

  onSnapshot(data) {
    this.rows = new Map((data.tasks || []).map((r) => [r.task, pick(r)]));
    this.ready = true;
    this.error = null;
    if (this.view !== "open") this.load(this.view);
    this.render();
  }

  onEvent(msg) {
    const d = msg.data || {};
    if (!d.task) return;
    if (this.touched) this.touched.add(d.task);
    const had = this.rows.get(d.task);
    const t = (k, v) => this.app.t(k, v);
    if (!OPEN_STATES.has(d.state)) {
      if (had) {
        this.rows.delete(d.task);
        this.say(t("live.left", { number: had.number }));
      }
    } else {
      const row = { ...(had || {}), ...pick(d) };
      this.rows.set(d.task, row);
      if (!had && msg.type === "task.created") {
        this.#markFresh(d.task);
        this.say(t("live.created", { number: row.number, matter: row.matter_name,
          deadline: deadlineWords(row, t) }));
      } else if (had && had.colour !== "red" && row.colour === "red") {
        this.say(t("live.overdue", { number: row.number }));
      }
    }
    this.render();
  }

  // A task action's answer (the case) moves its row at once; the event confirms it.
  applyReply(taskId, view) {
    const task = (view.tasks || []).find((x) => x.id === taskId);
    const had = this.rows.get(taskId);
    if (!task || !had) return;
    if (!OPEN_STATES.has(task.state)) this.rows.delete(taskId);
    else {
      this.rows.set(taskId, { ...had, state: task.state, officer: task.officer,
        case_state: view.state, due_day: view.due_day, days_left: view.days_left,
        colour: view.colour });
    }
    this.render();
  }

  // One of the server's views, merged into the live rows.
  async load(view) {
    const mine = ++this.loadSeq;
    this.touched = new Set();
    try {
      const r = await this.app.call("GET", `/api/dept/tasks?view=${encodeURIComponent(view)}`);
      if (mine !== this.loadSeq) return;
      const got = new Map(r.tasks.map((x) => [x.task, pick(x)]));
      const touched = this.touched;
      if (view === "open" && r.tasks.length < LIMIT) {
        for (const k of [...this.rows.keys()]) if (!got.has(k) && !touched.has(k)) this.rows.delete(k);
      }
      for (const [k, row] of got) {
        if (!touched.has(k)) this.rows.set(k, { ...(this.rows.get(k) || {}), ...row });
      }
      this.error = null;
    } catch (err) {
      if (mine !== this.loadSeq) return;
      this.error = err;
    } finally {
      if (mine === this.loadSeq) this.touched = null;
    }
    this.render();
  }

  setView(view, focusTab = false) {
    if (!VIEWS.includes(view)) return;
    this.view = view;
    for (const tab of $("tabs").querySelectorAll("[role=tab]")) {
      const on = tab.dataset.view === view;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    }
    $("inbox-tabpanel").setAttribute("aria-labelledby", `tab-${view}`);
    if (focusTab) $(`tab-${view}`).focus();
    this.render();
    this.load(view);
  }

  // --- selection and keys --------------------------------------------------------------

  visible() {
    return [...this.rows.values()].filter((r) => inView(r, this.view)).sort(byDeadline);
  }

  button(taskId) {
    const tr = $("inbox-rows").querySelector(`tr[data-key="${CSS.escape(taskId)}"]`);
    return tr ? tr.querySelector(".num button") : null;
  }

  select(taskId, focus = false) {
    this.selected = taskId;
    this.render();
    const b = focus && this.button(taskId);
    if (b) {
      b.focus();
      b.scrollIntoView({ block: "nearest" });
    }
  }

  // Focus back on the list after a dialog or an action, unless the user went elsewhere.
  refocus() {
    const el = document.activeElement;
    if (el && el !== document.body) return;
    const b = this.selected && this.button(this.selected);
    if (b) b.focus({ preventScroll: true });
  }

  move(delta) {
    const list = this.visible();
    if (!list.length) return;
    let i = list.findIndex((r) => r.task === this.selected);
    if (i < 0) i = delta > 0 ? 0 : list.length - 1;
    else i = Math.max(0, Math.min(list.length - 1, i + delta));
    this.select(list[i].task, true);
  }

  open(taskId) {
    const row = this.rows.get(taskId);
    if (!row) return;
    this.opened = taskId;
    this.select(taskId, true);
    this.say(this.app.t("live.opened", { number: row.number }));
    this.app.desk.open(row);
  }

  // The page's keys that belong to the list; true when the key was used.
  key(e) {
    const k = e.key;
    const here = e.target === document.body || $("inbox-panel").contains(e.target);
    if (k === "j" || k === "J" || (k === "ArrowDown" && here)) this.move(1);
    else if (k === "k" || k === "K" || (k === "ArrowUp" && here)) this.move(-1);
    else if (k === "Home" && here) this.move(-LIMIT);
    else if (k === "End" && here) this.move(LIMIT);
    else if (k === "Enter" && (e.target === document.body || e.target === $("inbox-panel"))) {
      if (!this.selected) return false;
      this.open(this.selected);
    } else if (!e.repeat && ["1", "2", "3"].includes(k)) this.setView(VIEWS[Number(k) - 1], true);
    else return false;
    return true;
  }

  #tabKey(e) {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    const i = VIEWS.indexOf(this.view) + (e.key === "ArrowRight" ? 1 : -1);
    this.setView(VIEWS[(i + VIEWS.length) % VIEWS.length], true);
  }

  #markFresh(taskId) {
    clearTimeout(this.fresh.get(taskId));
    this.fresh.set(taskId, setTimeout(() => {
      this.fresh.delete(taskId);
      this.render();
    }, FRESH_MS));
  }

  say(text) {
    const live = $("live");
    live.append(h("p", {}, text));
    while (live.children.length > 3) live.firstElementChild.remove();
  }

  // --- drawing ----------------------------------------------------------------------------

  render() {
    const t = (k, v) => this.app.t(k, v);
    const all = [...this.rows.values()];
    const counts = { open: all.length, due_soon: all.filter((r) => r.colour === "yellow").length,
      overdue: all.filter((r) => r.colour === "red").length };
    for (const v of VIEWS) {
      const n = counts[v];
      setText($(`tab-${v}`).querySelector(".count"), this.ready && (v === "open" || n) ? String(n) : "");
    }
    const list = this.visible();
    const body = $("inbox-rows");
    const hadFocus = body.contains(document.activeElement);
    const before = list.findIndex((r) => r.task === this.selected);
    if (this.selected && before < 0) {
      // The selected task left (or is in another tab): the next one takes the selection.
      const old = [...body.children].findIndex((tr) => tr.dataset.key === this.selected);
      const next = list[Math.min(Math.max(old, 0), list.length - 1)];
      this.selected = next ? next.task : null;
    }
    reconcile(body, list, (r) => r.task, newRow, (tr, r) => fillRow(tr, r, t, {
      opened: r.task === this.opened, selected: r.task === this.selected,
      fresh: this.fresh.has(r.task) }));
    const focusable = this.selected || (list[0] && list[0].task);
    for (const tr of body.children) tr.querySelector(".num button").tabIndex = tr.dataset.key === focusable ? 0 : -1;
    if (hadFocus && !body.contains(document.activeElement) && this.selected) {
      const b = this.button(this.selected);
      if (b) b.focus();
    }
    const empty = $("inbox-empty");
    empty.hidden = list.length > 0;
    setText(empty, this.ready ? t(`inbox.empty.${this.view}`) : t("inbox.loading"));
    setText($("inbox-error"), this.error ? this.app.errorText(this.error) : "");
  }
}
