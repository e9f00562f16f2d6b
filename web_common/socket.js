// HallSocket: the pages' connection to /ws (docs/protocol.md).
// Reconnects with back-off and full jitter, resumes every topic from its
// {epoch, seq}, notices a dead server by its missing heartbeats, and resends a
// console command whose reply was lost with the same command id (cid), which the
// server answers without running it twice.

const FINAL = new Set([1000, 4000, 4001, 4029]);

function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class HallSocket {
  constructor({ url, token = null, onMessage = () => {}, onStatus = () => {},
                backoffMinMs = 500, backoffMaxMs = 15000 } = {}) {
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.token = token;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.backoff = [backoffMinMs, backoffMaxMs];
    this.delay = backoffMinMs;
    this.topics = new Map();      // topic -> ticket token or null
    this.positions = new Map();   // topic -> {epoch, seq}
    this.pending = new Map();     // ref -> {msg, resolve, reject, timer}
    this.refs = 0;
    this.ws = null;
    this.stopped = false;
    this.parked = false;          // closed idle (4002) with nothing to follow
    this.online = false;
    this.heartbeatMs = 15000;
    this.lastHeard = 0;
    this.clockOffsetMs = 0;       // server time minus ours, from the welcome
    this.watchdog = setInterval(() => this.#checkAlive(), 2000);
  }

  follow(topic, ticketToken = null) {
    this.topics.set(topic, ticketToken);
    if (this.online) this.#subscribe(topic);
    if (this.parked && !this.stopped) {
      this.parked = false;
      this.#connect();
    }
  }

  unfollow(topic) {
    this.topics.delete(topic);
    this.positions.delete(topic);
    if (this.online) this.#send({ op: "unsubscribe", topic });
  }

  start() {
    this.stopped = false;
    this.#connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    if (this.ws) this.ws.close(1000);
  }

  // Cut the connection as a network failure would (tests, and the watchdog).
  drop() {
    if (this.ws) this.ws.close(4999);
  }

  serverNow() {
    return Date.now() + this.clockOffsetMs;
  }

  command(op, params = {}, timeoutMs = 15000) {
    const ref = ++this.refs;
    const msg = { op, ref, cid: newId(), ...params };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(Object.assign(new Error("timeout"), { code: "timeout" }));
      }, timeoutMs);
      this.pending.set(ref, { msg, resolve, reject, timer });
      if (this.online) this.#send(msg);
      // Offline: sent on reconnect, with the same cid.
    });
  }

  #connect() {
    if (this.stopped) return;
    const url = this.token ? `${this.url}?token=${encodeURIComponent(this.token)}` : this.url;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      this.#retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
    };
    ws.onmessage = (ev) => {
      this.lastHeard = Date.now();
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.#receive(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const wasOnline = this.online;
      this.online = false;
      this.onStatus(ev.code === 4001 ? "unauthorized" : "offline", ev.code);
      if (this.stopped || FINAL.has(ev.code)) return;
      // Closed for idling with nothing to follow (4002): come back when there is.
      if (ev.code === 4002 && !this.topics.size && !this.token) {
        this.parked = true;
        return;
      }
      if (ev.code === 4008) this.delay = this.backoff[0];
      this.#retry(wasOnline);
    };
  }

  #retry() {
    const wait = Math.random() * this.delay;
    this.delay = Math.min(this.delay * 2, this.backoff[1]);
    setTimeout(() => this.#connect(), wait);
  }

  #checkAlive() {
    if (!this.ws || !this.online) return;
    if (Date.now() - this.lastHeard > this.heartbeatMs * 2.5) {
      this.ws.close(4999); // silent server: treat as a dead connection
    }
  }

  #send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  #subscribe(topic) {
    const msg = { op: "subscribe", topic };
    const pos = this.positions.get(topic);
    if (pos) msg.since = pos;
    const token = this.topics.get(topic);
    if (token) msg.token = token;
    this.#send(msg);
  }

  #receive(msg) {
    const { op, topic } = msg;
    if (op === "welcome") {
      this.online = true;
      this.delay = this.backoff[0];
      this.heartbeatMs = (msg.heartbeat_s || 15) * 1000;
      if (msg.server_time) this.clockOffsetMs = Date.parse(msg.server_time) - Date.now();
      for (const t of this.topics.keys()) this.#subscribe(t);
      for (const p of this.pending.values()) this.#send(p.msg);
      this.onStatus("online");
    } else if (op === "reply") {
      const p = this.pending.get(msg.ref);
      if (!p) return;
      this.pending.delete(msg.ref);
      clearTimeout(p.timer);
      p.resolve(msg);
      return;
    } else if (op === "event") {
      const pos = this.positions.get(topic);
      if (pos) {
        if (msg.seq <= pos.seq) return; // seen already: never apply an event twice
        pos.seq = msg.seq;
      }
    } else if ((op === "subscribed" || op === "snapshot") && topic) {
      this.positions.set(topic, { ...msg.position });
    } else if (op === "heartbeat") {
      // A board runs for months: keep its clock in step between reconnects.
      if (msg.server_time) this.clockOffsetMs = Date.parse(msg.server_time) - Date.now();
      for (const [t, pos] of Object.entries(msg.positions || {})) {
        const mine = this.positions.get(t);
        if (mine && mine.epoch === pos.epoch && pos.seq > mine.seq) mine.seq = pos.seq;
      }
    }
    this.onMessage(msg);
  }
}
