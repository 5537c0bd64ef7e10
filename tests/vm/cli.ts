/** `npm run lab [-- --distro trixie|bookworm]`, `npm run lab -- --vm COMMAND`: the VM lab (tests/vm/vm-lab.ts). */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyPlan } from "../lab/runner";
import { powerCutFailover, rejoin } from "./failover";
import {
  boot,
  buildImage,
  cut,
  Distro,
  isDistro,
  isVmNode,
  Link,
  mend,
  powerCut,
  vmAccelerator,
  vmCluster,
  vmLabDistro,
  vmLabsUp,
  vmLabUp,
  VmLabUp,
  selectVmLab,
  vmNodes,
  vmStateDir,
  vmTarget,
} from "./vm-lab";
import { dig, drbdWhole, getPage, page, settled, until, vipHolders } from "./vm-probes";

const usage = `usage: npm run lab -- [--vm] [--distro trixie|bookworm] COMMAND
  up (default)       build the image and package repository (cached), boot both VMs, apply the
                     program's steps, show DNS and the proxy on the VIP, cut the primary's power
                     and show the takeover, then power it on and show the resync
  start              only build (cached) and boot both VMs to SSH, the program not applied
  status             which VMs run and answer SSH
  ssh NODE [CMD]     a root shell (or a command) on proxycl1 or proxycl2
  powercut NODE      kill the node's QEMU (SIGKILL): a power cut; its disks stay
  boot NODE          power the node on again (same disks), until it answers SSH
  cut NODE LINK...   pull links of a node: lan, crossover, serial, all (its management NIC stays)
  mend NODE LINK...  plug them back in
  build              only build (or find in the cache) the distro's image and repository
  down               stop everything the VM lab started, remove its namespace and state
  help               this text
Each distro has a lab of its own; both can run at once. up, start and build take trixie unless
told; status and down act on every lab that is up unless told; the others on the one lab up.`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function parse(args: string[]): { distro: Distro | undefined; rest: string[] } {
  const rest: string[] = [];
  let distro: Distro | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--vm") continue;
    if (arg === "--distro" || arg.startsWith("--distro=")) {
      const value = arg === "--distro" ? args[++i] : arg.slice("--distro=".length);
      if (!isDistro(value))
        throw new Error(`--distro: trixie or bookworm, not ${value ?? "nothing"}`);
      distro = value;
      continue;
    }
    rest.push(arg);
  }
  return { distro, rest };
}

/** Runs vm.sh on the lab of `distro`, or as vm.sh chooses (every lab, or the one up). */
function vmShell(args: string[], distro: Distro | undefined): number {
  const run = spawnSync("bash", [join(__dirname, "vm.sh"), ...args], {
    stdio: "inherit",
    env: distro ? { ...process.env, HACL_VM_DISTRO: distro } : process.env,
  });
  return run.status ?? 1;
}

/** The lab a command on a running lab acts on: the one named, or the only one up. */
function runningLab(distro: Distro | undefined): Distro {
  if (distro) return distro;
  const up = vmLabsUp();
  if (up.length === 1) return up[0]!;
  throw new Error(
    up.length === 0
      ? "no VM lab is up (npm run lab -- --distro trixie|bookworm)"
      : `the labs of ${up.join(" and ")} are up: say which with --distro`,
  );
}

const lookAround =
  "\nlook around:  npm run lab -- --vm status | ssh proxycl1 | powercut proxycl2 | boot proxycl2 | cut proxycl2 all | down";

function printUp(distro: Distro, up: VmLabUp): void {
  console.log(
    `${distro} image: ${up.image.cached ? "from the cache" : `built in ${seconds(up.image.ms)}`} (${up.image.dir})`,
  );
  console.log(`both VMs booted to SSH in ${seconds(up.bootMs)}, under ${vmAccelerator()}`);
}

/** What `npm run lab` shows: the program converging real VMs, serving, and a power cut. */
async function demo(distro: Distro): Promise<void> {
  const cluster = vmCluster();
  const vip = cluster.config.vip.address;
  console.log("VM lab: two Debian VMs under QEMU with the kernel's DRBD 8.4 and systemd");
  printUp(distro, vmLabUp(distro));
  const started = Date.now();
  const steps = applyPlan(cluster, { target: vmTarget() });
  const changed = steps.filter((r) => r.said.startsWith("changed")).length;
  console.log(
    `the program's ${steps.length} steps applied in ${seconds(Date.now() - started)} (${changed} changed something)`,
  );
  await until(() => drbdWhole() || undefined, 600_000, 2000);
  await settled(vip);
  console.log(`converged and serving ${seconds(Date.now() - started)} after the first step`);
  console.log(`DNS  (dig @${vip} www.lab.example, from the LAN host):  ${dig(vip)}`);
  console.log(
    `HTTP (curl -x ${vip}:3128 ${page}):  ${getPage(`http://${vip}:3128`).split("\n")[0]}`,
  );
  console.log(`VIP and DRBD Primary on ${vipHolders(vip).join(", ")}`);
  const f = await powerCutFailover(vip);
  console.log(
    `\n${f.from} lost (power cut): ${f.to} answered DNS on the VIP after ${seconds(f.dnsMs)}, the proxy after ${seconds(f.proxyMs)} (emulated: the namespace lab gives native times)`,
  );
  const r = await rejoin(f.from);
  console.log(
    `${f.from} powered on: SSH after ${seconds(r.bootMs)}, DRBD resynced ${seconds(r.resyncMs)} later; the services stay on ${vipHolders(vip).join(", ")}`,
  );
  console.log(lookAround);
}

async function main(args: string[]): Promise<void> {
  const parsed = parse(args);
  const [command = "up", node, ...more] = parsed.rest;
  const distro = parsed.distro ?? "trixie";
  if (!["up", "start", "build", "status", "down", "help", "--help", "-h"].includes(command))
    selectVmLab(runningLab(parsed.distro));
  else selectVmLab(distro);
  const needNode = () => {
    if (!isVmNode(node)) throw new Error(`${command}: which node? proxycl1 or proxycl2`);
    return node;
  };
  switch (command) {
    case "up":
      return demo(distro);
    case "start": {
      const up = vmLabUp(distro);
      printUp(distro, up);
      for (const n of vmNodes) {
        console.log(
          `  ${n.name}: ${n.address} (eth1, LAN), ${n.privateAddress} (eth0, crossover), ${n.mgmtAddress} (eth2, management; its BMC ${n.bmcAddress})`,
        );
      }
      console.log(
        `kernel ${readFileSync(join(up.image.dir, "kernel-version"), "utf8").trim()}; ` +
          `packages from http://172.16.250.254/debian (the lab's repository)`,
      );
      console.log(lookAround);
      break;
    }
    case "cut":
    case "mend": {
      const links = more.filter((l): l is Link => ["lan", "crossover", "serial"].includes(l));
      if (more.includes("all")) links.push("lan", "crossover", "serial");
      if (links.length === 0)
        throw new Error(`${command}: which links? lan, crossover, serial, all`);
      (command === "cut" ? cut : mend)(needNode(), links);
      console.log(
        `${node}: ${links.join(", ")} ${command === "cut" ? "pulled" : "plugged back in"}`,
      );
      break;
    }
    case "build": {
      const image = buildImage(distro);
      console.log(`${image.dir}\n${image.steps}`);
      break;
    }
    case "status":
      process.exitCode = vmShell(["status"], parsed.distro);
      break;
    case "ssh":
      process.exitCode = vmShell(["ssh", needNode(), ...more], vmLabDistro());
      break;
    case "powercut":
      powerCut(needNode());
      console.log(
        `${node}: power cut (QEMU killed); its disks are kept in ${vmStateDir()}/${node}`,
      );
      break;
    case "boot":
      console.log(`${node} answers SSH ${seconds(boot(needNode()))} after power on`);
      break;
    case "down":
      process.exitCode = vmShell(["down"], parsed.distro);
      break;
    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      break;
    default:
      console.error(`lab --vm: unknown command ${command}\n${usage}`);
      process.exitCode = 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`lab --vm: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
