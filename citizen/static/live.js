// The phone's live connection: the shared /ws client (reconnects with back-off and
// resumes each topic), plus a small cue while the phone is offline.
import { HallSocket } from "/static/common/socket.js";

export function connectLive({ onMessage, offline, onOnline = () => {} }) {
  let shown = false;
  const cue = (on) => {
    shown = on;
    offline.hidden = !on;
  };
  const socket = new HallSocket({
    onMessage,
    backoffMinMs: 300,
    // A phone in a hall waits for one call: come back quickly after a blip.
    backoffMaxMs: 5000,
    onStatus: (status) => {
      // Stopped on purpose (the ticket is finished): no cue, nothing is wrong.
      if (socket.stopped) return cue(false);
      if (status === "online") {
        const was = shown;
        cue(false);
        if (was) onOnline();
      } else {
        cue(true);
      }
    },
  });
  // The browser knows first that the network went away; the socket may take a heartbeat.
  addEventListener("offline", () => {
    cue(true);
    socket.drop();
  });
  addEventListener("online", () => {
    if (!socket.online) socket.drop();
  });
  window.__socket = socket;
  return socket;
}
