/** `npm run lab -- --vm [--distro trixie|bookworm] COMMAND`: the VM lab (tests/vm/vm-lab.ts). */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  boot,
  buildImage,
  Distro,
  isDistro,
  isVmNode,
  powerCut,
  vmLabDown,
  vmLabUp,
  vmNodes,
  vmStateDir,
} from "./vm-lab";

const usage = `usage: npm run lab -- --vm [--distro trixie|bookworm] COMMAND
  up                 build the image and package repository (cached), boot both VMs to SSH
  status             which VMs run and answer SSH
  ssh NODE [CMD]     a root shell (or a command) on proxycl1 or proxycl2
  powercut NODE      kill the node's QEMU (SIGKILL): a power cut; its disks stay
  boot NODE          power the node on again (same disks), until it answers SSH
  build              only build (or find in the cache) the distro's image and repository
  down               stop everything the VM lab started, remove its namespace and state
  help               this text
The distro defaults to trixie.`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function parse(args: string[]): { distro: Distro; rest: string[] } {
  const rest: string[] = [];
  let distro: Distro = "trixie";
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

function vmShell(args: string[]): number {
  const run = spawnSync("bash", [join(__dirname, "vm.sh"), ...args], { stdio: "inherit" });
  return run.status ?? 1;
}

function main(args: string[]): void {
  const { distro, rest } = parse(args);
  const [command = "help", node, ...more] = rest;
  const needNode = () => {
    if (!isVmNode(node)) throw new Error(`${command}: which node? proxycl1 or proxycl2`);
    return node;
  };
  switch (command) {
    case "up": {
      const up = vmLabUp(distro);
      console.log(
        `${distro} image: ${up.image.cached ? "from the cache" : `built in ${seconds(up.image.ms)}`} (${up.image.dir})`,
      );
      console.log(`both VMs booted to SSH in ${seconds(up.bootMs)}`);
      for (const n of vmNodes) {
        console.log(`  ${n.name}: ${n.address} (eth1, LAN), ${n.privateAddress} (eth0, crossover)`);
      }
      console.log(
        `kernel ${readFileSync(join(up.image.dir, "kernel-version"), "utf8").trim()}; ` +
          `packages from http://172.16.250.254/debian (the lab's repository)`,
      );
      console.log(
        "\nlook around:  npm run lab -- --vm status | ssh proxycl1 | powercut proxycl2 | boot proxycl2 | down",
      );
      break;
    }
    case "build": {
      const image = buildImage(distro);
      console.log(`${image.dir}\n${image.steps}`);
      break;
    }
    case "status":
      process.exitCode = vmShell(["status"]);
      break;
    case "ssh":
      process.exitCode = vmShell(["ssh", needNode(), ...more]);
      break;
    case "powercut":
      powerCut(needNode());
      console.log(`${node}: power cut (QEMU killed); its disks are kept in ${vmStateDir}/${node}`);
      break;
    case "boot":
      console.log(`${node} answers SSH ${seconds(boot(needNode()))} after power on`);
      break;
    case "down":
      vmLabDown();
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
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`lab --vm: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
