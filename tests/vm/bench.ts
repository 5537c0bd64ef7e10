/**
 * `npm run bench` (VM part; `npm run bench -- --vm-only`): figures, not pass/fail. Boots the VM
 * lab, converges it, then `--vm-trials` times (5): the VIP holder's power cut → DNS and the proxy
 * on the VIP again, then the lost node powered on → DRBD whole again (the volume's resync).
 * Labelled with the accelerator: under emulation these are not the native times, which the
 * namespace lab's figures give.
 */
import { parseArgs } from "node:util";
import { applyPlan } from "../lab/runner";
import { median } from "../support/median";
import { powerCutFailover, rejoin } from "./failover";
import {
  Distro,
  isDistro,
  selectVmLab,
  vmAccelerator,
  vmCluster,
  vmLabDown,
  vmLabUp,
  vmTarget,
} from "./vm-lab";
import { drbdWhole, seconds, settled, until } from "./vm-probes";

const { values: args } = parseArgs({
  options: {
    "vm-trials": { type: "string", default: "5" },
    distro: { type: "string", default: "trixie" },
  },
});
const trials = Number(args["vm-trials"]);
if (!isDistro(args.distro)) throw new Error(`--distro: trixie or bookworm, not ${args.distro}`);
const distro: Distro = args.distro;
if (!Number.isInteger(trials) || trials < 1)
  throw new Error("--vm-trials: a whole number, 1 or more");

const row = (what: string, xs: number[]) =>
  `| ${what} | ${xs.length} | ${seconds(median(xs))} | ${seconds(Math.max(...xs))} |`;

async function main(): Promise<void> {
  const cluster = vmCluster();
  const vip = cluster.config.vip.address;
  selectVmLab(distro);
  vmLabDown();
  const up = vmLabUp(distro);
  try {
    const started = Date.now();
    const steps = applyPlan(cluster, { target: vmTarget() });
    const convergeMs = Date.now() - started;
    if ((await until(() => drbdWhole() || undefined, 600_000, 2000)) === undefined)
      throw new Error("DRBD's initial sync did not complete");
    await settled(vip);
    const dns: number[] = [];
    const proxy: number[] = [];
    const resync: number[] = [];
    for (let i = 1; i <= trials; i++) {
      const f = await powerCutFailover(vip);
      const r = await rejoin(f.from);
      console.log(
        `  trial ${i}: ${f.from} → ${f.to}: DNS ${seconds(f.dnsMs)}, proxy ${seconds(f.proxyMs)}; ${f.from} back: SSH ${seconds(r.bootMs)}, resync ${seconds(r.resyncMs)}`,
      );
      dns.push(f.dnsMs);
      proxy.push(f.proxyMs);
      resync.push(r.resyncMs);
    }
    console.log(
      [
        "",
        `VM lab, ${distro}, ${vmAccelerator()}; ${new Date().toISOString()}`,
        `boot to SSH ${seconds(up.bootMs)}; fresh converge of ${steps.length} steps ${seconds(convergeMs)}`,
        "",
        "| after a power cut of the VIP holder | trials | median | max |",
        "| --- | --- | --- | --- |",
        row("DNS on the VIP again", dns),
        row("the proxy on the VIP again", proxy),
        row(
          `the lost node's resync (${cluster.config.drbd.resource}, SSH to UpToDate/UpToDate)`,
          resync,
        ),
      ].join("\n"),
    );
  } finally {
    vmLabDown();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
