// The socket.io peer of the Parlor peers benchmark: a socket.io 4.8
// server, WebSocket transport only. A client emits "join" with a room
// name and gets "joined" back once it is in the room; a "say" it emits is
// sent to the whole room, the sender included, as "said".
//
// Usage: node server.js [-addr 127.0.0.1:0]
// The first line on stdout is the bound ws:// URL. The server stops when
// stdin closes or on SIGINT/SIGTERM.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function parseAddr(argv) {
  const i = argv.indexOf("-addr");
  const addr = i >= 0 && argv[i + 1] ? argv[i + 1] : "127.0.0.1:0";
  const colon = addr.lastIndexOf(":");
  const host = addr.slice(0, colon);
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== "localhost") {
    throw new Error(`-addr ${addr}: only loopback addresses`);
  }
  return { host, port: Number(addr.slice(colon + 1)) };
}

const { host, port } = parseAddr(process.argv.slice(2));
const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ["websocket"] });

io.on("connection", (socket) => {
  let room = null;
  socket.on("join", (name) => {
    if (room !== null || typeof name !== "string" || name.length < 1 || name.length > 64) {
      return;
    }
    room = name;
    socket.join(room);
    socket.emit("joined");
  });
  socket.on("say", (data) => {
    if (room !== null) {
      io.to(room).emit("said", data);
    }
  });
});

httpServer.listen(port, host, () => {
  const a = httpServer.address();
  process.stdout.write(`ws://${a.address}:${a.port}/socket.io/?EIO=4&transport=websocket\n`);
});

function stop() {
  io.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
