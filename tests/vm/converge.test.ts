/**
 * The program's own steps on the VM lab (root, QEMU; `npm run test:vm`, many minutes): on two
 * trixie VMs (bookworm with HACLUSTER_VM_DISTRO=bookworm) with systemd and the kernel's DRBD 8.4,
 * the plan of `vmCluster()` (the lab stack, its DRBD disk a real partition) applied by the lab's
 * runner as `pulumi up` would, from nothing; DRBD's initial sync; DNS and the proxy on the VIP; a second apply that runs nothing;
 * a power cut of the VIP holder.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyPlan, StepResult } from "../lab/runner";
import {
  Distro,
  inVmNamespace,
  isDistro,
  lanHost,
  powerCut,
  sshToVm,
  vmCluster,
  vmDrbdDisk,
  vmLabDown,
  vmLabLeftovers,
  vmLabUp,
  VmNode,
  vmNodes,
  vmTarget,
} from "./vm-lab";

/** trixie unless HACLUSTER_VM_DISTRO says bookworm. */
const distro: Distro = isDistro(process.env.HACLUSTER_VM_DISTRO)
  ? process.env.HACLUSTER_VM_DISTRO
  : "trixie";
const cluster = vmCluster();
const vip = cluster.config.vip.address;
const { resource, mountPoint } = cluster.config.drbd;
/** A file the LAN host serves already (the lab's package repository): the page for the proxy. */
const page = `http://${lanHost}/debian/Release`;
const timings: string[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let converge: StepResult[] = [];
let convergedAt = 0;

function on(node: VmNode, command: string, timeoutMs?: number): string {
  const run = sshToVm(node, command, undefined, timeoutMs);
  if (run.status !== 0) {
    throw new Error(`${node}: ${command}: exit ${run.status}: ${run.stdout}${run.stderr}`);
  }
  return run.stdout;
}

async function until<T>(what: () => T | undefined, timeoutMs: number, everyMs = 1000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

const dig = (name: string) => {
  const run = inVmNamespace(["dig", "+short", "+time=1", "+tries=1", `@${vip}`, name], "", 5000);
  return run.status === 0 ? run.stdout.trim() : "";
};
const getPage = (proxy?: string) => {
  const run = inVmNamespace(
    ["curl", "-s", "-f", "-m", "5", ...(proxy ? ["-x", proxy] : []), page],
    "",
    8000,
  );
  return run.status === 0 ? run.stdout : "";
};
const vipHolders = () =>
  vmNodes
    .filter(
      (n) =>
        sshToVm(n.name, `ip -o -4 addr show | grep -qF 'inet ${vip}/'`, undefined, 15_000)
          .status === 0,
    )
    .map((n) => n.name);
const said = (node: VmNode, id: string) =>
  converge.find((r) => r.node === node && r.id === id)?.said ?? "";

function needConverged(): void {
  if (convergedAt === 0) throw new Error("the converge did not complete");
}

/** heartbeat's log of each VM reachable now, kept on the host (README: keep it for every run). */
function keepHaLogs(): void {
  const dir = mkdtempSync(join(tmpdir(), "hacluster-vm-ha-log-"));
  for (const { name } of vmNodes) {
    const run = sshToVm(name, "cat /var/log/ha-log 2>/dev/null", undefined, 15_000);
    if (run.status === 0) writeFileSync(join(dir, `${name}.ha-log`), run.stdout);
  }
  timings.push(`heartbeat logs kept in ${dir}`);
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the VM lab needs root (namespaces, taps, QEMU)");
  vmLabDown();
  const up = vmLabUp(distro);
  timings.push(`${distro} both VMs, power on to SSH: ${seconds(up.bootMs)}`);
}, 1_800_000);

afterAll(() => {
  try {
    keepHaLogs();
  } finally {
    vmLabDown();
    console.log(`VM lab, the program's steps (QEMU TCG, 1 vCPU each):\n  ${timings.join("\n  ")}`);
  }
  expect(vmLabLeftovers()).toEqual([]);
}, 180_000);

test(`a fresh converge: every step passes (DRBD disk ${vmDrbdDisk})`, () => {
  expect(on("proxycl1", `readlink -f ${vmDrbdDisk}`).trim()).toBe("/dev/vdb1");
  const started = Date.now();
  converge = applyPlan(cluster, { target: vmTarget });
  convergedAt = Date.now();
  const took = convergedAt - started;
  timings.push(`fresh converge, ${converge.length} steps one after the other: ${seconds(took)}`);
  const slow = [...converge].sort((a, b) => b.ms - a.ms).slice(0, 6);
  timings.push(
    `slowest steps: ${slow.map((r) => `${r.node}/${r.id} ${seconds(r.ms)}`).join(", ")}`,
  );
  console.log(
    converge
      .map((r) => `${r.node.padEnd(9)} ${r.id.padEnd(24)} ${seconds(r.ms).padStart(7)}  ${r.said}`)
      .join("\n"),
  );
  expect(converge.length).toBeGreaterThan(50);
  expect(converge.filter((r) => !r.ran)).toEqual([]);
  expect(converge.filter((r) => !/^(changed|unchanged)\b/.test(r.said))).toEqual([]);
}, 1_800_000);

test(
  "systemd branches: drbd enabled at boot (drbd-up), heartbeat enabled by its package and " +
    "started (heartbeat-start), " +
    "squid and named disabled at boot (relocate), hacluster-network.service enabled " +
    "(network-unit), systemd-timesyncd enabled and restarted (timesyncd)",
  () => {
    needConverged();
    for (const { name } of vmNodes) {
      expect(said(name, "drbd-up")).toContain("drbd enabled at boot");
      // The package enables heartbeat at boot itself: the step only starts it.
      expect(said(name, "heartbeat-start")).toMatch(/^changed: heartbeat started on /);
      expect(said(name, "relocate")).toMatch(/squid not started at boot/);
      expect(said(name, "relocate")).toMatch(/named not started at boot/);
      expect(said(name, "network-unit")).toContain("enabled at boot");
      expect(said(name, "timesyncd")).toContain("timesyncd restarted");
      const units = [
        "drbd",
        "heartbeat",
        "squid",
        "named",
        "hacluster-network",
        "systemd-timesyncd",
      ];
      const enabled = on(name, `systemctl is-enabled ${units.join(" ")}; true`)
        .trim()
        .split("\n");
      expect(Object.fromEntries(units.map((u, i) => [u, enabled[i]]))).toEqual({
        drbd: "enabled",
        heartbeat: "enabled",
        squid: "disabled",
        named: "disabled",
        "hacluster-network": "enabled",
        "systemd-timesyncd": "enabled",
      });
      expect(on(name, "ip -o link show eth0")).toContain("mtu 9000");
    }
  },
);

test("DRBD's initial sync completes: Connected, UpToDate/UpToDate on both", async () => {
  needConverged();
  const state = /cs:(\S+) ro:(\S+) ds:(\S+)/;
  const synced = await until(
    () => {
      const both = vmNodes.map((n) => state.exec(on(n.name, "cat /proc/drbd"))?.slice(1) ?? []);
      return both.every(([cs, , ds]) => cs === "Connected" && ds === "UpToDate/UpToDate")
        ? both
        : undefined;
    },
    600_000,
    3000,
  );
  expect(synced).toBeDefined();
  timings.push(
    `DRBD Connected, UpToDate/UpToDate ${seconds(Date.now() - convergedAt)} after the converge`,
  );
  // Who is Primary is heartbeat's business: the next test.
  timings.push(`DRBD roles then: ${synced!.map(([, ro]) => ro).join(", ")}`);
}, 660_000);

test("DNS and the proxy answer on the VIP, held by the preferred node", async () => {
  needConverged();
  const direct = getPage();
  expect(direct).toContain("Origin:");
  const serving = await until(
    () =>
      (dig("www.lab.example") === lanHost && getPage(`http://${vip}:3128`) === direct) || undefined,
    300_000,
  );
  expect(serving).toBe(true);
  timings.push(`DNS and proxy on the VIP ${seconds(Date.now() - convergedAt)} after the converge`);
  const preferred = vmNodes.find((n) => n.name === cluster.primary.name)!.name;
  expect(vipHolders()).toEqual([preferred]);
  expect(on(preferred, `drbdadm role ${resource}; mountpoint ${mountPoint}`)).toMatch(
    /^Primary\/Secondary\n.* is a mountpoint/,
  );
}, 360_000);

test("a second apply runs nothing: every step unchanged, no drift", () => {
  needConverged();
  const started = Date.now();
  const again = applyPlan(cluster, { target: vmTarget });
  timings.push(`second apply (refresh, nothing to run): ${seconds(Date.now() - started)}`);
  expect(again.length).toBe(converge.length);
  expect(again.filter((r) => r.ran || r.drift)).toEqual([]);
}, 300_000);

test("a power cut of the VIP holder: the other takes the VIP and DRBD, DNS answers again", async () => {
  needConverged();
  const [from] = vipHolders();
  expect(from).toBeDefined();
  const to = vmNodes.find((n) => n.name !== from)!.name;
  const cut = Date.now();
  powerCut(from!);
  const dnsBack = await until(
    () => (dig("www.lab.example") === lanHost ? Date.now() : undefined),
    300_000,
    500,
  );
  expect(dnsBack).toBeDefined();
  timings.push(`power cut of ${from}: DNS on the VIP from ${to} after ${seconds(dnsBack! - cut)}`);
  const direct = getPage();
  const proxyBack = await until(
    () => (getPage(`http://${vip}:3128`) === direct ? Date.now() : undefined),
    120_000,
    500,
  );
  expect(proxyBack).toBeDefined();
  timings.push(`power cut of ${from}: the proxy on the VIP after ${seconds(proxyBack! - cut)}`);
  expect(
    on(to, `drbdadm role ${resource}; mountpoint ${mountPoint}; ip -br -4 addr show eth1`),
  ).toMatch(new RegExp(`^Primary/Unknown\\n.* is a mountpoint\\n.*${vip.replace(/\./g, "\\.")}/`));
}, 600_000);
