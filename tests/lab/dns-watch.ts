/**
 * A DNS client for the lab's client namespace: one query every `--every` ms to `--server` for
 * `--name`, for `--seconds`; one line per query on stdout: `<epoch ms> ok|fail`. A query counts
 * as failed when no answer with an address comes within `--timeout` ms.
 *   ip netns exec hacl-ctl node -r ts-node/register/transpile-only tests/lab/dns-watch.ts \
 *     --server 172.16.250.103 --name www.lab.example --every 100 --seconds 30
 */
import { createSocket } from "node:dgram";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    name: { type: "string" },
    every: { type: "string", default: "100" },
    seconds: { type: "string", default: "30" },
    timeout: { type: "string", default: "500" },
  },
});

function query(id: number, name: string): Buffer {
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4); // one question
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]); // A, IN
}

const socket = createSocket("udp4");
const pending = new Map<number, { sent: number; timer: NodeJS.Timeout }>();
const every = Number(values.every);
const timeout = Number(values.timeout);
const start = Date.now();
const end = start + Number(values.seconds) * 1000;
let nextId = 1;

socket.on("message", (msg) => {
  const id = msg.readUInt16BE(0);
  const entry = pending.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  pending.delete(id);
  const rcode = msg.readUInt16BE(2) & 0x000f;
  const answers = msg.readUInt16BE(6);
  console.log(`${entry.sent} ${rcode === 0 && answers > 0 ? "ok" : "fail"}`);
});

/** One query now, then the next on the grid of `every` ms from the start (no drift). */
function tick(): void {
  const now = Date.now();
  if (now >= end) {
    setTimeout(() => socket.close(), timeout + 50);
    return;
  }
  const id = nextId++ & 0xffff;
  const timer = setTimeout(() => {
    pending.delete(id);
    console.log(`${now} fail`);
  }, timeout);
  pending.set(id, { sent: now, timer });
  socket.send(query(id, values.name!), 53, values.server!);
  // setInterval's ticks each come a little late, and the lateness adds up; a slot missed while
  // the machine was busy is skipped, not sent late in a burst.
  const next = start + (Math.floor((now - start) / every) + 1) * every;
  setTimeout(tick, next - Date.now());
}
tick();
