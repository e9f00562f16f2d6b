// What the console reads besides the inbox and the case, once in a while: a hall (its
// time zone, for the timeline), a matter (its materials, its departments' names). Null
// when unreadable: the case still shows without them.

import { api } from "/static/console/session.js";

const KEEP_MS = 5 * 60 * 1000; // an admin may edit a matter's materials while the page is open
const enc = encodeURIComponent;

export class Lookups {
  constructor(app) {
    this.app = app;
    this.cache = new Map();     // path -> {at, promise}
    this.deptNames = new Map(); // department id -> name, learnt from the matters
    this.learning = false;
  }

  #get(path, then = (x) => x) {
    const hit = this.cache.get(path);
    if (hit && Date.now() - hit.at < KEEP_MS) return hit.promise;
    const promise = api("GET", path).then(then).catch(() => {
      this.cache.delete(path);
      return null;
    });
    this.cache.set(path, { at: Date.now(), promise });
    return promise;
  }

  hall(id) {
    return this.#get(`/api/halls/${enc(id)}`, (d) => d.hall || d);
  }

  matter(hall, code) {
    return this.#get(`/api/halls/${enc(hall)}/matters/${enc(code)}`, (m) => {
      for (const d of m.departments || []) this.deptNames.set(d.id, d.name);
      this.app.renderBar();
      return m;
    });
  }

  deptName(id) {
    return this.deptNames.get(id) || id;
  }

  // The department's own name is in its matters (no other call gives it to an officer):
  // read it from the first case that comes, once.
  async learnName(rows) {
    const row = rows.find((r) => r && r.case);
    if (!row || this.learning || this.deptNames.has(this.app.department)) return;
    this.learning = true;
    try {
      const c = await this.app.call("GET", `/api/cases/${enc(row.case)}`);
      await this.matter(c.hall, c.matter);
    } catch {
      // the bar keeps the department's id
    } finally {
      this.learning = false;
    }
  }
}
