// Taking the ticket: the POST, the printed slip, and what the screen says after
// (the number, or why there is none, in large Chinese text).
//
// Printing: the slip page (/kiosk/{hall}/slip/{id}?token=…&print=1) is loaded in
// a hidden frame and prints itself. A kiosk runs Chromium with --kiosk-printing
// so it goes to the default printer without a dialog. The frame tells us when
// it has printed (postMessage) and is removed then, or at the next ticket.

// The API's error ({code, message, message_zh, field, ...details}) or our own.
export class IssueError extends Error {
  constructor({ code = "error", message = "", message_zh = "", status = 0, ...details } = {}) {
    super(message || code);
    Object.assign(this, { code, message_en: message, message_zh, status, details });
  }
}

// POST a JSON body; the answer if it is good(answer), else an IssueError.
async function post(path, body, good) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new IssueError({ code: "network" });
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    throw new IssueError({ ...((data && data.error) || { code: "bad_reply" }), status: res.status });
  }
  if (!data || !good(data)) throw new IssueError({ code: "bad_reply", status: res.status });
  return data;
}

export function issue(hallId, body) {
  return post(`/api/halls/${encodeURIComponent(hallId)}/tickets`, body, (d) => Boolean(d.number));
}

// Check-in (签到) of a booking, by {code} or {id_number}: {late, message, message_zh, ticket, appointment}.
export function checkIn(hallId, body) {
  return post(`/api/halls/${encodeURIComponent(hallId)}/check-in`, body,
    (d) => Boolean(d.ticket && d.ticket.number));
}

// Where the slip is: the answer's slip_url, or built from id and token (older servers).
export function slipUrl(hallId, r) {
  const base = r.slip_url
    || `/kiosk/${encodeURIComponent(hallId)}/slip/${encodeURIComponent(r.id)}?token=${encodeURIComponent(r.token)}`;
  return `${base}${base.includes("?") ? "&" : "?"}print=1`;
}

export class Printer {
  constructor() {
    this.frame = null;
    this.printed = 0;
    this.lastUrl = null;
    window.addEventListener("message", (ev) => {
      if (ev.origin !== location.origin || !ev.data || ev.data.type !== "ow.slip.printed") return;
      this.printed++;
      document.body.dataset.printed = String(this.printed);
      if (this.frame && ev.source === this.frame.contentWindow) this.remove();
    });
  }

  print(url) {
    this.remove();
    const f = document.createElement("iframe");
    f.className = "slip-frame";
    f.title = "slip";
    f.setAttribute("aria-hidden", "true");
    f.tabIndex = -1;
    f.src = url;
    document.body.append(f);
    this.frame = f;
    this.lastUrl = url;
  }

  remove() {
    if (this.frame) this.frame.remove();
    this.frame = null;
  }
}

// What to say for a refused ticket: the Chinese always, large; the English too
// on an English screen. And where the citizen can go to put it right.
export function failure(err, t, lang) {
  const ours = { network: "fail.network", bad_reply: "fail.unknown" }[err.code];
  let fix = null;
  if (String(err.code).startsWith("id_number_")) fix = ["id", "fail.fix_id"];
  else if (err.code === "phone_format") fix = ["phone", "fail.fix_phone"];
  else if (err.code === "staff_pin_wrong") fix = ["guide", "fail.fix_pin"];
  if (ours || !err.message_zh) {
    return { main: t(ours || "fail.unknown"), mainLang: lang === "zh" ? "zh-CN" : lang, alt: "", fix };
  }
  return { main: err.message_zh, mainLang: "zh-CN", alt: lang === "zh" ? "" : err.message_en, fix };
}
