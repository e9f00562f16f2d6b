// The on-screen keypad and the keyboard route into the kiosk's fields.
//
// An ID-card reader or a barcode scanner is a keyboard to the browser: it
// "types" the digits and then Enter, wherever the focus happens to be, and
// nobody touches the screen. So one document-level listener sends digits, X
// and Backspace to the current step's field whatever has focus, and Enter to
// the step (unless a button has focus: then Enter presses that button, as a
// keyboard user expects). Keypad buttons never take the focus from the field
// on a touch, so a reader's Enter after a touch still lands on the step.

// A keypad in `box`: 1–9, X (or a blank), 0, delete, and a clear key below.
// onKey gets "0"–"9", "X", "delete" or "clear".
export function buildKeypad(box, { withX, t, onKey }) {
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", t("keypad.label"));
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", withX ? "X" : "", "0", "delete"];
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
    return make(k, "key-digit", k);
  });
  buttons.push(make("clear", "key-fn key-wide", t("keypad.clear"), t("keypad.clear_name")));
  box.replaceChildren(...buttons);
}

// A field's text after one key: digits (and X where allowed) up to maxLength.
export function applyKey(value, k, { withX, maxLength }) {
  if (k === "delete") return value.slice(0, -1);
  if (k === "clear") return "";
  if (value.length >= maxLength) return value;
  if (/^[0-9]$/.test(k) || (withX && k === "X")) return value + k;
  return value;
}

// The document-level route: route() says where keys go now ({onKey, onEnter} or
// null); activity() is told of every key and touch (the idle timer).
export function routeKeys({ route, activity }) {
  document.addEventListener("pointerdown", activity, { capture: true });
  document.addEventListener("keydown", (ev) => {
    activity();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = route();
    if (!target) return;
    const k = ev.key;
    const onButton = document.activeElement && document.activeElement.tagName === "BUTTON";
    let key = null;
    if (/^[0-9]$/.test(k)) key = k;
    else if (k === "x" || k === "X") key = "X";
    else if (k === "Backspace") key = "delete";
    else if (k === "Enter" && !onButton) {
      ev.preventDefault();
      target.onEnter();
      return;
    }
    if (key === null) return;
    ev.preventDefault();
    target.onKey(key);
  }, { capture: true });
}
