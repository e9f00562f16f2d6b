// Voice calls (语音叫号): a chime through WebAudio, then the call spoken by the
// browser's speech synthesis in Chinese. One at a time: each waits for the
// previous utterance's end (or a safety timeout, since some engines never
// fire it), so calls never talk over each other.

const DIGITS = "零一二三四五六七八九";
const CHIME_MS = 900;

// A001 → "A零零一": halls read ticket numbers digit by digit.
export function spellNumber(number) {
  return String(number).toUpperCase().replace(/[0-9]/g, (d) => DIGITS[Number(d)]);
}

// The sentence for one call. {number} is spelled digit by digit, {window} is
// "3号窗口" (from windowWord), {window_number} the bare number.
export function callText(template, number, windowNumber, windowWord = "{n}号窗口") {
  const vars = {
    number: spellNumber(number),
    window: windowWord.replace("{n}", String(windowNumber)),
    window_number: String(windowNumber),
  };
  return template.replace(/\{(\w+)\}/g, (m, k) => vars[k] ?? m);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Speaker {
  constructor({ enabled = true, chime = true, lang = "zh-CN", rate = 0.9, repeat = 1,
                maxQueue = 12 } = {}) {
    this.enabled = enabled;
    this.chime = chime;
    this.lang = lang;
    this.rate = rate;
    this.repeat = Math.max(1, repeat);
    this.maxQueue = maxQueue;
    this.queue = [];
    this.busy = false;
    this.audio = null;
  }

  // Does the browser want a click or a key press before it makes a sound?
  needsGesture() {
    if (!this.enabled) return false;
    const ctx = this.#context();
    return ctx !== null && ctx.state === "suspended";
  }

  // Call from inside a user gesture: lets audio (and speech) start.
  unlock() {
    const ctx = this.#context();
    if (ctx && ctx.state === "suspended") return ctx.resume().catch(() => {});
    return Promise.resolve();
  }

  onUnlocked(callback) {
    const ctx = this.#context();
    if (ctx) ctx.addEventListener("statechange", () => { if (ctx.state === "running") callback(); });
  }

  say(text) {
    if (!this.enabled) return;
    // A long backlog (a board that was offline) is cut from the front: the newest matter most.
    while (this.queue.length >= this.maxQueue) this.queue.shift();
    this.queue.push(text);
    if (!this.busy) this.#drain();
  }

  async #drain() {
    this.busy = true;
    try {
      while (this.queue.length) {
        const text = this.queue.shift();
        if (this.chime) await this.#chime();
        for (let i = 0; i < this.repeat; i++) {
          if (i > 0) await sleep(600);
          await this.#speak(text);
        }
        await sleep(300);
      }
    } finally {
      this.busy = false;
    }
  }

  #context() {
    if (this.audio) return this.audio;
    const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Ctx) return null;
    try { this.audio = new Ctx(); } catch { this.audio = null; }
    return this.audio;
  }

  async #chime() {
    const ctx = this.#context();
    if (!ctx || ctx.state !== "running") return;
    const t0 = ctx.currentTime + 0.02;
    // Ding-dong: E5 then C5, soft attack, long decay.
    for (const [freq, dt] of [[659.25, 0], [523.25, 0.35]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + dt);
      gain.gain.exponentialRampToValueAtTime(0.4, t0 + dt + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + dt + 0.5);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + dt);
      osc.stop(t0 + dt + 0.55);
    }
    await sleep(CHIME_MS);
  }

  #speak(text) {
    const synth = globalThis.speechSynthesis;
    const Utterance = globalThis.SpeechSynthesisUtterance;
    if (!synth || !Utterance) return Promise.resolve();
    return new Promise((resolve) => {
      const u = new Utterance(text);
      u.lang = this.lang;
      u.rate = this.rate;
      const voice = (synth.getVoices ? synth.getVoices() : [])
        .find((v) => v.lang && v.lang.replace("_", "-").startsWith(this.lang));
      if (voice) u.voice = voice;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      // No engine takes longer than this for one call; a silent one must not block the queue.
      const timer = setTimeout(() => {
        try { synth.cancel(); } catch { /* nothing to stop */ }
        finish();
      }, Math.max(6000, text.length * 600));
      u.onend = finish;
      u.onerror = finish;
      try {
        // Nothing of ours is speaking now: whatever the engine thinks it is saying is stuck.
        if (synth.speaking || synth.pending) synth.cancel();
        synth.speak(u);
      } catch {
        finish();
      }
    });
  }
}
