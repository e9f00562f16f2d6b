// Drawing the opened case (GET /api/cases/{id}) from the desk's state (case_desk.js):
// header with the deadline badge, the actions the task's state allows, the facts, the
// materials checklist with each mark, every department's task, the timeline, and the
// applicant's full details once asked for (an audited view).

import { $, dateIn, h, setText, timeIn } from "/static/console/dom.js";
import { dayText, fillBadge, leftText } from "./deadline.js";

const MARK_ICONS = { received: "✔", missing: "✖", waived: "◐" };

// What the task's state allows: only these buttons show, only these keys act.
export function allowedActions(state) {
  switch (state) {
    case "pending": return ["claim"];
    case "claimed": return ["approve", "reject", "supplement", "suspend", "release"];
    case "supplement": case "suspended": return ["resume"];
    default: return [];
  }
}

function when(iso, tz) {
  if (!iso) return "";
  return `${dateIn(iso, tz).slice(5)} ${timeIn(iso, tz)}`;
}

export function renderCase(desk) {
  const { app } = desk;
  const t = (k, v) => app.t(k, v);
  const v = desk.view;
  const body = $("case-body");
  const empty = $("case-empty");
  if (!desk.task || !v) {
    body.hidden = true;
    empty.hidden = false;
    setText(empty, !desk.task ? t("case.none")
      : desk.loadError ? app.errorText(desk.loadError) : t("case.loading"));
    empty.classList.toggle("error", !!(desk.task && desk.loadError));
    return;
  }
  empty.hidden = true;
  body.hidden = false;
  const mine = desk.taskState();
  setText($("case-number"), v.number);
  setText($("case-matter"), v.matter_name);
  const state = $("case-state");
  setText(state, app.lang === "zh" ? v.state_zh : v.state.replaceAll("_", " "));
  state.dataset.state = v.state;
  fillBadge($("case-badge"), v.colour, t);

  renderNote(desk, mine, t);
  renderActions(desk, mine, t);
  renderFacts(desk, v, mine, t);
  renderPersonal(desk, t);
  renderMaterials(desk, v, t);
  renderTasks(desk, v, t);
  renderTimeline(desk, v, t);
}

function renderNote(desk, mine, t) {
  const note = $("case-note");
  let text = "";
  if (mine && !allowedActions(mine.state).length) {
    text = t("case.left", { state: t(`task.${mine.state}`) });
  } else if (desk.heldByOther()) {
    text = t("case.held", { name: mine.officer });
  }
  note.hidden = !text;
  setText(note, text);
}

function renderActions(desk, mine, t) {
  const can = mine ? allowedActions(mine.state) : [];
  const other = desk.heldByOther();
  for (const b of $("task-actions").querySelectorAll("button[data-act]")) {
    const act = b.dataset.act;
    b.hidden = !can.includes(act);
    b.disabled = !!desk.busy || other;
    b.classList.toggle("busy", desk.busy === act);
  }
  $("task-actions").setAttribute("aria-busy", desk.busy ? "true" : "false");
  const err = desk.error;
  // Words are made here, not when the error came: a change of language shows at once.
  const action = err ? t(`act.${err.action}`) : "";
  const message = err ? desk.app.errorText(err.err.key ? { ...err.err, vars: { action } } : err.err)
    : "";
  setText($("action-error"), err ? t("err.with_action", { action, message }) : "");
}

// dt, dd, dt, dd … for the rows that have a value (the grid lays them out in pairs).
function kv(rows) {
  return rows.filter(([, value]) => value)
    .flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]);
}

function renderFacts(desk, v, mine, t) {
  const left = leftText({ ...v, state: mine && mine.state }, t);
  const due = v.due_day ? [dayText(v.due_day, t), left].filter(Boolean).join(" · ") : t("due.none");
  const own = (v.tasks || []).find((x) => x.id === desk.task) || {};
  const facts = kv([
    [t("case.applicant"), v.applicant],
    [t("case.id"), v.id_masked],
    [t("case.phone"), v.phone_masked],
    [t("case.accepted"), when(v.accepted_at, desk.tz)],
    [t("case.limits"), t("case.limits_v", { promised: v.promised_days, legal: v.legal_days })],
    [t("case.due"), due],
    [t("case.mine"), mine ? `${t(`task.${mine.state}`)}${mine.officer ? ` · ${mine.officer}` : ""}` : ""],
    [t("case.reasons"), own.note],
  ]);
  $("case-facts").replaceChildren(...facts);
}

function renderPersonal(desk, t) {
  const shown = !!desk.personal;
  const btn = $("personal-btn");
  setText(btn.firstElementChild, t(shown ? "personal.hide" : "personal.show"));
  btn.setAttribute("aria-expanded", shown ? "true" : "false");
  btn.disabled = !!desk.personalBusy;
  $("personal-box").hidden = !shown;
  if (shown) {
    const p = desk.personal;
    const rows = kv(["name", "id_number", "phone", "address", "collector"]
      .map((k) => [t(`personal.${k}`), p[k]]));
    $("personal-data").replaceChildren(...rows);
  } else {
    $("personal-data").replaceChildren();
  }
  setText($("personal-error"), desk.personalError ? desk.app.errorText(desk.personalError) : "");
}

function renderMaterials(desk, v, t) {
  const marks = v.checklist || {};
  const list = desk.matter ? desk.matter.materials
    : Object.keys(marks).map((key) => ({ key, name: key, required: null }));
  const note = $("materials-note");
  note.hidden = !!desk.matter;
  setText(note, desk.matter ? "" : t("materials.unknown"));
  $("case-materials").replaceChildren(...list.map((m) => {
    const mark = marks[m.key] || "missing";
    return h("li", { dataset: { key: m.key, mark } },
      h("span", { class: "mark", dataset: { mark } },
        h("span", { "aria-hidden": "true" }, MARK_ICONS[mark] || "?"), t(`mark.${mark}`)),
      h("span", { class: "name" }, m.name,
        m.required === null ? null
          : h("span", { class: "tag" }, t(m.required ? "materials.required" : "materials.optional")),
        m.copies ? h("span", { class: "tag" }, t("materials.copies", { n: m.copies })) : null),
      ...fileButtons(desk, v, m.key, t));
  }));
}

// Applied online: each uploaded file of the material opens in a tab (audited).
function fileButtons(desk, v, key, t) {
  const files = (v.files || []).filter((f) => f.material === key);
  if (!files.length || !v.application) return [];
  const error = h("span", { class: "file-error", role: "alert" });
  return [h("span", { class: "files" }, ...files.map((f) => h("button", {
    type: "button", class: "quiet file", title: t("materials.file_audit"),
    onclick: () => desk.app.openFile(v.application, f.digest).then(
      () => setText(error, ""), (err) => setText(error, desk.app.errorText(err))),
  }, t("materials.file", { name: f.name, kb: Math.max(1, Math.round(f.size / 1024)) }))), error)];
}

function renderTasks(desk, v, t) {
  const mineDept = desk.app.department;
  $("case-tasks").replaceChildren(...(v.tasks || []).map((x) => {
    const mine = x.department === mineDept;
    return h("li", { class: mine ? "mine" : "", dataset: { department: x.department, state: x.state } },
      h("span", { class: "name" }, desk.app.deptName(x.department),
        x.lead ? h("span", { class: "tag lead" }, t("case.lead")) : null,
        mine ? h("span", { class: "tag mine" }, t("case.this_dept")) : null),
      h("span", { class: "by" }, x.officer || ""),
      h("span", { class: "pill", dataset: { task: x.state } }, t(`task.${x.state}`)),
      x.note ? h("span", { class: "note" }, x.note) : null);
  }));
}

// "Sent to the departments" names them (older cases listed their ids: named here).
function noteText(desk, e) {
  if (e.action !== "in_review") return e.note;
  return e.note.split("、").map((d) => desk.app.deptName(d)).join("、");
}

function renderTimeline(desk, v, t) {
  const label = (a) => {
    const s = t(`tl.${a}`);
    return s === `tl.${a}` ? a : s;
  };
  $("case-timeline").replaceChildren(...(v.timeline || []).map((e) => h("li", {},
    h("time", { datetime: e.at }, when(e.at, desk.tz)),
    h("div", {},
      h("span", { class: "what" }, label(e.action)),
      e.actor || e.department ? h("span", { class: "by" },
        ` · ${[e.department ? desk.app.deptName(e.department) : null, e.actor].filter(Boolean).join(" ")}`)
        : null,
      e.internal ? h("span", { class: "tag" }, t("timeline.internal")) : null,
      e.note ? h("span", { class: "note" }, noteText(desk, e)) : null))));
}
