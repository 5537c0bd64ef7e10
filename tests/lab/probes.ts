import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inNamespace, labDir, ssh } from "./runner";

export const nodes = [
  { name: "proxycl1", address: "172.16.250.101" },
  { name: "proxycl2", address: "172.16.250.102" },
] as const;
export type NodeName = (typeof nodes)[number]["name"];
export const vip = "172.16.250.103";
export const page = "http://172.16.250.254:8080/";
export const pageText = "hacluster lab: page served in the client namespace";
/** What the lab's zone answers for www.lab.example: the client's address. */
export const wwwAddress = "172.16.250.254";

const addressOf = (name: NodeName) => nodes.find((n) => n.name === name)!.address;

/** Asks named on the VIP, from the client. The answer, or "" when none came. */
export function dig(name: string): string {
  const run = inNamespace(
    "ctl",
    ["dig", "+short", "+time=1", "+tries=1", `@${vip}`, name],
    undefined,
    5000,
  );
  return run.status === 0 ? run.stdout.trim() : "";
}

/** Fetches the client's page through squid on the VIP. The body, or "" on failure. */
export function proxyFetch(): string {
  const run = inNamespace(
    "ctl",
    ["curl", "-s", "-m", "3", "-x", `http://${vip}:3128`, page],
    undefined,
    6000,
  );
  return run.status === 0 ? run.stdout : "";
}

/** A small web server in the client namespace: the page the proxy fetches. Stopped with the lab. */
export function startWebServer(): void {
  const pidFile = join(labDir, "web.pid");
  if (existsSync(pidFile)) return;
  const server = `require("http").createServer((q, r) => r.end(${JSON.stringify(pageText)})).listen(8080, "172.16.250.254")`;
  const child = spawn("ip", ["netns", "exec", "hacl-ctl", process.execPath, "-e", server], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  for (let i = 0; i < 50 && !inNamespace("ctl", ["curl", "-s", "-m", "1", page]).stdout; i++) {
    spawnSleep(100);
  }
}

function spawnSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs a shell command on a node over SSH; throws with its output if it fails. */
export function onNode(name: NodeName, command: string, input?: string): string {
  const run = ssh(addressOf(name), command, input);
  if (run.status !== 0)
    throw new Error(`${name}: ${command}: exit ${run.status}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

/** Which node has the VIP on its public interface, seen from inside each node. */
export function vipHolders(): NodeName[] {
  return nodes
    .filter((n) =>
      inNamespace(n.name, ["ip", "-br", "addr", "show", "eth1"]).stdout.includes(`${vip}/`),
    )
    .map((n) => n.name);
}

/** Takes a node off both its networks, as a pulled plug would (its processes go on running). */
export function cutLinks(name: NodeName): void {
  for (const dev of ["eth1", "eth0"]) inNamespace(name, ["ip", "link", "set", dev, "down"]);
}

export function restoreLinks(name: NodeName): void {
  for (const dev of ["eth1", "eth0"]) inNamespace(name, ["ip", "link", "set", dev, "up"]);
}

/** Waits until `check` holds, polling every `everyMs`; the time it took, or undefined. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return undefined;
}

/** Both nodes' heartbeat sees the other one alive. */
export function bothNodesUp(): boolean {
  return nodes.every((n) => {
    const peer = nodes.find((o) => o.name !== n.name)!.name;
    return (
      ssh(n.address, `cl_status nodestatus ${peer}`, undefined, 5000).stdout.trim() === "active"
    );
  });
}

/** The cluster answers: DNS and the proxy through the VIP. */
export function serving(expectedAnswer: string): boolean {
  return dig("www.lab.example") === expectedAnswer && proxyFetch() === pageText;
}

/** One query's result, as dns-watch prints it. */
export interface DnsSample {
  readonly at: number;
  readonly ok: boolean;
}

/**
 * Starts dns-watch in the client namespace for `seconds`; `done()` waits for it and returns the
 * samples. Queries every 100 ms, so times read from it are good to a tenth of a second.
 */
export function watchDns(
  seconds: number,
  timeoutMs = 500,
): {
  samples: () => DnsSample[];
  done: () => Promise<DnsSample[]>;
  stop: () => Promise<DnsSample[]>;
} {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      "hacl-ctl",
      process.execPath,
      "-r",
      "ts-node/register/transpile-only",
      join(__dirname, "dns-watch.ts"),
      "--server",
      vip,
      "--name",
      "www.lab.example",
      "--every",
      "100",
      "--seconds",
      String(seconds),
      "--timeout",
      String(timeoutMs),
    ],
    { stdio: ["ignore", "pipe", "inherit"], cwd: join(__dirname, "..", "..") },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const samples = () =>
    out
      .split("\n")
      .filter((line) => /^\d+ (ok|fail)$/.test(line))
      .map((line) => {
        const [at, result] = line.split(" ");
        return { at: Number(at), ok: result === "ok" };
      })
      .sort((a, b) => a.at - b.at);
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    samples,
    done: async () => {
      await closed;
      return samples();
    },
    // Waits for the watcher to exit: its last lines are read only once it has closed stdout.
    stop: async () => {
      child.kill();
      await closed;
      return samples();
    },
  };
}

/** From samples: how long after `since` DNS answered again, having failed in between. */
export function recoveredAfter(samples: readonly DnsSample[], since: number): number | undefined {
  const after = samples.filter((s) => s.at >= since);
  const firstFail = after.findIndex((s) => !s.ok);
  if (firstFail < 0) return 0;
  const back = after.slice(firstFail).find((s) => s.ok);
  return back ? back.at - since : undefined;
}

/** The longest time between two queries sent from `from` to `to` (their edges included). */
export function longestGap(samples: readonly DnsSample[], from: number, to: number): number {
  const times = [from, ...samples.map((s) => s.at).filter((at) => at > from && at < to), to];
  return Math.max(...times.slice(1).map((at, i) => at - times[i]!));
}

/** How many lines each node's heartbeat log has now, to look at what is written after. */
export function haLogLength(): number[] {
  return nodes.map((n) => Number(onNode(n.name, "wc -l </var/log/ha-log")));
}

/** Heartbeat's log lines (an extended regex) for a resource group released or acquired. */
export const groupMovedLines = "Releasing resource group|Acquiring resource group";
/** Heartbeat's log lines for its peer declared dead. */
export const nodeDeathLines = "node proxycl[12]: is dead";
/** Heartbeat's log lines for a link to its peer declared dead. */
export const linkDeathLines = "Link proxycl[12]:[^ ]+ dead";
/** Heartbeat's log lines for its peer, or a link to it, declared dead. */
export const peerDeathLines = `${nodeDeathLines}|${linkDeathLines}`;

/** The lines of each node's heartbeat log since `lengths` that match `pattern`, node first. */
function haLogLinesSince(lengths: readonly number[], pattern: string): string[] {
  return nodes.flatMap((n, i) =>
    onNode(n.name, `tail -n +${lengths[i] + 1} /var/log/ha-log | grep -E '${pattern}' || true`)
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => `${n.name}: ${line}`),
  );
}

/**
 * The resource groups heartbeat released or acquired on each node since `lengths`: its own
 * account of a failover, however short, that a look at the VIP now and then could miss.
 */
export const groupsMovedSince = (lengths: readonly number[]) =>
  haLogLinesSince(lengths, groupMovedLines);

/** Each node's heartbeat declaring its peer, or a link to it, dead since `lengths`. */
export const peerDeathsSince = (lengths: readonly number[]) =>
  haLogLinesSince(lengths, peerDeathLines);

/**
 * Heartbeat's events on each node since `lengths`, for a failure's message: its warnings and
 * errors, deaths, resource moves, key rereads and restarts, the last 40 lines of each node.
 */
export function haEventsSince(lengths: readonly number[]): string {
  const events =
    "WARN|ERROR|dead|standby|resource group|Rereading|unchanged|restart|shutdown|takeover|gave up";
  return nodes
    .map(
      (n, i) =>
        `--- ${n.name}\n${onNode(n.name, `tail -n +${lengths[i] + 1} /var/log/ha-log | grep -E '${events}' | grep -v -e 'WARN: Consider' -e 'WARN: Core dumps' | tail -n 40`)}`,
    )
    .join("\n");
}

/** How many times heartbeat restarted itself (a changed ha.cf) on each node since `lengths`. */
export function restartsSince(lengths: readonly number[]): number[] {
  return nodes.map((n, i) =>
    Number(
      onNode(
        n.name,
        `tail -n +${lengths[i] + 1} /var/log/ha-log | grep -c 'Performing heartbeat restart exec' || true`,
      ),
    ),
  );
}
