/**
 * The VM lab's foundation, proved on real VMs (root, QEMU; `npm run test:vm`, minutes): images
 * and the package repository, the network, SSH with pinned host keys, the DRBD module, jumbo
 * frames on the crossover, the null-modem cable, a power cut. The program's steps are not
 * applied yet.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadClusterFromFiles } from "../../model/load";
import { planSteps } from "../../render/plan";
import {
  boot,
  Distro,
  lanHost,
  powerCut,
  sshToVm,
  vmLabDown,
  vmLabLeftovers,
  vmLabUp,
  VmNode,
  vmNodes,
  vmStateDir,
} from "./vm-lab";

const projectDir = join(__dirname, "..", "..");
const timings: string[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command on a node; throws with its output when it fails. */
function on(node: VmNode, command: string, timeoutMs?: number): string {
  const run = sshToVm(node, command, undefined, timeoutMs);
  if (run.status !== 0) {
    throw new Error(`${node}: ${command}: exit ${run.status}: ${run.stdout}${run.stderr}`);
  }
  return run.stdout;
}

async function until<T>(what: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(500);
  }
}

/** The name of the node's NIC with that MAC address. */
const nicOf = (node: VmNode, mac: string) =>
  on(
    node,
    `for d in /sys/class/net/*; do [ "$(cat "$d/address")" = ${mac} ] && basename "$d"; done; true`,
  ).trim();

/** Sends a line over the null-modem cable (ttyS1 to ttyS1); returns what the other side read. */
async function overNullModem(from: VmNode, to: VmNode): Promise<string> {
  const text = `hello from ${from} at ${Date.now()}`;
  // The receiver reads first, detached from its SSH session (all three streams).
  on(
    to,
    "rm -f /run/ttyS1.rx; stty -F /dev/ttyS1 raw -echo 115200; " +
      "nohup sh -c 'timeout 30 head -n 1 /dev/ttyS1 >/run/ttyS1.rx' >/dev/null 2>&1 </dev/null &",
  );
  const listening = await until(
    () =>
      sshToVm(
        to,
        'for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f")" = /dev/ttyS1 ] && exit 0; done; exit 1',
      ).status === 0 || undefined,
    10_000,
  );
  if (!listening) throw new Error(`${to}: nothing reads /dev/ttyS1`);
  on(from, `stty -F /dev/ttyS1 raw -echo 115200; printf '%s\\n' '${text}' >/dev/ttyS1`);
  const received = await until(() => {
    const rx = sshToVm(to, "cat /run/ttyS1.rx 2>/dev/null").stdout.trim();
    return rx === "" ? undefined : rx;
  }, 15_000);
  return received === text ? text : `expected "${text}", read "${received ?? ""}"`;
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the VM lab needs root (namespaces, taps, QEMU)");
  // A run that was cut short leaves its lab behind: start from nothing.
  vmLabDown();
});

afterAll(() => {
  console.log(`VM lab timings (QEMU TCG, 1 vCPU, 1 GiB each):\n  ${timings.join("\n  ")}`);
});

test("the lab's package repository covers everything the program's packages step installs", () => {
  const cluster = loadClusterFromFiles(projectDir, "lab");
  const packagesStep = planSteps(cluster, "not-a-key")[0]!.find((s) => s.id === "packages")!;
  const wanted = /for pkg in ([^;]+); do/.exec(packagesStep.create)![1]!.trim().split(/\s+/);
  const listed = readFileSync(join(__dirname, "repo-packages.txt"), "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  expect(wanted.length).toBeGreaterThan(5);
  expect(wanted.filter((p) => !listed.includes(p))).toEqual([]);
});

describe("trixie: two VMs", () => {
  const distro: Distro = "trixie";
  beforeAll(() => {
    const up = vmLabUp(distro);
    timings.push(
      `${distro} image + repository: ${up.image.cached ? `cached (${up.image.steps.replace(/\n/g, ", ")})` : `built in ${seconds(up.image.ms)}`}`,
      `${distro} both VMs, power on to SSH: ${seconds(up.bootMs)}`,
    );
  }, 1_800_000);
  afterAll(() => {
    vmLabDown();
    expect(vmLabLeftovers()).toEqual([]);
  }, 120_000);

  test("each VM answers SSH with its own pinned host key and its own name", () => {
    const machineIds = new Set<string>();
    for (const { name } of vmNodes) {
      expect(on(name, "uname -n").trim()).toBe(name);
      // The lab's key for this VM, not one baked into the shared image.
      expect(on(name, "cat /etc/ssh/ssh_host_ed25519_key.pub").split(" ")[1]).toBe(
        readFileSync(join(vmStateDir, name, "host_key.pub"), "utf8").split(" ")[1],
      );
      machineIds.add(on(name, "cat /etc/machine-id").trim());
    }
    expect(machineIds.size).toBe(2);
  });

  test("NICs by MAC: eth0 is the crossover, eth1 the LAN (as Pulumi.lab.yaml has them)", () => {
    for (const n of vmNodes) {
      expect(nicOf(n.name, n.privateMac)).toBe("eth0");
      expect(nicOf(n.name, n.publicMac)).toBe("eth1");
      expect(on(n.name, "ip -br -4 addr show eth1")).toContain(`${n.address}/24`);
      expect(on(n.name, "ip -br -4 addr show eth0")).toContain(`${n.privateAddress}/24`);
      expect(on(n.name, "ip route show default")).toBe("");
    }
  });

  test("the kernel's DRBD module is 8.4, and the DRBD disk is a partition", () => {
    for (const { name } of vmNodes) {
      expect(on(name, "modprobe drbd && cat /proc/drbd")).toMatch(/^version: 8\.4\.\d+/m);
      expect(on(name, "lsblk -rno NAME,TYPE /dev/vdb")).toBe("vdb disk\nvdb1 part\n");
      expect(on(name, "readlink -f /dev/disk/by-id/virtio-hacl-drbd-part1").trim()).toBe(
        "/dev/vdb1",
      );
    }
  });

  test("apt installs drbd-utils from the lab's repository", () => {
    const out = on(
      "proxycl1",
      "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq " +
        "--no-install-recommends drbd-utils >/dev/null && apt-cache policy drbd-utils && " +
        "drbdadm --version",
      300_000,
    );
    expect(out).toContain(`http://${lanHost}/debian ./ Packages`);
    expect(out).toMatch(/DRBDADM_VERSION=9\.\d+/);
  });

  test("the crossover passes jumbo frames (8972-byte DF ping) once its MTU is 9000", () => {
    const ping = "ping -M do -s 8972 -c 3 -W 2 -q 192.168.0.2";
    // At MTU 1500 a DF ping of that size cannot leave.
    expect(sshToVm("proxycl1", ping).status).not.toBe(0);
    for (const { name } of vmNodes) on(name, "ip link set eth0 mtu 9000");
    expect(on("proxycl1", ping)).toContain("3 received");
  });

  test("text passes both ways over the null-modem cable (ttyS1)", async () => {
    expect(await overNullModem("proxycl1", "proxycl2")).toMatch(/^hello from proxycl1/);
    expect(await overNullModem("proxycl2", "proxycl1")).toMatch(/^hello from proxycl2/);
  }, 120_000);

  test("a power cut, then power on: SSH back, the disk kept, the cable reconnected", async () => {
    on("proxycl1", "echo before-the-cut >/root/marker && sync");
    const cut = Date.now();
    powerCut("proxycl1");
    expect(sshToVm("proxycl1", "true", undefined, 20_000).status).not.toBe(0);
    const ms = boot("proxycl1");
    timings.push(`${distro} proxycl1 power cut, power on to SSH: ${seconds(ms)}`);
    expect(Date.now() - cut).toBeGreaterThanOrEqual(ms);
    expect(on("proxycl1", "uname -n").trim()).toBe("proxycl1");
    expect(on("proxycl1", "cat /root/marker").trim()).toBe("before-the-cut");
    // proxycl1's QEMU is the cable's listening end: proxycl2's reconnects to it.
    expect(await overNullModem("proxycl2", "proxycl1")).toMatch(/^hello from proxycl2/);
    expect(await overNullModem("proxycl1", "proxycl2")).toMatch(/^hello from proxycl1/);
  }, 600_000);
});

describe("bookworm: two VMs", () => {
  const distro: Distro = "bookworm";
  beforeAll(() => {
    const up = vmLabUp(distro);
    timings.push(
      `${distro} image + repository: ${up.image.cached ? `cached (${up.image.steps.replace(/\n/g, ", ")})` : `built in ${seconds(up.image.ms)}`}`,
      `${distro} both VMs, power on to SSH: ${seconds(up.bootMs)}`,
    );
  }, 1_800_000);
  afterAll(() => {
    vmLabDown();
    expect(vmLabLeftovers()).toEqual([]);
  }, 120_000);

  test("each VM answers SSH with its name, and has the DRBD 8.4 module", () => {
    for (const { name } of vmNodes) {
      expect(on(name, "uname -n").trim()).toBe(name);
      expect(on(name, "modprobe drbd && cat /proc/drbd")).toMatch(/^version: 8\.4\.\d+/m);
    }
  });
});

test("down leaves nothing behind: no namespace, no state, no QEMU", () => {
  expect(vmLabLeftovers()).toEqual([]);
});
