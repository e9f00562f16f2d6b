// The phone pages' service worker: only to show a call notification where a page may
// not (Android's Chrome), and to bring the ticket page back when it is tapped.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = all.find((c) => new URL(c.url).pathname.startsWith("/m/ticket/"));
    if (page) return page.focus();
    return undefined;
  })());
});
