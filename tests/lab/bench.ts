/**
 * `npm run bench [-- --trials N --soak-minutes M]`: figures, not pass/fail (this machine is
 * shared and noisy). Builds a fresh lab, then prints: time of a fresh converge and of a no-op
 * re-apply, SSH sessions per apply, failover times (node loss → DNS and proxy answering on the
 * VIP again) with the default timings and with the prod stack's, and false failovers seen in an
 * idle run and in a run with every core busy.
 *
 * `npm run bench -- --no-vm --peers [--trials N]`: the same failover trial, in the same run on
 * the same nodes, for hacluster's defaults, then keepalived, then Pacemaker with Corosync
 * (tests/lab/peers), and each one's medians against ours. Every peer trial is checked to be the
 * peer's own failover (tests/lab/peers/trial-check.ts): the run stops at the first that is not.
 */
import { spawn, ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { seconds } from "../../model/duration";
import { median } from "../support/median";
import { clusterOf, stackValues, withValue } from "../support/stacks";
import { failover, Failover, labCluster, topologyOn } from "./lab";
import { Peer } from "./peers/peer";
import { peers, switchTo, withPeer } from "./peers/switch";
import {
  checkNoPeerLeft,
  checkPeerBefore,
  checkPeerGone,
  checkPeerTrial,
} from "./peers/trial-check";
import * as probe from "./probes";
import { applyPlan } from "./runner";

const { values: args } = parseArgs({
  options: {
    trials: { type: "string", default: "5" },
    "soak-minutes": { type: "string", default: "5" },
    peers: { type: "boolean", default: false },
  },
});
const trials = Number(args.trials);
const soakMinutes = Number(args["soak-minutes"]);

const s = (ms: number) => seconds(Math.round(ms / 10) * 10);

/** The prod stack's heartbeat timings and DRBD ping, on the lab's nodes. */
function labWithProdTimings() {
  const prod = stackValues("prod") as { heartbeat: Record<string, unknown> };
  let values = stackValues("lab");
  for (const key of ["keepalive", "warntime", "deadtime", "initdead"]) {
    values = withValue(values, `heartbeat.${key}`, prod.heartbeat[key]);
  }
  values = withValue(values, "drbd.pingInt", 10);
  values = withValue(values, "drbd.pingTimeout", 5);
  return clusterOf("lab", values);
}

/** `trials` failovers one after the other, each printed as it ends. */
async function trialsOf(label: string, maxSeconds: number, peer?: Peer): Promise<Failover[]> {
  const runs: Failover[] = [];
  for (let i = 0; i < trials; i++) {
    if (peer) checkPeerBefore(peer);
    const last = await failover(maxSeconds, peer?.bothUp);
    if (peer) checkPeerTrial(peer, last);
    runs.push(last);
    console.log(
      `  ${label} trial ${i + 1}: ${last.from} → ${last.to}: DNS ${s(last.dnsMs)}, proxy ${s(last.proxyMs)}`,
    );
  }
  return runs;
}

/** Median and max of DNS and proxy, as table cells. */
function figures(runs: Failover[]): string {
  const dns = runs.map((r) => r.dnsMs);
  const proxy = runs.map((r) => r.proxyMs);
  return `${runs.length} | ${s(median(dns))} | ${s(Math.max(...dns))} | ${s(median(proxy))} | ${s(Math.max(...proxy))}`;
}

async function failovers(label: string, maxSeconds: number): Promise<string> {
  return `| ${label} | ${figures(await trialsOf(label, maxSeconds))} |`;
}

/** A fresh lab converged by the program and serving, heartbeat up on both nodes. */
async function freshLab(): Promise<void> {
  topologyOn("down");
  topologyOn("up");
  probe.startWebServer();
  applyPlan(labCluster());
  if ((await probe.waitFor(() => probe.serving(probe.wwwAddress), 120_000, 100)) === undefined) {
    throw new Error("the cluster did not start serving within 120 s");
  }
  await probe.waitFor(() => probe.bothNodesUp(), 60_000, 500);
}

/** hacluster's defaults, keepalived and Pacemaker, one after the other on the same nodes. */
async function comparePeers(): Promise<void> {
  await freshLab();
  const { keepalive, deadtime } = labCluster().config.heartbeat;
  const ours = `hacluster defaults (keepalive ${seconds(keepalive)}, deadtime ${seconds(deadtime)})`;
  const measured: { label: string; runs: Failover[] }[] = [
    { label: ours, runs: await trialsOf(ours, 30) },
  ];
  for (const peer of peers) {
    const label = peer.label();
    measured.push({ label, runs: await withPeer(peer, () => trialsOf(label, 60, peer)) });
    checkPeerGone(peer);
  }
  // The lab taken down while a peer holds it leaves none of the peer's daemons on the host.
  await switchTo(peers[peers.length - 1]!);
  topologyOn("down");
  checkNoPeerLeft();
  const medians = (runs: Failover[]) => ({
    dns: median(runs.map((r) => r.dnsMs)),
    proxy: median(runs.map((r) => r.proxyMs)),
  });
  const base = medians(measured[0].runs);
  const times = (x: number, of: number) => `${(x / of).toFixed(1)} ×`;
  console.log(
    [
      "",
      "| configuration | trials | DNS median | DNS max | proxy median | proxy max | DNS median ÷ ours | proxy median ÷ ours |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...measured.map(({ label, runs }) => {
        const m = medians(runs);
        return `| ${label} | ${figures(runs)} | ${times(m.dns, base.dns)} | ${times(m.proxy, base.proxy)} |`;
      }),
    ].join("\n"),
  );
}

const deadLines = () =>
  probe.nodes.reduce(
    (n, node) =>
      n + Number(probe.onNode(node.name, "grep -c 'is dead' /var/log/ha-log || true").trim()),
    0,
  );
const lateLines = () =>
  probe.nodes.reduce(
    (n, node) =>
      n +
      Number(probe.onNode(node.name, "grep -c 'Late heartbeat' /var/log/ha-log || true").trim()),
    0,
  );

async function soak(label: string, busy: boolean): Promise<string> {
  const burners: ChildProcess[] = busy
    ? cpus().map(() => spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }))
    : [];
  try {
    const [holder] = probe.vipHolders();
    const [dead, late] = [deadLines(), lateLines()];
    const watch = probe.watchDns(soakMinutes * 60);
    const samples = await watch.done();
    const failed = samples.filter((x) => !x.ok).length;
    const moved = probe.vipHolders().join() !== holder;
    return `| ${label} | ${soakMinutes} min | ${deadLines() - dead} | ${lateLines() - late} | ${moved ? "yes" : "no"} | ${failed} of ${samples.length} |`;
  } finally {
    for (const b of burners) b.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `bench: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}; DRBD is a stand-in in the lab`,
  );
  if (args.peers) {
    await comparePeers();
    return;
  }
  topologyOn("down");
  topologyOn("up");
  probe.startWebServer();
  const cluster = labCluster();

  let started = Date.now();
  const first = applyPlan(cluster);
  const applied = Date.now() - started;
  await probe.waitFor(() => probe.serving("172.16.250.254"), 120_000, 100);
  const serving = Date.now() - started;
  started = Date.now();
  const noop = applyPlan(cluster);
  const noopMs = Date.now() - started;
  started = Date.now();
  const every = applyPlan(cluster, { everyStep: true });
  const everyMs = Date.now() - started;

  const lines = [
    "| what | figure |",
    "| --- | --- |",
    `| fresh converge (${first.length} steps, ${first.filter((r) => r.ran).length} SSH sessions) | ${s(applied)}; serving on the VIP after ${s(serving)} |`,
    `| no-op re-apply, as pulumi up (${noop.filter((r) => r.ran).length} SSH sessions) | ${s(noopMs)} |`,
    `| re-apply running every step (${every.filter((r) => r.ran).length} SSH sessions, all \`unchanged\`: ${every.every((r) => r.said.startsWith("unchanged"))}) | ${s(everyMs)} |`,
  ];

  const failoverRows = [
    "| timings | trials | DNS median | DNS max | proxy median | proxy max |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  failoverRows.push(await failovers("defaults (deadtime 1.5 s)", 30));

  const soakRows = [
    "| run | length | nodes declared dead | late heartbeats | VIP moved | failed DNS queries |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  soakRows.push(await soak("idle", false));
  soakRows.push(await soak(`${cpus().length} cores busy`, true));

  applyPlan(labWithProdTimings());
  await probe.waitFor(() => probe.bothNodesUp(), 60_000, 500);
  failoverRows.push(await failovers("prod stack (deadtime 40 s)", 120));

  topologyOn("down");
  console.log(["", ...lines, "", ...failoverRows, "", ...soakRows].join("\n"));
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  topologyOn("down");
  process.exitCode = 1;
});
