// The header's clock (the hall's time zone, not the screen's) and the corner
// badge that shows when the kiosk has lost its connection.

export function clockText(now, tz, lang) {
  try {
    return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: tz || "Asia/Shanghai",
      month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23" }).format(now);
  } catch {
    return "";
  }
}

// (status, everOnline) → shows or hides the badge, after a short grace so a quick
// reconnect does not make the screen blink.
export function offlineBadge(badge, t) {
  let timer = null;
  return (status, everOnline) => {
    if (status === "online") {
      clearTimeout(timer);
      timer = null;
      badge.hidden = true;
    } else if (!timer && badge.hidden) {
      timer = setTimeout(() => {
        timer = null;
        badge.textContent = t(everOnline ? "status.offline" : "status.connecting");
        badge.hidden = false;
      }, 800);
    }
  };
}
