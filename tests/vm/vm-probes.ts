/**
 * What the VM lab's tests look at, from the LAN host (the lab's namespace) and over SSH: DNS and
 * the proxy on the VIP, who holds the VIP, DRBD's state, AppArmor, heartbeat's log.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { inVmNamespace, lanHost, sshToVm, VmNode, vmNamespace, vmNodes } from "./vm-lab";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command on a node; throws with its output when it fails. */
export function on(node: VmNode, command: string, timeoutMs?: number): string {
  const run = sshToVm(node, command, undefined, timeoutMs);
  if (run.status !== 0) {
    throw new Error(`${node}: ${command}: exit ${run.status}: ${run.stdout}${run.stderr}`);
  }
  return run.stdout;
}

/** The first value `what` gives other than undefined, asked every `everyMs`; undefined at the deadline. */
export async function until<T>(
  what: () => T | undefined,
  timeoutMs: number,
  everyMs = 1000,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

export const otherNode = (node: VmNode): VmNode => vmNodes.find((n) => n.name !== node)!.name;

/** A file the LAN host serves already (the lab's package repository): the page for the proxy. */
export const page = `http://${lanHost}/debian/Release`;

/** The A record of a name, asked of the VIP; "" when no answer came. */
export function dig(vip: string, name = "www.lab.example"): string {
  const run = inVmNamespace(["dig", "+short", "+time=1", "+tries=1", `@${vip}`, name], "", 5000);
  return run.status === 0 ? run.stdout.trim() : "";
}

/** The lab's page, directly or through a proxy; "" when it did not come. */
export function getPage(proxy?: string): string {
  const run = inVmNamespace(
    ["curl", "-s", "-f", "-m", "5", ...(proxy ? ["-x", proxy] : []), page],
    "",
    8000,
  );
  return run.status === 0 ? run.stdout : "";
}

/** DNS and the proxy both answer on the VIP. */
export function serving(vip: string): boolean {
  const direct = getPage();
  return direct !== "" && dig(vip) === lanHost && getPage(`http://${vip}:3128`) === direct;
}

/** The nodes that answer SSH and hold the VIP on a NIC. */
export function vipHolders(vip: string): VmNode[] {
  return vmNodes
    .filter(
      (n) =>
        sshToVm(n.name, `ip -o -4 addr show | grep -qF 'inet ${vip}/'`, undefined, 15_000)
          .status === 0,
    )
    .map((n) => n.name);
}

export interface DrbdState {
  readonly cs: string;
  readonly ro: string;
  readonly ds: string;
}

const drbdStateIn = (procDrbd: string): DrbdState | undefined => {
  const m = /cs:(\S+) ro:(\S+) ds:(\S+)/.exec(procDrbd);
  return m ? { cs: m[1], ro: m[2], ds: m[3] } : undefined;
};
const isWhole = (s: DrbdState | undefined) => s?.cs === "Connected" && s.ds === "UpToDate/UpToDate";

/** The resource's connection state, roles and disk states, as /proc/drbd shows them. */
export function drbdState(node: VmNode): DrbdState | undefined {
  return drbdStateIn(sshToVm(node, "cat /proc/drbd", undefined, 15_000).stdout);
}

/** Both nodes Connected and UpToDate/UpToDate: replication is whole. */
export const drbdWhole = () => vmNodes.every((n) => isWhole(drbdState(n.name)));

/**
 * A node as one SSH session sees it: whether it holds the VIP, and DRBD's state. Under
 * emulation every session costs the VM a fork and an exec of a shell: the waits that poll
 * ask once per node.
 */
function look(node: VmNode, vip: string): { holdsVip: boolean; drbd?: DrbdState } {
  const run = sshToVm(
    node,
    `if ip -o -4 addr show | grep -qF 'inet ${vip}/'; then echo vip=yes; fi; cat /proc/drbd`,
    undefined,
    15_000,
  );
  return { holdsVip: /^vip=yes$/m.test(run.stdout), drbd: drbdStateIn(run.stdout) };
}

/** The AppArmor confinement of a service's processes (`named (enforce)`), one line each. */
export function confinement(node: VmNode, program: "named" | "squid"): string[] {
  return on(node, `for p in $(pgrep -x ${program}); do cat /proc/$p/attr/current; echo; done`)
    .split("\n")
    .map((l) => l.replace(/\0/g, "").trim())
    .filter(Boolean);
}

/** AppArmor denials in the node's kernel log since it booted. */
export const apparmorDenials = (node: VmNode) =>
  on(node, "journalctl -k -b --no-pager -q | grep 'apparmor=\"DENIED\"' || true")
    .split("\n")
    .filter(Boolean);

export interface DnsSample {
  readonly at: number;
  readonly ok: boolean;
}

/**
 * One DNS query to the VIP every 100 ms from the LAN host for `seconds` (tests/lab/dns-watch.ts);
 * a query counts as failed when no answer comes within a second.
 */
export function watchDns(vip: string, seconds: number) {
  const samples: DnsSample[] = [];
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      vmNamespace(),
      process.execPath,
      "-r",
      "ts-node/register/transpile-only",
      join(__dirname, "..", "lab", "dns-watch.ts"),
      ...["--server", vip, "--name", "www.lab.example", "--every", "100"],
      ...["--seconds", String(seconds), "--timeout", "1000"],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const [at, result] = line.split(" ");
      samples.push({ at: Number(at), ok: result === "ok" });
    }
  });
  const ended = new Promise<DnsSample[]>((resolve) => child.on("close", () => resolve(samples)));
  return {
    samples: () => samples,
    stop: () => {
      child.kill("SIGTERM");
      return ended;
    },
  };
}

/**
 * Waits until the cluster serves by itself, replication whole and the VIP on one node: where
 * every scenario starts. Returns the holder; throws, saying what it saw, at the deadline.
 */
export async function settled(vip: string, timeoutMs = 300_000): Promise<VmNode> {
  const holder = await until(
    () => {
      const looks = vmNodes.map((n) => ({ name: n.name, ...look(n.name, vip) }));
      const holders = looks.filter((l) => l.holdsVip);
      return holders.length === 1 && looks.every((l) => isWhole(l.drbd)) && serving(vip)
        ? holders[0]!.name
        : undefined;
    },
    timeoutMs,
    2000,
  );
  if (!holder) {
    throw new Error(
      `the cluster did not settle: VIP on [${vipHolders(vip).join(", ")}], DRBD ${JSON.stringify(vmNodes.map((n) => drbdState(n.name)))}`,
    );
  }
  return holder;
}
