// The node `ws` peer of the stream benchmarks: the same protocol as Sextant's hub for what the load
// generator uses ({"op":"subscribe"} and server messages {type, topic, seq, ts_ns, payload}), and an
// echo path. Its generator publishes one bar per topic every INTERVAL_MS, serialised once per message
// and sent to each subscriber (ws's broadcast idiom), spread over the interval as Sextant's simulator
// does with --sim-stagger true.
//   node ws_peer.mjs PORT TOPICS INTERVAL_MS
import { WebSocketServer } from "ws";

const [port, topicCount, intervalMs] = process.argv.slice(2).map(Number);
const wss = new WebSocketServer({ port, host: "127.0.0.1", perMessageDeflate: false, maxPayload: 10 << 20 });
const subscribers = new Map();  // topic -> Set of sockets
wss.on("connection", (ws, req) => {
  if (req.url === "/ws/echo") {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  ws.topics = new Set();
  ws.on("message", (data) => {
    let m;
    try { m = JSON.parse(data); } catch { return ws.send(JSON.stringify({ type: "error", message: "malformed JSON" })); }
    if (m.op === "subscribe") for (const t of m.topics) {
      ws.topics.add(t);
      if (!subscribers.has(t)) subscribers.set(t, new Set());
      subscribers.get(t).add(ws);
    }
    ws.send(JSON.stringify({ type: "subscribed", topics: [...ws.topics] }));
  });
  ws.on("close", () => { for (const t of ws.topics) subscribers.get(t)?.delete(ws); });
});

// Wall-clock nanoseconds (the load generator compares them with its own system clock).
const base = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();
const nowNs = () => base + process.hrtime.bigint();
const topics = Array.from({ length: topicCount }, (_, i) => "marketdata.bars.SIM" + String(i).padStart(4, "0"));
const seq = new Array(topicCount).fill(0);
const price = new Array(topicCount).fill(100);
// Staggered as Sextant's --sim-stagger: the topics due by now (TOPICS per INTERVAL_MS, spread evenly),
// caught up on each 1 ms tick, so the offered rate is exact even when a timer fires late.
const start = Date.now();
let sent = 0, cursor = 0;
setInterval(() => {
  // At most one interval's worth per tick: an overloaded server falls behind instead of never yielding.
  const due = Math.min(Math.floor(((Date.now() - start) * topicCount) / intervalMs), sent + topicCount);
  for (; sent < due; ++sent) {
    const i = cursor;
    cursor = (cursor + 1) % topicCount;
    const subs = subscribers.get(topics[i]);
    if (!subs || subs.size === 0) continue;
    const open = price[i], close = open * Math.exp((Math.random() - 0.5) * 0.02);
    price[i] = close;
    const ts = nowNs();
    const msg = `{"type":"market_data","topic":"${topics[i]}","seq":${++seq[i]},"ts_ns":${ts},"payload":{"symbol":"SIM${String(i).padStart(4, "0")}","ts_ns":${ts},"open":${open},"high":${Math.max(open, close) * 1.002},"low":${Math.min(open, close) * 0.998},"close":${close},"volume":${Math.round(1e6 * Math.random())}}}`;
    for (const ws of subs) ws.send(msg);
  }
}, 1);
console.log("ready");
