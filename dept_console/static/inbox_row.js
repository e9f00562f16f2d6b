// One row of the inbox: the case number is the row's button (its accessible name says the
// whole row), then matter, masked applicant, state, officer and the deadline badge.

import { h, setText } from "/static/console/dom.js";
import { deadlineCell, deadlineWords, fillDeadline } from "./deadline.js";

export function newRow() {
  return h("tr", {},
    h("td", { class: "num" }, h("button", { type: "button", tabindex: "-1" }),
      h("span", { class: "new-tag", hidden: true })),
    h("td", { class: "matter" }),
    h("td", { class: "by" }),
    h("td", {}, h("span", { class: "pill" })),
    h("td", { class: "officer" }),
    h("td", {}, deadlineCell()));
}

// marks: {opened, selected, fresh} for this row.
export function fillRow(tr, r, t, marks) {
  const [num, matter, applicant, state, officer, due] = tr.children;
  const [button, tag] = num.children;
  setText(button, r.number);
  const stateText = t(`task.${r.state}`);
  button.setAttribute("aria-label",
    [r.number, r.matter_name, stateText, deadlineWords(r, t)].join("，"));
  if (marks.opened) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
  tag.hidden = !marks.fresh;
  setText(tag, t("inbox.new"));
  tr.classList.toggle("fresh", marks.fresh);
  tr.classList.toggle("sel", marks.selected);
  tr.classList.toggle("open", marks.opened);
  tr.dataset.number = r.number;
  tr.dataset.state = r.state;
  tr.dataset.colour = r.colour;
  setText(matter, r.matter_name);
  setText(applicant, r.applicant);
  const pill = state.firstElementChild;
  pill.dataset.task = r.state;
  setText(pill, stateText);
  setText(officer, r.officer || "—");
  officer.classList.toggle("muted-cell", !r.officer);
  fillDeadline(due.firstElementChild, r, t);
}
