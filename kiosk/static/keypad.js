// The on-screen keypads and the keyboard route into the kiosk's fields.
//
// An ID-card reader or a barcode scanner (the booking QR) is a keyboard to the
// browser: it "types" the characters and then Enter, wherever the focus happens
// to be, and nobody touches the screen. So one document-level listener sends
// characters and Backspace to the current step's field whatever has focus, and
// Enter to the step. A keyboard user's Enter on a button presses that button,
// unless characters were typed since the focus landed there: that Enter ends a
// reader's or scanner's burst, which must not press whatever button had focus.
// Keypad buttons never take the focus from the field on a touch, so a reader's
// Enter after a touch still lands on the step.

// A keypad in `box`: 1–9, X (or `extra`, a case number's "-", or a blank), 0, delete,
// and a clear key below; or, given `chars` (a booking code's alphabet), one key per
// character, then delete and clear. onKey gets a character, "delete" or "clear".
export function buildKeypad(box, { withX, extra, chars, t, onKey }) {
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", t(chars ? "keypad.code_label" : "keypad.label"));
  box.classList.toggle("keypad-code", Boolean(chars));
  const keys = chars ? [...chars, "delete"]
    : ["1", "2", "3", "4", "5", "6", "7", "8", "9", withX ? "X" : extra || "", "0", "delete"];
  const make = (k, cls, text, name) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `key ${cls}`;
    b.dataset.key = k;
    b.textContent = text;
    if (name) b.setAttribute("aria-label", name);
    // Keep the focus where it is (the field): a touch is not a move of the focus.
    b.addEventListener("mousedown", (ev) => ev.preventDefault());
    b.addEventListener("click", () => onKey(k));
    return b;
  };
  const buttons = keys.map((k) => {
    if (k === "") {
      const gap = document.createElement("span");
      gap.className = "key key-gap";
      gap.setAttribute("aria-hidden", "true");
      return gap;
    }
    if (k === "delete") return make(k, "key-fn", `⌫ ${t("keypad.delete")}`, t("keypad.delete_name"));
    if (k === "-") return make(k, "key-digit", "-", t("keypad.dash_name"));
    return make(k, "key-digit", k);
  });
  buttons.push(make("clear", "key-fn key-wide", t("keypad.clear"), t("keypad.clear_name")));
  box.replaceChildren(...buttons);
}

// Whether a field takes this character at all: its alphabet, or digits (and X or its
// `extra` character where allowed).
export function allowed(k, { withX, extra, chars }) {
  if (k.length !== 1) return false;
  return chars ? chars.includes(k) : /^[0-9]$/.test(k) || (Boolean(withX) && k === "X") || k === extra;
}

// A field's text after one key: the characters it takes, up to maxLength.
export function applyKey(value, k, field) {
  if (k === "delete") return value.slice(0, -1);
  if (k === "clear") return "";
  if (value.length >= field.maxLength) return value;
  return allowed(k, field) ? value + k : value;
}

// The document-level route: route() says where keys go now ({onKey, onEnter} or
// null); activity() is told of every key and touch (the idle timer). onKey gets
// a character (upper case: booking codes are case-insensitive) or "delete".
export function routeKeys({ route, activity }) {
  let typed = false; // characters came since the focus last moved
  document.addEventListener("focusin", () => { typed = false; }, { capture: true });
  document.addEventListener("pointerdown", activity, { capture: true });
  document.addEventListener("keydown", (ev) => {
    activity();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = route();
    if (!target) return;
    const k = ev.key;
    if (k === "Enter") {
      const onButton = document.activeElement && document.activeElement.tagName === "BUTTON";
      if (onButton && !typed) return;
      ev.preventDefault();
      typed = false;
      target.onEnter();
      return;
    }
    let key = null;
    if (k === "Backspace") key = "delete";
    else if (k.length === 1 && k.trim()) key = k.toUpperCase(); // never Space: it presses buttons
    if (key === null) return;
    ev.preventDefault();
    if (key !== "delete") typed = true;
    target.onKey(key);
  }, { capture: true });
}
