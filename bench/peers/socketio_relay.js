// The peer of Kakawari's live room in `make bench`: a Node socket.io 4.8 server that does only
// what the benchmark's clients need. A client connects to the /live namespace (its auth token
// is taken as its name, never checked), asks to `join` a session's room and is answered
// {ok: true}; a `chat` message is answered {ok: true} and relayed to everyone in the room,
// the sender included, as Kakawari does. No database, no rate limit, no presence list.
//
//     node bench/peers/socketio_relay.js [PORT]      # prints "listening PORT" once ready
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || process.env.PORT || 0);
const httpServer = http.createServer();
// Like Kakawari's server: websocket without per-message compression, no HTTP long-polling
// upgrade needed by the benchmark's clients (they connect with the websocket transport).
const io = new Server(httpServer, { perMessageDeflate: false, cors: { origin: "*" } });

let nextMessage = 1;
io.of("/live").on("connection", (socket) => {
  const name = String((socket.handshake.auth || {}).token || socket.id).slice(0, 12);
  let room = null;
  socket.on("join", (data, ack) => {
    const sessionId = Number((data || {}).session_id);
    if (!Number.isInteger(sessionId)) {
      if (typeof ack === "function") ack({ error: { code: "bad_request" } });
      return;
    }
    if (room) socket.leave(room);
    room = `session:${sessionId}`;
    socket.join(room);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("chat", (data, ack) => {
    const text = String((data || {}).text || "").slice(0, 500);
    if (!room || !text) {
      if (typeof ack === "function") ack({ error: { code: room ? "empty" : "not_joined" } });
      return;
    }
    const message = {
      id: nextMessage++,
      user: { id: socket.id, name },
      text,
      at: new Date().toISOString(),
    };
    io.of("/live").to(room).emit("chat", message);
    if (typeof ack === "function") ack({ ok: true, id: message.id });
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
