// The opened case and its task's actions. The case is read over HTTP when a task is
// opened and again whenever an event of the department's stream names it (another
// officer, another department's decision, the sweep's new colour); an action's answer
// is the case as it now is, shown at once. Errors are said beside the actions, in the
// user's language (message_zh in Chinese).

import { $ } from "/static/console/dom.js";
import { allowedActions, renderCase } from "./case_view.js";
import { STOPPED_STATES } from "./deadline.js";
import { approveDialog, reasonDialog } from "./reason_dialog.js";

const KEYS = { c: "claim", a: "approve", r: "reject", s: "supplement", p: "suspend", u: "resume" };
const REASONS = new Set(["reject", "supplement", "suspend"]);
const enc = encodeURIComponent;

export class CaseDesk {
  constructor(app) {
    this.app = app;
    this.task = null;      // the opened task's id
    this.caseId = null;
    this.view = null;      // CaseOut
    this.matter = null;    // MatterOut (its materials), or null when unreadable
    this.tz = null;        // the hall's time zone, for the timeline
    this.busy = null;      // the action in flight
    this.error = null;     // {action, err}
    this.loadError = null;
    this.personal = null;  // the applicant's unmasked data, once asked for
    this.personalError = null;
    this.personalBusy = false;
    this.loadSeq = 0;
    this.refreshTimer = null;
  }

  start() {
    for (const b of $("task-actions").querySelectorAll("button[data-act]")) {
      b.onclick = (e) => {
        if (e.detail > 0) b.blur(); // after a click the letter keys keep their meaning
        this.act(b.dataset.act);
      };
    }
    $("personal-btn").onclick = () => this.togglePersonal();
    this.render();
  }

  stop() {
    clearTimeout(this.refreshTimer);
    this.loadSeq++;
    this.task = null;
    this.caseId = null;
    this.view = null;
  }

  async open(row) {
    if (this.task !== row.task) {
      this.view = this.caseId === row.case ? this.view : null;
      this.error = null;
      this.personal = null;
      this.personalError = null;
    }
    this.task = row.task;
    this.caseId = row.case;
    this.render();
    await this.load();
  }

  async load() {
    const mine = ++this.loadSeq;
    const id = this.caseId;
    try {
      const view = await this.app.call("GET", `/api/cases/${enc(id)}`);
      if (mine !== this.loadSeq) return;
      this.view = view;
      this.loadError = null;
      const [hall, matter] = await Promise.all([
        this.app.lookups.hall(view.hall), this.app.lookups.matter(view.hall, view.matter)]);
      if (mine !== this.loadSeq) return;
      this.tz = hall ? hall.tz : null;
      this.matter = matter;
    } catch (err) {
      if (mine !== this.loadSeq) return;
      this.loadError = err;
    }
    this.render();
  }

  refresh(delayMs = 250) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.caseId && this.load(), delayMs);
  }

  // An event of the department's stream: re-read the case if it is the open one.
  onTaskEvent(data) {
    if (data && data.case === this.caseId) {
      this.render();
      this.refresh();
    }
  }

  // The task's state now: the live inbox row when there is one, else the case as read.
  taskState() {
    const live = this.app.inbox.rows.get(this.task);
    if (live) return { state: live.state, officer: live.officer };
    const t = this.view && (this.view.tasks || []).find((x) => x.id === this.task);
    return t ? { state: t.state, officer: t.officer } : null;
  }

  heldByOther() {
    const s = this.taskState();
    const held = s && (s.state === "claimed" || STOPPED_STATES.has(s.state));
    return !!(held && s.officer && s.officer !== this.app.session.username);
  }

  // --- actions ------------------------------------------------------------------------

  key(e) {
    const action = KEYS[e.key.toLowerCase()];
    if (!action || e.repeat) return false;
    this.act(action);
    return true;
  }

  act(action) {
    if (this.busy) return null;
    if (!this.task || !this.view) return this.fail(action, { key: "err.no_case" });
    const s = this.taskState();
    if (!s || !allowedActions(s.state).includes(action) || this.heldByOther()) {
      return this.fail(action, { key: "err.not_now" });
    }
    this.error = null;
    this.render();
    const v = this.view;
    if (REASONS.has(action)) {
      return reasonDialog(this.app, { action, number: v.number,
        submit: (reason) => this.send(action, reason) }).then(() => this.#after());
    }
    if (action === "approve") {
      return approveDialog(this.app, { number: v.number, matter: v.matter_name,
        applicant: v.applicant, submit: () => this.send("approve") }).then(() => this.#after());
    }
    return this.send(action).then((err) => {
      if (err) this.fail(action, err);
      this.#after();
    });
  }

  #after() {
    this.render();
    this.app.inbox.refocus();
  }

  // One task action over HTTP: null when done, or the error.
  async send(action, reason = null) {
    if (this.busy) return null;
    const task = this.task;
    this.busy = action;
    this.render();
    try {
      const view = await this.app.call("POST", `/api/tasks/${enc(task)}/${action}`,
        reason ? { reason } : {});
      if (this.task === task) {
        this.loadSeq++; // an older read in flight must not overwrite this answer
        this.view = view;
        this.error = null;
      }
      this.app.inbox.applyReply(task, view);
      return null;
    } catch (err) {
      return err;
    } finally {
      this.busy = null;
      this.render();
    }
  }

  fail(action, err) {
    this.error = { action, err };
    this.render();
    return null;
  }

  async togglePersonal() {
    if (this.personal) {
      this.personal = null;
      return this.render();
    }
    const id = this.caseId;
    this.personalBusy = true;
    this.personalError = null;
    this.render();
    try {
      const data = await this.app.call("GET", `/api/cases/${enc(id)}/personal`);
      if (this.caseId === id) this.personal = data;
    } catch (err) {
      if (this.caseId === id) this.personalError = err;
    } finally {
      this.personalBusy = false;
      this.render();
    }
  }

  render() {
    renderCase(this);
  }
}
