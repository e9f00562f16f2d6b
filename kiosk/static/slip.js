// The printed ticket (号票), 80 mm wide. The server renders it in Chinese, so it
// prints right even before this script runs; this only switches it to English
// when the kiosk is in English, and prints it when asked (?print=1), then tells
// the kiosk that framed it (which removes the frame).
import { makeI18n } from "/static/common/i18n.js";
import { STRINGS } from "./strings.js";

const { t, lang } = makeI18n(STRINGS, "ow.kiosk.lang");
if (lang !== "zh") {
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, { n: el.dataset.n ?? "" });
  }
  document.documentElement.lang = lang;
}

function printNow() {
  try {
    window.print();
  } finally {
    if (window.parent !== window) {
      window.parent.postMessage({ type: "ow.slip.printed" }, location.origin);
    }
  }
}

if (document.body.dataset.autoprint === "true") {
  // After the layout (and the QR) is in: a print of a half-laid-out page is a wasted slip.
  if (document.readyState === "complete") setTimeout(printNow, 0);
  else window.addEventListener("load", () => setTimeout(printNow, 0), { once: true });
}
