// Staff accounts (人员): add with an initial password, edit the name, role, hall,
// department and whether the account may sign in, and reset a forgotten password.
// A password set here must be changed by its owner at the next sign-in.

import { enc } from "./api.js";
import { Crud } from "./section.js";
import { T, clearErrors, field, h, showError, showProblems } from "./ui.js";

export const ROLES = ["admin", "supervisor", "clerk", "officer"];
const USERNAME = /^[A-Za-z0-9._-]{2,40}$/;
export const MIN_PASSWORD = 8;

// The server's rule for a new password: 8–128 characters, at least 3 different ones.
export function passwordProblem(pw) {
  if (!pw) return "form.required";
  if (pw.length < MIN_PASSWORD || pw.length > 128 || new Set(pw).size < 3) return "pw.short";
  return null;
}

export class StaffSection extends Crud {
  constructor(app) {
    super(app, "staff", "staff.title", {
      addKey: "staff.add",
      emptyKey: "staff.empty",
      captionKey: "staff.caption",
    });
    // Which hall's staff to list: the chosen hall, or everyone (admins only).
    const f = field({
      name: "staff-filter", label: "staff.filter", kind: "select",
      options: [{ value: "hall", key: "staff.filter_hall" }, { value: "all", key: "staff.filter_all" }],
      value: "hall",
    });
    f.classList.add("inline-field");
    this.filter = f.querySelector("select");
    this.filter.addEventListener("change", () => this.refresh());
    this.filterBox = f;
    this.tools.prepend(f);
  }

  async load() {
    this.filterBox.hidden = !this.app.isAdmin;
    const all = this.app.isAdmin && this.filter.value === "all";
    this.sub.textContent = all ? "" : this.app.hall ? this.app.hall.name : "";
    const q = all || !this.app.hallId ? "" : `?hall=${enc(this.app.hallId)}`;
    this.items = (await this.app.client.get(`/api/admin/users${q}`)).users || [];
  }

  onHallChanged() {
    if (this.editing !== undefined) this.closeEditor(null, { focus: false });
  }

  label(u) {
    return `${u.display_name} (${u.username})`;
  }

  columns() {
    return [
      { key: "staff.username", class: "mono nowrap", cell: (u) => u.username },
      { key: "staff.display_name", cell: (u) => u.display_name },
      { key: "staff.role", cell: (u) => this.t(`role.${u.role}`) },
      { key: "staff.hall", cell: (u) => (u.hall ? this.app.hallName(u.hall) : "—") },
      { key: "staff.department", cell: (u) => (u.department ? this.app.departmentName(u.department) : "—") },
      {
        key: "staff.state",
        cell: (u) => {
          const bits = [T(u.enabled ? "staff.enabled_yes" : "staff.enabled_no", null, "span", { class: `pill ${u.enabled ? "on" : "off"}` })];
          if (u.must_change_password) bits.push(" ", T("staff.must_change", null, "span", { class: "pill warn" }));
          return h("span", {}, bits);
        },
      },
    ];
  }

  hallOptions() {
    return [{ value: "", key: "staff.no_hall" }, ...this.app.halls.map((x) => ({ value: x.id, label: x.name }))];
  }

  deptOptions() {
    return [{ value: "", key: "staff.no_department" }, ...this.app.departments.map((d) => ({ value: d.id, label: this.app.named(d) }))];
  }

  fields(u) {
    const out = [];
    if (!u) {
      out.push(field({
        name: "username", label: "staff.username", required: true, hint: "staff.username_hint",
        attrs: { maxlength: "40", autocomplete: "off", autocapitalize: "none", spellcheck: "false" },
      }));
    }
    out.push(
      field({ name: "display_name", label: "staff.display_name", required: true, value: u ? u.display_name : "", attrs: { maxlength: "40" } }),
      field({
        name: "role", label: "staff.role", kind: "select", value: u ? u.role : "clerk",
        options: ROLES.map((r) => ({ value: r, key: `role.${r}` })),
      }),
      field({ name: "hall", label: "staff.hall", kind: "select", value: u ? u.hall || "" : this.app.hallId || "", options: this.hallOptions() }),
      field({ name: "department", label: "staff.department", kind: "select", value: u ? u.department || "" : "", options: this.deptOptions() }),
    );
    if (u) {
      out.push(field({ name: "enabled", label: "staff.enabled", kind: "checkbox", value: u.enabled, hint: "staff.enabled_hint" }));
    } else {
      out.push(field({
        name: "password", label: "staff.password", kind: "password", required: true, hint: "staff.password_hint",
        attrs: { autocomplete: "new-password", minlength: String(MIN_PASSWORD) },
      }));
    }
    return out;
  }

  read(form, u) {
    const v = (n) => form.elements[n].value.trim();
    const body = {
      display_name: v("display_name"),
      role: v("role"),
      hall: v("hall") || null,
      department: v("department") || null,
    };
    if (u) body.enabled = form.elements.enabled.checked;
    else {
      body.username = v("username");
      body.password = form.elements.password.value;
    }
    return body;
  }

  check(b, u) {
    const p = [];
    if (!u) {
      if (!b.username) p.push({ field: "username", key: "form.required" });
      else if (!USERNAME.test(b.username)) p.push({ field: "username", key: "staff.username_bad" });
    }
    if (!b.display_name) p.push({ field: "display_name", key: "form.required" });
    // Admins are above halls; supervisors and clerks belong to one; officers to a back office.
    if (b.role === "admin" && b.hall) p.push({ field: "hall", key: "staff.admin_no_hall" });
    if ((b.role === "supervisor" || b.role === "clerk") && !b.hall) p.push({ field: "hall", key: "staff.hall_needed" });
    if (b.role === "officer") {
      const d = this.app.departments.find((x) => x.id === b.department);
      if (!d || d.kind !== "back") p.push({ field: "department", key: "staff.officer_dept" });
    }
    if (!u) {
      const bad = passwordProblem(b.password);
      if (bad) p.push({ field: "password", key: bad });
    }
    return p;
  }

  create(body) {
    return this.app.client.post("/api/admin/users", body);
  }

  update(u, patch) {
    return this.app.client.patch(`/api/admin/users/${enc(u.id)}`, patch);
  }

  canDelete() {
    return false; // accounts are disabled, never deleted: the audit log names them
  }

  // Editing an account also offers a password reset, as its own small form.
  openEditor(u) {
    super.openEditor(u);
    this.resetBox = null;
    // An administrator belongs to no hall: choosing the role clears the hall.
    const role = this.editor.elements.role;
    role.addEventListener("change", () => {
      if (role.value === "admin") this.editor.elements.hall.value = "";
    });
    if (!u) return;
    const form = h("div", { class: "reset-box", role: "group", "aria-labelledby": "staff-reset-h" });
    const pw = field({
      name: "reset_password", label: "staff.reset_new", kind: "password", hint: "staff.reset_hint",
      attrs: { autocomplete: "new-password", minlength: String(MIN_PASSWORD) },
    });
    const go = T("staff.reset", null, "button", { type: "button", id: "staff-reset" });
    go.addEventListener("click", () => this.resetPassword(u, form));
    pw.querySelector("input").addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        e.stopPropagation();
        this.resetPassword(u, form);
      }
    });
    form.append(T("staff.reset_title", null, "h3", { id: "staff-reset-h" }), pw, go);
    this.editor.querySelector(".form-buttons").after(form);
    this.resetBox = form;
  }

  async resetPassword(u, box) {
    clearErrors(box);
    const input = box.querySelector("input");
    const password = input.value;
    const problems = [];
    const bad = passwordProblem(password);
    if (bad) problems.push({ field: "reset_password", key: bad });
    if (showProblems(box, problems)) return;
    try {
      await this.app.client.post(`/api/admin/users/${enc(u.id)}/password`, { password });
    } catch (err) {
      const focus = showError(box, err, err.field === "password" ? "reset_password" : err.field);
      (focus || input).focus();
      return;
    }
    input.value = "";
    this.app.say("staff.reset_done", { name: this.label(u) });
    await this.refresh();
  }
}
