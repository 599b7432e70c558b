// The connection: one Socket.IO connection to the "/live" namespace. On every (re)connect the
// client joins again and the page redraws the whole room from the state the `join`
// acknowledgement carries (the server keeps no per-connection state to recover); the status
// line says whether the room is live. `io` is the vendored Socket.IO client
// (static/vendor/socket.io/socket.io.min.js, loaded before this module).

import { room, S, sessionId } from "./state.js";
import { errorText, setStatus, toast } from "./ui.js";

// A join refused for one of these reasons will be refused again: stop trying.
const FINAL = new Set(["room_closed", "not_registered_online", "forbidden", "not_found",
  "authentication_required"]);

// Opens the connection; `render(state)` draws the room after each join, `refused(error)` hears
// every refused event. Returns what the parts of the room use: on(event, fn) for broadcasts,
// send(event, data, onOk) for what people do.
export function connect({ render, refused }) {
  const socket = io("/live", {
    reconnectionDelay: 1000,
    reconnectionDelayMax: 15000,
    randomizationFactor: 0.5,
  });

  // Events sent with an acknowledgement, by name: a refusal of one of them comes twice (an
  // "error" event, then the acknowledgement), and only the acknowledgement is shown.
  const awaiting = new Map();
  function emitWithAck(event, data, timeout, callback) {
    awaiting.set(event, (awaiting.get(event) || 0) + 1);
    socket.timeout(timeout).emit(event, data, (err, answer) => {
      awaiting.set(event, awaiting.get(event) - 1);
      callback(err, answer);
    });
  }

  function join() {
    room.joined = false;
    emitWithAck("join", { session_id: sessionId }, 15000, (err, answer) => {
      if (err) { // no answer in time: drop the connection and let the backoff try again
        socket.disconnect().connect();
        return;
      }
      if (answer && answer.ok) {
        room.joined = true;
        render(answer.state);
        setStatus("connected");
        return;
      }
      const error = answer && answer.error;
      toast(errorText(error));
      if (error && FINAL.has(error.code)) {
        room.stopped = true;
        socket.disconnect();
        setStatus("offline", error.message);
      } else {
        setTimeout(() => socket.connected && join(), 3000);
      }
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", (reason) => {
    room.joined = false;
    if (room.stopped) {
      return;
    }
    setStatus(navigator.onLine ? "reconnecting" : "offline");
    if (reason === "io server disconnect") { // the server hung up: try again after a pause
      setTimeout(() => !room.stopped && socket.connect(), 2000);
    }
  });
  socket.on("connect_error", (error) => {
    if (!socket.active) { // refused by the server (e.g. the login expired): retrying won't help
      room.stopped = true;
      setStatus("offline", S.offline);
      toast(errorText(error.data));
      return;
    }
    setStatus(navigator.onLine ? (room.me ? "reconnecting" : "connecting") : "offline");
  });
  socket.io.on("reconnect_attempt", () => {
    setStatus(navigator.onLine ? "reconnecting" : "offline");
  });
  window.addEventListener("offline", () => setStatus("offline"));
  window.addEventListener("online", () => {
    if (!socket.connected && !room.stopped) {
      setStatus("reconnecting");
      socket.connect();
    }
  });
  socket.on("error", (error) => {
    if (!(error && awaiting.get(error.event) > 0)) {
      toast(errorText(error));
    }
  });

  function send(event, data, onOk) {
    if (!room.joined) {
      toast(S.send_failed);
      return;
    }
    emitWithAck(event, data, 10000, (err, answer) => {
      if (err) {
        toast(S.send_failed);
      } else if (!answer || answer.error) {
        const error = answer && answer.error;
        if (error) {
          refused(error);
        }
        toast(errorText(error));
      } else {
        if (answer.warning) {
          toast(answer.warning.message); // sent, but only part of the room heard it live
        }
        if (onOk) {
          onOk(answer);
        }
      }
    });
  }

  return { on: (event, fn) => socket.on(event, fn), send };
}
