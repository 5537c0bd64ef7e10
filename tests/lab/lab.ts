/** `npm run lab [-- COMMAND]`: a real two-node cluster on this machine (see the README's "The lab"). */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadClusterFromFiles } from "../../model/load";
import { seconds } from "../../model/duration";
import * as probe from "./probes";
import { activePeer, peers, switchBack, switchTo } from "./peers/switch";
import { applyPlan, labDir, sshArgs, StepResult } from "./runner";

const projectDir = join(__dirname, "..", "..");

const usage = `usage: npm run lab -- [COMMAND]
  up (default)            build the nodes, apply the program's steps, show DNS and the proxy on
                          the VIP, cut the primary's power and show the other node answering
  apply [--every-step]    apply the steps as pulumi up would (only what changed), or all of them
  status                  who holds the VIP, DRBD roles, services
  drift                   npm run drift on the lab stack, from the client namespace
  ssh NODE [COMMAND]      a shell (or a command) on proxycl1 or proxycl2
  failover                cut the primary's power, time the takeover, boot it again
  peer keepalived|pacemaker|off
                          hand the nodes to keepalived or Pacemaker in place of heartbeat (as
                          the bench's --peers does), or back to heartbeat
  pulumi                  where the Pulumi CLI is installed: pulumi up on the lab stack instead
  down                    stop and remove everything the lab made
  help                    this text`;
export function topologyOn(action: "up" | "down" | "crash" | "boot", node?: string): void {
  const run = spawnSync("bash", [join(__dirname, "topology.sh"), action, ...(node ? [node] : [])], {
    stdio: "inherit",
  });
  if (run.status !== 0) throw new Error(`topology.sh ${action} failed`);
}

export function labCluster() {
  return loadClusterFromFiles(projectDir, "lab");
}

/** `npm run drift -- --stack lab`, run where the lab's nodes can be reached, with the lab's key. */
export function labDrift(): { status: number; stdout: string; stderr: string } {
  const run = spawnSync(
    "ip",
    [
      ...["netns", "exec", "hacl-ctl", "node", "-r", "ts-node/register/transpile-only"],
      ...[join(projectDir, "bin", "drift.ts"), "--stack", "lab", "--project", projectDir],
      ...["--identity", join(labDir, "lab_key")],
    ],
    { encoding: "utf8", cwd: projectDir, env: { ...process.env, SSH_AUTH_SOCK: "" } },
  );
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

function printApply(results: StepResult[]): void {
  for (const r of results) console.log(`  ${r.node.padEnd(9)} ${r.id.padEnd(20)} ${r.said}`);
  const ran = results.filter((r) => r.ran).length;
  const changed = results.filter((r) => r.said.startsWith("changed")).length;
  console.log(
    `  ${ran} of ${results.length} steps run, one SSH session each: ${changed} changed something`,
  );
}

/** Brings the lab from nothing to a serving cluster; returns what the steps said. */
export async function labUp(): Promise<StepResult[]> {
  if (!existsSync(join(labDir, "up"))) topologyOn("up");
  probe.startWebServer();
  const results = applyPlan(labCluster());
  const ready = await probe.waitFor(() => probe.serving("172.16.250.254"), 90_000, 500);
  if (ready === undefined)
    throw new Error("the cluster did not start serving within 90 s; see `npm run lab -- status`");
  return results;
}

export interface Failover {
  readonly from: string;
  readonly to: string;
  /** From the power cut to the first DNS answer on the VIP, to a tenth of a second. */
  readonly dnsMs: number;
  /** From the power cut to the first page fetched through the proxy on the VIP. */
  readonly proxyMs: number;
  /** The services stayed on `to` once `from` had booted again (auto_failback off). */
  readonly stayed: boolean;
}

/**
 * Loses the VIP holder as in a power cut, times the takeover, then boots the lost node again and
 * waits until `bothUp` (heartbeat's view unless told: a peer gives its own).
 */
export async function failover(
  maxSeconds = 60,
  bothUp: () => boolean = probe.bothNodesUp,
): Promise<Failover> {
  const [from] = probe.vipHolders();
  if (!from) throw new Error("no node holds the VIP");
  const watch = probe.watchDns(maxSeconds + 5);
  try {
    if ((await probe.waitFor(() => watch.samples().some((s) => s.ok), 10_000)) === undefined) {
      throw new Error("DNS does not answer on the VIP before the failover");
    }
    const started = Date.now();
    topologyOn("crash", from);
    const back = () => probe.recoveredAfter(watch.samples(), started);
    if ((await probe.waitFor(() => (back() ?? 0) > 0, maxSeconds * 1000)) === undefined) {
      throw new Error(`DNS did not come back within ${maxSeconds} s after ${from} was lost`);
    }
    const dnsMs = back()!;
    if (
      (await probe.waitFor(() => probe.proxyFetch() === probe.pageText, 30_000, 50)) === undefined
    ) {
      throw new Error(`the proxy did not come back after ${from} was lost`);
    }
    const proxyMs = Date.now() - started;
    const to = probe.vipHolders().find((n) => n !== from) ?? "?";
    topologyOn("boot", from);
    // A trial that starts while the lost node is still rejoining measures a half-formed cluster.
    if ((await probe.waitFor(bothUp, 180_000, 500)) === undefined) {
      throw new Error(`${from} did not rejoin the cluster within 180 s of its boot`);
    }
    return { from, to, dnsMs, proxyMs, stayed: probe.vipHolders().join() === to };
  } finally {
    await watch.stop();
  }
}

/**
 * `pulumi up` on the lab stack, where the Pulumi CLI is installed: from the client namespace
 * (the only place the nodes can be reached from), with a local backend and a copy of the
 * project in the lab's tmpfs, so that the lab's key and host keys never reach the repository.
 */
function pulumiUp(): void {
  const version = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new Error(
      "the Pulumi CLI is not installed here; `npm run lab` applies the same steps itself",
    );
  }
  if (!existsSync(join(labDir, "up"))) topologyOn("up");
  probe.startWebServer();
  const project = join(labDir, "project");
  mkdirSync(project, { recursive: true });
  for (const entry of [
    "Pulumi.yaml",
    "Pulumi.lab.yaml",
    "index.ts",
    "package.json",
    "tsconfig.json",
    "components",
    "model",
    "render",
    "templates",
  ]) {
    cpSync(join(projectDir, entry), join(project, entry), { recursive: true });
  }
  if (!existsSync(join(project, "node_modules")))
    symlinkSync(join(projectDir, "node_modules"), join(project, "node_modules"));
  const state = join(labDir, "pulumi-state");
  mkdirSync(state, { recursive: true });
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "hacluster-lab",
  };
  const pulumi = (args: string[], input?: string) => {
    const run = spawnSync(
      "ip",
      ["netns", "exec", "hacl-ctl", "pulumi", ...args, "--cwd", project],
      {
        env,
        input,
        stdio: [input === undefined ? "inherit" : "pipe", "inherit", "inherit"],
      },
    );
    if (run.status !== 0) throw new Error(`pulumi ${args[0]} failed`);
  };
  pulumi(["stack", "select", "--create", "lab"]);
  pulumi(
    ["config", "set", "--secret", "sshPrivateKey"],
    readFileSync(join(labDir, "lab_key"), "utf8"),
  );
  readFileSync(join(labDir, "known_hosts"), "utf8")
    .trim()
    .split("\n")
    .forEach((line) => {
      const [host, ...key] = line.split(" ");
      const i = probe.nodes.findIndex((n) => n.address === host);
      pulumi(["config", "set", "--path", `nodes[${i}].ssh.hostKey`, key.join(" ")]);
    });
  pulumi(["up", "--yes", "--stack", "lab"]);
}

function status(): void {
  if (!existsSync(join(labDir, "up"))) {
    console.log("the lab is down");
    return;
  }
  for (const node of probe.nodes) {
    const report = probe.onNode(
      node.name,
      "printf 'heartbeat: %s; DRBD: %s; mounted: %s; named: %s; squid: %s\\n' " +
        '"$(/usr/libexec/heartbeat/heartbeat -s >/dev/null 2>&1 && echo running || echo stopped)" ' +
        '"$(drbdadm role r0 2>/dev/null || echo down)" ' +
        '"$(mountpoint -q /replicated && echo /replicated || echo no)" ' +
        '"$(/etc/init.d/named status >/dev/null 2>&1 && echo running || echo stopped)" ' +
        '"$(/etc/init.d/squid status >/dev/null 2>&1 && echo running || echo stopped)"',
    );
    console.log(`${node.name} (${node.address}): ${report.trim()}`);
  }
  console.log(`VIP ${probe.vip} on: ${probe.vipHolders().join(", ") || "nobody"}`);
  const peer = activePeer();
  if (peer) console.log(`${peer.label()} holds the cluster in place of heartbeat (peer off: back)`);
}

/** Commands that converge or read heartbeat's cluster, which a peer has stopped on both nodes. */
const heartbeatCommands = ["up", "apply", "drift", "pulumi"];

async function main(args: string[]): Promise<void> {
  const [command = "up", ...rest] = args;
  const peer = activePeer();
  if (peer && heartbeatCommands.includes(command)) {
    throw new Error(
      `${peer.name} holds the lab in place of heartbeat: \`npm run lab -- peer off\` first (or \`down\`)`,
    );
  }
  switch (command) {
    case "up": {
      const cluster = labCluster();
      console.log(
        "lab: two nodes in network and mount namespaces (DRBD is a stand-in: this kernel has no DRBD module)",
      );
      const started = Date.now();
      const results = await labUp();
      printApply(results);
      console.log(`\nconverged and serving in ${seconds(Date.now() - started)}`);
      console.log(
        `DNS  (dig @${probe.vip} www.lab.example, from the client):  ${probe.dig("www.lab.example")}`,
      );
      console.log(`HTTP (curl -x ${probe.vip}:3128 ${probe.page}):  ${probe.proxyFetch()}`);
      console.log(
        `VIP on ${probe.vipHolders().join(", ")}; heartbeat deadtime ${seconds(cluster.config.heartbeat.deadtime)}`,
      );
      const f = await failover();
      console.log(
        `\n${f.from} lost (power cut): ${f.to} answered DNS on the VIP after ${seconds(f.dnsMs)}, the proxy after ${seconds(f.proxyMs)}`,
      );
      console.log(
        `${f.from} booted again; with auto_failback off the services ${f.stayed ? "stay" : "did NOT stay"} on ${probe.vipHolders().join(", ")}`,
      );
      console.log("\nlook around:  npm run lab -- status | ssh proxycl1 | failover | apply | down");
      break;
    }
    case "apply":
      printApply(applyPlan(labCluster(), { everyStep: rest.includes("--every-step") }));
      break;
    case "status":
      status();
      break;
    case "drift":
      process.exitCode = labDrift().status;
      break;
    case "ssh": {
      const node = probe.nodes.find((n) => n.name === rest[0]);
      if (!node) throw new Error("usage: npm run lab -- ssh proxycl1|proxycl2 [command]");
      const run = spawnSync(
        "ip",
        ["netns", "exec", "hacl-ctl", ...sshArgs(node.address), ...rest.slice(1)],
        {
          stdio: "inherit",
        },
      );
      process.exitCode = run.status ?? 1;
      break;
    }
    case "failover": {
      const f = await failover(60, activePeer()?.bothUp);
      console.log(
        `${f.from} → ${f.to}: DNS after ${seconds(f.dnsMs)}, proxy after ${seconds(f.proxyMs)}`,
      );
      break;
    }
    case "peer": {
      const peer = peers.find((p) => p.name === rest[0]);
      if (rest[0] === "off") await switchBack();
      else if (peer) await switchTo(peer);
      else throw new Error("usage: npm run lab -- peer keepalived|pacemaker|off");
      status();
      break;
    }
    // Every process of the lab's namespaces is killed by PID, a peer's daemons with the rest.
    case "down":
      topologyOn("down");
      break;
    case "pulumi":
      pulumiUp();
      break;

    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      break;
    default:
      console.error(`lab: unknown command ${command}\n${usage}`);
      process.exitCode = 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`lab: ${e.message}`);
    process.exitCode = 1;
  });
}
