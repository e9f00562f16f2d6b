// 请评价 at the clerk's console: put the levels on the window's rating pad again for the
// ticket just finished there (button, or the E key). The console only asks; the choice
// goes from the pad to the server and is never shown here.
import { api } from "./session.js";
import { $ } from "./dom.js";
import { RATE_STRINGS } from "./rate_strings.js";

export function setupRateAsk(ctx, windowOf) {
  const button = $("rate-ask");
  if (!button) return;
  const t = (key, vars = {}) => {
    const text = (RATE_STRINGS[ctx.lang] || RATE_STRINGS.zh)[key] || RATE_STRINGS.zh[key];
    return text.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");
  };
  const label = button.querySelector("[data-rate-label]");
  const relabel = () => { if (label) label.textContent = t("rate.ask"); };
  relabel();
  // The console switches language in place (it sets <html lang>): follow it.
  new MutationObserver(relabel).observe(document.documentElement, { attributes: true,
    attributeFilter: ["lang"] });
  let busy = false;

  async function ask() {
    const win = windowOf();
    if (!win || busy || !ctx.session) return;
    busy = true;
    button.disabled = true;
    const status = $("rate-status");
    status.textContent = "";
    try {
      const p = await api("POST", `/api/windows/${encodeURIComponent(win)}/rating-prompt`,
        { token: ctx.session.token });
      status.textContent = t("rate.sent", { number: p.number });
    } catch (err) {
      status.textContent = err.code === "nothing_to_rate" ? t("rate.none") : ctx.errorText(err);
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  button.addEventListener("click", (e) => {
    if (e.detail > 0) button.blur();
    ask();
  });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat || e.key.toLowerCase() !== "e") return;
    const tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (document.querySelector("dialog[open]")) return;
    if (e.target.closest && e.target.closest("#casework")) return;
    if (!windowOf()) return;
    e.preventDefault();
    ask();
  });
}
