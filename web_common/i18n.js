// One catalog per page set, Chinese first, English on request (?lang=en, remembered).
export function makeI18n(catalog, storageKey = "ow.lang") {
  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") || localStorage.getItem(storageKey) || "zh";
  if (!catalog[lang]) lang = "zh";
  if (params.get("lang")) localStorage.setItem(storageKey, lang);
  const t = (key, vars = {}) => {
    const text = (catalog[lang] && catalog[lang][key]) ?? catalog.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
  };
  const apply = (root = document) => {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : lang;
  };
  return { lang, t, apply };
}

// A server error ({code, message, message_zh}) or a catalog one ({key, vars}), in words.
export function errorText(err, lang, t) {
  if (!err) return "";
  if (err.key) return t(err.key, err.vars || {});
  const en = err.message_en || err.message;
  return (lang === "zh" ? err.message_zh || en : en || err.message_zh) || err.code || "";
}
