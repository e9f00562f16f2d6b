// The kiosk's two options, each a toggle button remembered on this kiosk
// (localStorage): high contrast (a class on <body>) and spoken prompts
// (the browser's speech synthesis). Spoken text is always the latest prompt:
// a new step cuts off the one before, since nobody wants to hear a stale step.
import { spellNumber } from "/static/displays/speech.js";

const KEYS = { contrast: "ow.kiosk.contrast", voice: "ow.kiosk.voice" };

export class Prefs {
  constructor({ t, lang, params }) {
    this.t = t;
    this.voiceLang = lang === "zh" ? "zh-CN" : "en-GB";
    this.contrast = params.get("contrast") === "high" || localStorage.getItem(KEYS.contrast) === "on";
    this.voice = params.get("voice") === "1" || localStorage.getItem(KEYS.voice) === "on";
    this.buttons = {};
  }

  bind(contrastButton, voiceButton) {
    this.buttons = { contrast: contrastButton, voice: voiceButton };
    contrastButton.addEventListener("click", () => this.set("contrast", !this.contrast));
    voiceButton.addEventListener("click", () => this.set("voice", !this.voice));
    this.#render();
  }

  set(name, on) {
    this[name] = on;
    localStorage.setItem(KEYS[name], on ? "on" : "off");
    if (name === "voice" && !on) this.hush();
    this.#render();
  }

  #render() {
    document.body.classList.toggle("hc", this.contrast);
    for (const name of ["contrast", "voice"]) {
      const b = this.buttons[name];
      if (!b) continue;
      b.setAttribute("aria-pressed", String(this[name]));
      b.querySelector(".pref-state").textContent = this.t(this[name] ? "pref.on" : "pref.off");
    }
  }

  // Say a prompt (if spoken prompts are on). Chinese text is said in Chinese
  // even on an English screen (the issued number's sentence).
  say(text, { chinese = false } = {}) {
    if (!this.voice || !text) return;
    const synth = globalThis.speechSynthesis;
    const Utterance = globalThis.SpeechSynthesisUtterance;
    if (!synth || !Utterance) return;
    try {
      synth.cancel();
      const u = new Utterance(text);
      u.lang = chinese ? "zh-CN" : this.voiceLang;
      u.rate = 0.9;
      const voice = (synth.getVoices ? synth.getVoices() : [])
        .find((v) => v.lang && v.lang.replace("_", "-").startsWith(u.lang.slice(0, 2)));
      if (voice) u.voice = voice;
      synth.speak(u);
    } catch {
      // no speech on this machine: the screen still says it all
    }
  }

  hush() {
    try { globalThis.speechSynthesis && globalThis.speechSynthesis.cancel(); } catch { /* none */ }
  }
}

export { spellNumber };
