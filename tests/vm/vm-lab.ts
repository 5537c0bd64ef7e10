/**
 * The VM lab (README, "The VM lab (in progress)"): two Debian VMs under QEMU on one machine, in
 * the network namespace `hacl-vm-lab`, with the original address plan and real DRBD. The
 * machinery is shell (`vm.sh`, `build-image.sh`); this module drives it and reaches the VMs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Cluster } from "../../model/cluster";
import { describeCluster } from "../../model/cluster";
import { parseStackConfig } from "../../model/stack-config";
import { asProgramString, fromProgramString, readStackFiles } from "../../model/stack-files";
import type { LabTarget } from "../lab/runner";

export type Distro = "trixie" | "bookworm";
export const distros: readonly Distro[] = ["trixie", "bookworm"];

/** The two VMs, as `nodes.sh` makes them: LAN NIC eth1, crossover NIC eth0 (PCI order). */
export const vmNodes = [
  {
    name: "proxycl1",
    address: "172.16.250.101",
    privateAddress: "192.168.0.1",
    publicMac: "52:54:00:fa:00:01",
    privateMac: "52:54:00:c0:00:01",
  },
  {
    name: "proxycl2",
    address: "172.16.250.102",
    privateAddress: "192.168.0.2",
    publicMac: "52:54:00:fa:00:02",
    privateMac: "52:54:00:c0:00:02",
  },
] as const;
export type VmNode = (typeof vmNodes)[number]["name"];

export const vmStateDir = "/run/hacluster-vm";
export const vmNamespace = "hacl-vm-lab";
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

export function vmLabIsUp(): boolean {
  return existsSync(join(vmStateDir, "up"));
}

/** Builds the image if needed, the namespace, disks and repository, boots both VMs to SSH. */
export function vmLabUp(distro: Distro): VmLabUp {
  if (vmLabIsUp()) throw new Error("the VM lab is already up (npm run lab -- --vm down)");
  const image = buildImage(distro);
  const started = Date.now();
  script([vmScript, "up", distro], 900_000);
  return { distro, image, bootMs: Date.now() - started };
}

/** Kills every process the lab started (by PID), deletes its namespace and state. */
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

/** The ssh command line from the lab's namespace to a node: the lab's key, its host key pinned. */
export function vmSshArgs(node: VmNode): string[] {
  return [
    "ssh",
    "-i",
    join(vmStateDir, "lab_key"),
    "-o",
    `UserKnownHostsFile=${join(vmStateDir, "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
    `root@${nodeOf(node).address}`,
  ];
}

/** Runs a command in the lab's namespace (the LAN host's side). */
export function inVmNamespace(command: string[], input?: string, timeoutMs = 120_000): Run {
  const run = spawnSync("ip", ["netns", "exec", vmNamespace, ...command], {
    input,
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return {
    status: run.status ?? -1,
    stdout: run.stdout ?? "",
    stderr: run.stderr ?? String(run.error ?? ""),
  };
}

/** Runs a shell command on a node over SSH, as root, from the lab's namespace. */
export function sshToVm(node: VmNode, command: string, input?: string, timeoutMs?: number): Run {
  const args = vmSshArgs(node);
  return inVmNamespace(
    [...args.slice(0, -1), "-o", "BatchMode=yes", args[args.length - 1], command],
    input ?? "",
    timeoutMs,
  );
}

/** What the lab would have left behind: its namespace, its state, QEMU processes of its own. */
export function vmLabLeftovers(): string[] {
  const left: string[] = [];
  const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of namespaces.split("\n")) {
    const name = line.split(" ")[0];
    if (name?.startsWith("hacl-vm-")) left.push(`namespace ${name}`);
  }
  if (existsSync(vmStateDir)) left.push(vmStateDir);
  const qemu = spawnSync("pgrep", ["-f", `qemu-system-x86_64.*${vmStateDir}/`], {
    encoding: "utf8",
  }).stdout;
  for (const pid of (qemu ?? "").split("\n").filter(Boolean)) left.push(`QEMU process ${pid}`);
  return left;
}

/** Where the lab's runner (tests/lab/runner.ts) applies the program's steps to the VMs from. */
export const vmTarget: LabTarget = {
  namespace: vmNamespace,
  key: join(vmStateDir, "lab_key"),
  knownHosts: join(vmStateDir, "known_hosts"),
  state: join(vmStateDir, "applied.json"),
  authkeys: join(vmStateDir, "authkeys"),
  // The packages step installs from the lab's repository under emulation: minutes.
  timeoutMs: 900_000,
};

/** The VMs' DRBD partition, by its stable name (the test checks it is /dev/vdb1). */
export const vmDrbdDisk = "/dev/disk/by-id/virtio-hacl-drbd-part1";

/**
 * The cluster for the VMs: the lab stack (`Pulumi.lab.yaml`: same addresses, names, NICs — eth0
 * the crossover, eth1 the LAN — VIP, zones, stonith `none` with its waiver), except the DRBD
 * disk, which is a real partition here, why host keys are not in the stack, and a time server
 * (the LAN host; none answers NTP there), so that the timesyncd step runs against real systemd.
 * Derived in code, validated as any stack is; no stack file of its own.
 */
export function vmCluster(): Cluster {
  const raw = readStackFiles(join(__dirname, "..", ".."), "lab");
  const nodes = fromProgramString(raw.values.nodes ?? "[]") as Record<string, unknown>[];
  const values = {
    ...raw.values,
    nodes: asProgramString(nodes.map((n) => ({ ...n, drbdDisk: vmDrbdDisk }))),
    ntpServers: asProgramString([lanHost]),
    skipHostKeyCheck:
      "the VM lab's nodes are QEMU VMs booted and keyed by `npm run lab -- --vm` on this machine",
  };
  return describeCluster("vm-lab", parseStackConfig("vm-lab", { ...raw, values }));
}
