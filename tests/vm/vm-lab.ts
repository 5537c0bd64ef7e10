/**
 * The VM lab (README, "The VM lab"): two Debian VMs under QEMU on one machine, in the network
 * namespace `hacl-vm-<distro>`, with the original address plan and real DRBD. The machinery is
 * shell (`vm.sh`, `build-image.sh`); this module drives it and reaches the VMs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Cluster } from "../../model/cluster";
import { describeCluster } from "../../model/cluster";
import { parseStackConfig } from "../../model/stack-config";
import { bmcPasswordKey } from "../../model/bmc-passwords";
import { secretMarker } from "../../model/schema";
import { stackValues, toRaw, withValue } from "../support/stacks";
import { inFullNamespace, LabTarget } from "../lab/runner";

export type Distro = "trixie" | "bookworm";
export const distros: readonly Distro[] = ["trixie", "bookworm"];

/**
 * The two VMs, as `nodes.sh` makes them: LAN NIC eth1, crossover NIC eth0, management NIC eth2
 * (PCI order); each VM's BMC on the management network.
 */
export const vmNodes = [
  {
    name: "proxycl1",
    address: "172.16.250.101",
    privateAddress: "192.168.0.1",
    mgmtAddress: "10.250.0.1",
    bmcAddress: "10.250.0.11",
    publicMac: "52:54:00:fa:00:01",
    privateMac: "52:54:00:c0:00:01",
  },
  {
    name: "proxycl2",
    address: "172.16.250.102",
    privateAddress: "192.168.0.2",
    mgmtAddress: "10.250.0.2",
    bmcAddress: "10.250.0.12",
    publicMac: "52:54:00:fa:00:02",
    privateMac: "52:54:00:c0:00:02",
  },
] as const;
export type VmNode = (typeof vmNodes)[number]["name"];

/** Where the VM labs keep their state: a tmpfs per distro below it (vm.sh). */
export const vmStateRoot = "/run/hacluster-vm";

/**
 * The VM lab this process drives. Each distro has a lab of its own, in its own namespace and
 * state folder, so that trixie's and bookworm's suites can run side by side; a test file or a
 * command picks one (vmLabUp picks its own).
 */
let selected: Distro | undefined;
export function selectVmLab(distro: Distro): void {
  selected = distro;
}
export function vmLabDistro(): Distro {
  if (!selected) throw new Error("no VM lab chosen (selectVmLab)");
  return selected;
}
/** The chosen lab's state folder (a tmpfs that vm.sh up mounts). */
export const vmStateDir = () => join(vmStateRoot, vmLabDistro());
export const vmNamespace = () => `hacl-vm-${vmLabDistro()}`;
/** Where ssh keeps its one connection per node and address (vm.sh up makes it). */
const vmSshConnections = () => join(vmStateDir(), "ssh");
/** The LAN host in the namespace: client, ping node, package repository. */
export const lanHost = "172.16.250.254";

const vmScript = join(__dirname, "vm.sh");
const buildScript = join(__dirname, "build-image.sh");

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const isVmNode = (name: string | undefined): name is VmNode =>
  vmNodes.some((n) => n.name === name);
export const isDistro = (name: string | undefined): name is Distro =>
  distros.some((d) => d === name);
const nodeOf = (name: VmNode) => vmNodes.find((n) => n.name === name)!;

/** Runs a script of the lab; its progress goes to our stderr, its stdout is returned. */
function script(args: string[], timeoutMs: number): string {
  const run = spawnSync("bash", args, {
    encoding: "utf8",
    env: { ...process.env, HACL_VM_DISTRO: vmLabDistro() },
    stdio: ["ignore", "pipe", "inherit"],
    timeout: timeoutMs,
  });
  if (run.status !== 0) {
    throw new Error(
      `${args.map((a) => a.replace(`${__dirname}/`, "")).join(" ")} failed (${run.error?.message ?? `exit ${run.status}`})`,
    );
  }
  return run.stdout;
}

export interface ImageBuild {
  /** The cache folder: root.qcow2, vmlinuz, initrd.img, repo/, manifest, timings. */
  readonly dir: string;
  readonly ms: number;
  /** False when this call built it, true when it was in the cache already. */
  readonly cached: boolean;
  /** What the build took, as it recorded it (mmdebstrap, disk, total; repository size). */
  readonly steps: string;
}

/** The distro's image and package repository, built unless cached (keyed by their inputs). */
export function buildImage(distro: Distro): ImageBuild {
  const started = Date.now();
  const dir = script([buildScript, distro], 1_200_000).trim().split("\n").pop() ?? "";
  return {
    dir,
    ms: Date.now() - started,
    cached: statSync(join(dir, "done")).mtimeMs < started,
    steps: readFileSync(join(dir, "timings"), "utf8").trim(),
  };
}

export interface VmLabUp {
  readonly distro: Distro;
  readonly image: ImageBuild;
  /** From starting both VMs to both answering SSH. */
  readonly bootMs: number;
}

/** The distros whose lab is up (or part way up: its state folder exists). */
export const vmLabsUp = (): Distro[] => distros.filter((d) => existsSync(join(vmStateRoot, d)));

export function vmLabIsUp(): boolean {
  return existsSync(join(vmStateDir(), "up"));
}

/** Builds the image if needed, the namespace, disks and repository, boots both VMs to SSH. */
export function vmLabUp(distro: Distro): VmLabUp {
  selectVmLab(distro);
  if (vmLabIsUp()) throw new Error("the VM lab is already up (npm run lab -- --vm down)");
  const image = buildImage(distro);
  const started = Date.now();
  script([vmScript, "up", distro], 900_000);
  return { distro, image, bootMs: Date.now() - started };
}

/** Kills every process the chosen lab started (by PID), deletes its namespace and state. */
export function vmLabDown(): void {
  script([vmScript, "down"], 120_000);
}

/** A power cut: the node's QEMU is killed (SIGKILL). Its disks stay as they were. */
export function powerCut(node: VmNode): void {
  script([vmScript, "powercut", node], 60_000);
}

/** Powers the node on again, on the same disks; returns the time until it answered SSH. */
export function boot(node: VmNode): number {
  const started = Date.now();
  script([vmScript, "boot", node], 600_000);
  return Date.now() - started;
}

/** A node's links the lab can pull: both NICs of the cluster (their switch ports), the null-modem cable. */
export type Link = "lan" | "crossover" | "serial";

/** Pulls links of a node, as a cable pulled out; its management NIC stays. */
export function cut(node: VmNode, links: readonly Link[]): void {
  script([vmScript, "cut", node, ...links], 60_000);
}

/** Plugs the links back in. */
export function mend(node: VmNode, links: readonly Link[]): void {
  script([vmScript, "mend", node, ...links], 60_000);
}

/** Presses the node's power button (through its BMC), without waiting for it to boot. */
export function powerOn(node: VmNode): void {
  script([vmScript, "poweron", node], 60_000);
}

/** Waits for the node to answer SSH (after a reboot, or a reset by its peer's fencing); the ms. */
export function waitForSsh(node: VmNode): number {
  const started = Date.now();
  script([vmScript, "wait", node], 600_000);
  return Date.now() - started;
}

/**
 * ssh's options to run sessions over one kept connection per node, in `folder` (OpenSSH's
 * ControlMaster; the VM lab's probes: under emulation a new connection costs a second of the
 * VM's CPU). The connection
 * lives until the lab ends it (a power cut, a boot, `down`) or the node misses four keep-alives
 * 5 s apart. Not a timed ControlPersist: a session that starts as the master times out is refused
 * (exit 255); nor shorter keep-alives: heartbeat at real-time priority can hold an emulated VM's
 * only CPU for seconds.
 */
function sharedConnectionOptions(folder: string): string[] {
  return [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${folder}/%r@%h:%p`,
    "-o",
    "ControlPersist=yes",
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=4",
  ];
}

/**
 * The ssh command line from the lab's namespace to a node, for the lab's own probes: over the
 * management network (which no test cuts), the lab's key, the node's host key pinned, one kept
 * connection per node. The program's steps do not share it: each opens its own connection on the
 * LAN, as the engine's do (vmTarget).
 */
export function vmSshArgs(node: VmNode): string[] {
  return [
    "ssh",
    "-i",
    join(vmStateDir(), "lab_key"),
    "-o",
    `UserKnownHostsFile=${join(vmStateDir(), "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
    ...sharedConnectionOptions(vmSshConnections()),
    `root@${nodeOf(node).mgmtAddress}`,
  ];
}

/** Runs a command in the lab's namespace (the LAN host's side). */
export const inVmNamespace = (command: string[], input?: string, timeoutMs = 120_000): Run =>
  inFullNamespace(vmNamespace(), command, input, timeoutMs);

/** Runs a shell command on a node over SSH, as root, from the lab's namespace. */
export function sshToVm(node: VmNode, command: string, input?: string, timeoutMs?: number): Run {
  const args = vmSshArgs(node);
  return inVmNamespace(
    [...args.slice(0, -1), "-o", "BatchMode=yes", args[args.length - 1], command],
    input ?? "",
    timeoutMs,
  );
}

/**
 * What the chosen lab would have left behind: its namespace, its state, its QEMU processes,
 * BMCs, cable and kept SSH connections. Another distro's lab, running beside it, is not its.
 */
export function vmLabLeftovers(): string[] {
  const left: string[] = [];
  const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of namespaces.split("\n")) {
    if (line.split(" ")[0] === vmNamespace()) left.push(`namespace ${vmNamespace()}`);
  }
  const state = vmStateDir();
  if (existsSync(state)) left.push(state);
  for (const [what, pattern] of [
    ["a QEMU process", `qemu-system-x86_64.*${state}/`],
    // The null-modem cable's relay and the BMCs run outside QEMU: they count too.
    ["the null-modem cable", `cable\\.py.*${state}/`],
    ["a BMC", `ipmi_sim.*${state}/`],
    // A kept connection renames itself "ssh: <its socket> [mux]" once it runs on its own.
    ["a kept SSH connection", `^ssh: ${vmSshConnections()}/`],
  ]) {
    const pids = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" }).stdout ?? "";
    for (const pid of pids.split("\n").filter(Boolean)) left.push(`${what}, process ${pid}`);
  }
  return left;
}

/** The user each BMC has, and the file of the lab's BMC password (made by vm.sh up, 0600). */
export const bmcUser = "fence";
export const bmcPasswordFile = () => join(vmStateDir(), "bmc-password");

/** Where the lab's runner (tests/lab/runner.ts) applies the program's steps to the VMs from. */
export const vmTarget = (): LabTarget => ({
  namespace: vmNamespace(),
  bmcPassword: bmcPasswordFile(),
  key: join(vmStateDir(), "lab_key"),
  knownHosts: join(vmStateDir(), "known_hosts"),
  state: join(vmStateDir(), "applied.json"),
  authkeys: join(vmStateDir(), "authkeys"),
  // The packages step installs from the lab's repository under emulation: minutes.
  timeoutMs: 900_000,
});

/** The VMs' DRBD partition, by its stable name (the test checks it is /dev/vdb1). */
export const vmDrbdDisk = "/dev/disk/by-id/virtio-hacl-drbd-part1";

/**
 * The stack for the VMs: the lab stack (`Pulumi.lab.yaml`: same addresses, names, NICs — eth0
 * the crossover, eth1 the LAN — VIP, zones), except the DRBD disk, which is a real partition
 * here, the null-modem cable on ttyS1 as heartbeat's third path (as in the original),
 * heartbeat's timings (1 s keepalives, 5 s deadtime), fencing through each VM's BMC (stonith
 * external/ipmi), why host keys are not in the stack, and a time server (the LAN host; none
 * answers NTP there), so that the timesyncd step runs against real systemd. Derived in code,
 * validated as any stack is; no stack file of its own.
 */
export function vmValues(): Record<string, unknown> {
  let values = stackValues("lab");
  const nodes = values.nodes as unknown[];
  nodes.forEach((_, i) => (values = withValue(values, `nodes[${i}].drbdDisk`, vmDrbdDisk)));
  values = withValue(values, "heartbeat.serial", { port: "/dev/ttyS1" });
  // Timings for emulated machines, as a site sets them for its own hardware: under TCG each
  // heartbeat costs about 30 times its native CPU (at the lab's 200 ms keepalives a fifth of a
  // host core per idle VM), and two labs side by side share two cores. The namespace lab keeps
  // the defaults and gives the native failover times.
  values = withValue(values, "heartbeat.keepalive", 1);
  values = withValue(values, "heartbeat.warntime", 3);
  values = withValue(values, "heartbeat.deadtime", 5);
  // Real fencing: each node resets its peer through the peer's BMC (tests/vm/bmc.sh). The
  // password is the lab's own (bmcPasswordFile), handed over as the engine would: never here.
  values = withValue(values, "stonith", { type: "external/ipmi" });
  vmNodes.forEach((n, i) => {
    values = withValue(values, `nodes[${i}].bmc`, {
      address: n.bmcAddress,
      user: bmcUser,
      password: secretMarker,
      // ipmi_sim never answers ipmitool's question for its cipher suites: 10 s lost each time.
      cipherSuite: 3,
    });
  });
  values = withValue(values, "ntpServers", [lanHost]);
  // DRBD 8.4 once left the initial resync stalled at 100% here; the reconnect job ends such a
  // resync at its second sighting: every 2 minutes, within the suite's wait for the sync.
  values = withValue(values, "cron.drbdReconnect", "*/2 * * * *");
  return withValue(
    values,
    "skipHostKeyCheck",
    "the VM lab's nodes are QEMU VMs booted and keyed by `npm run lab -- --vm` on this machine",
  );
}

/** The cluster of those values (or of values a test changed), as the program sees it. */
export const vmCluster = (values = vmValues()): Cluster =>
  describeCluster(
    "vm-lab",
    parseStackConfig(
      "vm-lab",
      toRaw(
        values,
        vmNodes.map((_, i) => bmcPasswordKey(i)),
      ),
    ),
  );

/** The accelerator the VMs run under (vm.sh's HACL_VM_ACCEL): TCG, QEMU's emulator, unless told. */
export const vmAccelerator = () =>
  (process.env.HACL_VM_ACCEL ?? "tcg").split(",")[0] === "kvm"
    ? "KVM"
    : "TCG (QEMU's emulator, 1 vCPU per VM)";

/** What a node's BMC did to its power, one line each: `<UTC time> power off: pid N killed (SIGKILL)`. */
export function bmcPowerLog(node: VmNode): { at: number; what: string }[] {
  const file = join(vmStateDir(), node, "bmc", "power.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [at, ...what] = line.split(" ");
      return { at: Date.parse(at), what: what.join(" ") };
    });
}
