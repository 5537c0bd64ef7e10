/**
 * The cluster on the VM lab, end to end (root, QEMU; minutes): two Debian VMs with systemd and
 * the kernel's DRBD 8.4, the plan of `vmCluster()` applied by the lab's runner as `pulumi up`
 * would, from freshly booted VMs; then the scenarios a distro is asked for, in this order, each
 * starting from a cluster that serves. `trixie.test.ts` runs them all, `bookworm.test.ts` some.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planSteps } from "../../render/plan";
import { groupMovedLines, linkDeathLines, nodeDeathLines } from "../lab/probes";
import { applyPlan, StepResult } from "../lab/runner";
import { hostBusySeconds } from "../support/host-cpu";
import { withValue } from "../support/stacks";
import { powerCutFailover, rejoin } from "./failover";
import { runbook } from "./runbook";
import {
  bmcPowerLog,
  cut,
  Distro,
  mend,
  powerCut,
  powerOn,
  selectVmLab,
  sshToVm,
  vmCluster,
  vmDrbdDisk,
  vmLabDown,
  vmLabLeftovers,
  vmLabUp,
  VmNode,
  vmNodes,
  vmStateDir,
  vmTarget,
  vmValues,
  waitForSsh,
} from "./vm-lab";
import {
  apparmorDenials,
  confinement,
  dig,
  drbdState,
  drbdWhole,
  on,
  otherNode,
  seconds,
  serving,
  settled,
  sleep,
  until,
  vipHolders,
  watchDns,
} from "./vm-probes";

export type Scenario =
  | "rotation"
  | "partition-serial-intact"
  | "node-loss"
  | "total-partition"
  | "split-brain"
  | "runbooks"
  | "reboot-both"
  | "power-cut-both";

export function vmClusterSuite(distro: Distro, scenarios: readonly Scenario[]): void {
  // This file's lab: the other distro's may be running beside it.
  selectVmLab(distro);
  const values = vmValues();
  const cluster = vmCluster(values);
  const vip = cluster.config.vip.address;
  const { resource, mountPoint } = cluster.config.drbd;
  const deadtimeMs = cluster.config.heartbeat.deadtime;
  const timings: string[] = [];
  const note = (what: string) => timings.push(`${distro}: ${what}`);
  let converge: StepResult[] = [];
  let convergedAt = 0;
  const said = (node: VmNode, id: string) =>
    converge.find((r) => r.node === node && r.id === id)?.said ?? "";
  const when = (scenario: Scenario) => (scenarios.includes(scenario) ? test : test.skip);

  function needConverged(): void {
    if (convergedAt === 0) throw new Error("the converge did not complete");
  }

  /** Waits until the cluster serves by itself (vm-probes' settled); returns the holder. */
  const settle = (timeoutMs?: number) => {
    needConverged();
    return settled(vip, timeoutMs);
  };

  /**
   * Moves the services off `holder` with the README's runbook, once both nodes have settled
   * (the runbook's precondition: a standby asked of a peer still starting is dropped), and
   * waits until `to` holds the VIP.
   */
  async function moveServices(holder: VmNode): Promise<void> {
    const to = otherNode(holder);
    const rscstatus = (n: VmNode) => sshToVm(n, "cl_status rscstatus").stdout.trim();
    const ready = await until(
      () => (rscstatus(holder) === "all" && rscstatus(to) === "none" ? true : undefined),
      180_000,
      2000,
    );
    expect([`${holder} all, ${to} none`, ready]).toEqual([`${holder} all, ${to} none`, true]);
    on(holder, runbook("move-services"));
    expect(await until(() => (vipHolders(vip)[0] === to ? true : undefined), 180_000)).toBe(true);
  }

  /** Kernel log lines of a node, since it booted, that say DRBD saw a split brain. */
  const splitBrainLines = (node: VmNode) =>
    on(node, "journalctl -k -b --no-pager -q | grep -i 'split-brain detected' || true")
      .split("\n")
      .filter(Boolean);

  /**
   * heartbeat's log of each VM reachable now, and each VM's console (its boots and shutdowns,
   * also of a VM that no longer answers), kept on the host: a test run's evidence.
   */
  function keepHaLogs(): void {
    const dir = mkdtempSync(join(tmpdir(), `hacluster-vm-${distro}-ha-log-`));
    for (const { name } of vmNodes) {
      const run = sshToVm(name, "cat /var/log/ha-log 2>/dev/null", undefined, 15_000);
      if (run.status === 0) writeFileSync(join(dir, `${name}.ha-log`), run.stdout);
      const consoleLog = join(vmStateDir(), name, "console.log");
      if (existsSync(consoleLog)) copyFileSync(consoleLog, join(dir, `${name}.console.log`));
    }
    note(`heartbeat logs and consoles kept in ${dir}`);
  }

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("the VM lab needs root (namespaces, taps, QEMU)");
    // A run that was cut short leaves its lab behind: start from nothing.
    vmLabDown();
    const cpu = hostBusySeconds();
    const up = vmLabUp(distro);
    note(
      `image and repository ${up.image.cached ? "cached" : `built in ${seconds(up.image.ms)}`}; both VMs, power on to SSH: ${seconds(up.bootMs)}; host CPU ${(hostBusySeconds() - cpu).toFixed(0)} s`,
    );
  }, 1_800_000);

  // What each test cost: its time, and the host's CPU time meanwhile (both VMs' emulation, and
  // whatever else the machine ran), for the budget of the suite; nothing is asserted on them.
  let testStarted = { at: 0, cpu: 0 };
  beforeEach(() => {
    testStarted = { at: Date.now(), cpu: hostBusySeconds() };
  });
  afterEach(() => {
    const name = expect.getState().currentTestName ?? "";
    note(
      `${name.slice(0, 60)}${name.length > 60 ? "…" : ""}: ${seconds(Date.now() - testStarted.at)}, host CPU ${(hostBusySeconds() - testStarted.cpu).toFixed(0)} s`,
    );
  });

  afterAll(() => {
    try {
      keepHaLogs();
    } finally {
      vmLabDown();
      console.log(`VM lab, ${distro} (QEMU TCG, 1 vCPU each):\n  ${timings.join("\n  ")}`);
    }
    expect(vmLabLeftovers()).toEqual([]);
  }, 180_000);

  test("the lab's package repository has every package the plan's packages step installs", () => {
    const packagesStep = planSteps(cluster, "not-a-key")[0]!.find((s) => s.id === "packages")!;
    const wanted = /for pkg in ([^;]+); do/.exec(packagesStep.create)![1]!.trim().split(/\s+/);
    const listed = readFileSync(join(__dirname, "repo-packages.txt"), "utf8")
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    expect(wanted.length).toBeGreaterThan(5);
    expect(wanted.filter((p) => !listed.includes(p))).toEqual([]);
  });

  test("freshly booted VMs: their own host keys and names, NICs by MAC, DRBD 8.4, a partition for it", () => {
    const machineIds = new Set<string>();
    for (const n of vmNodes) {
      expect(on(n.name, "uname -n").trim()).toBe(n.name);
      expect(on(n.name, "cat /etc/ssh/ssh_host_ed25519_key.pub").split(" ")[1]).toBe(
        readFileSync(join(vmStateDir(), n.name, "host_key.pub"), "utf8").split(" ")[1],
      );
      machineIds.add(on(n.name, "cat /etc/machine-id").trim());
      const addresses = on(n.name, "ip -br -4 addr show");
      expect(addresses).toMatch(new RegExp(`^eth0 .*${n.privateAddress}/24`, "m"));
      expect(addresses).toMatch(new RegExp(`^eth1 .*${n.address}/24`, "m"));
      expect(addresses).toMatch(new RegExp(`^eth2 .*${n.mgmtAddress}/24`, "m"));
      expect(on(n.name, "ip route show default")).toBe("");
      expect(on(n.name, "modprobe drbd && cat /proc/drbd")).toMatch(/^version: 8\.4\.\d+/m);
      expect(on(n.name, `readlink -f ${vmDrbdDisk}`).trim()).toBe("/dev/vdb1");
      // No cluster package yet: the program's packages step installs them.
      expect(sshToVm(n.name, "command -v drbdadm || command -v heartbeat").status).not.toBe(0);
    }
    expect(machineIds.size).toBe(2);
  });

  /** Sends a line over the null-modem cable; what the other end read ("" when nothing). */
  async function overNullModem(from: VmNode, to: VmNode): Promise<string> {
    const text = `hello from ${from} at ${Date.now()}`;
    on(
      to,
      "rm -f /run/ttyS1.rx; stty -F /dev/ttyS1 raw -echo 115200; " +
        "nohup sh -c 'timeout 8 head -n 1 /dev/ttyS1 >/run/ttyS1.rx' >/dev/null 2>&1 </dev/null &",
    );
    await sleep(1000);
    on(from, `stty -F /dev/ttyS1 raw -echo 115200; printf '%s\\n' '${text}' >/dev/ttyS1`);
    const received = await until(() => {
      const rx = sshToVm(to, "cat /run/ttyS1.rx 2>/dev/null").stdout.trim();
      return rx === "" ? undefined : rx;
    }, 10_000);
    // [h]: the pattern must not match this very command line.
    on(to, "pkill -f '[h]ead -n 1 /dev/ttyS1' || true");
    return received === text ? "passed" : (received ?? "");
  }

  /**
   * Sends a line while nothing on the other node has the port open, then listens there: what
   * it read of the line ("" when nothing, as over a real cable, which holds no bytes).
   */
  async function heardLate(from: VmNode, to: VmNode): Promise<string> {
    on(from, `stty -F /dev/ttyS1 raw -echo 115200; printf '%s\\n' 'sent to nobody' >/dev/ttyS1`);
    await sleep(2000);
    return sshToVm(
      to,
      "stty -F /dev/ttyS1 raw -echo 115200; timeout 3 head -n 1 /dev/ttyS1 || true",
    ).stdout.trim();
  }

  test("the null-modem cable (ttyS1) passes text both ways, holds none for an end not listening, and none while it is pulled", async () => {
    expect(await overNullModem("proxycl1", "proxycl2")).toBe("passed");
    expect(await overNullModem("proxycl2", "proxycl1")).toBe("passed");
    // A node booting must not read what its peer sent while it was down (heartbeat took such
    // stale lines for a live peer).
    expect(await heardLate("proxycl1", "proxycl2")).toBe("");
    expect(await overNullModem("proxycl1", "proxycl2")).toBe("passed");
    cut("proxycl1", ["serial"]);
    expect(await overNullModem("proxycl1", "proxycl2")).toBe("");
    mend("proxycl1", ["serial"]);
    await sleep(1500);
    expect(await overNullModem("proxycl2", "proxycl1")).toBe("passed");
  }, 120_000);

  test(`a fresh converge: every step passes, both nodes side by side (DRBD disk ${vmDrbdDisk})`, () => {
    const started = Date.now();
    converge = applyPlan(cluster, { target: vmTarget() });
    convergedAt = Date.now();
    note(`fresh converge, ${converge.length} steps: ${seconds(convergedAt - started)}`);
    const slow = [...converge].sort((a, b) => b.ms - a.ms).slice(0, 4);
    note(`slowest steps: ${slow.map((r) => `${r.node}/${r.id} ${seconds(r.ms)}`).join(", ")}`);
    expect(converge.length).toBeGreaterThan(50);
    expect(converge.filter((r) => !r.ran)).toEqual([]);
    expect(converge.filter((r) => !/^(changed|unchanged)\b/.test(r.said))).toEqual([]);
  }, 1_800_000);

  test(
    "systemd branches: drbd enabled at boot (drbd-up), heartbeat enabled by its package and " +
      "started (heartbeat-start), squid and named disabled at boot (relocate), " +
      "hacluster-network.service enabled (network-unit), systemd-timesyncd enabled and " +
      "restarted (timesyncd)",
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
        const units = ["drbd", "heartbeat", "squid", "named", "hacluster-network"];
        const enabled = on(name, `systemctl is-enabled ${units.join(" ")} systemd-timesyncd; true`)
          .trim()
          .split("\n");
        expect(enabled).toEqual([
          "enabled",
          "enabled",
          "disabled",
          "disabled",
          "enabled",
          "enabled",
        ]);
        expect(on(name, "ip -o link show eth0")).toContain("mtu 9000");
      }
    },
  );

  test("DRBD's initial sync completes: Connected, UpToDate/UpToDate on both", async () => {
    needConverged();
    expect(await until(() => drbdWhole() || undefined, 600_000, 3000)).toBe(true);
    // The reconnect job's account of a resync it had to end (DRBD 8.4 stalled at 100%).
    const ended = vmNodes.flatMap((n) =>
      on(n.name, "journalctl -t hacluster --no-pager -q | grep 'connected again to end' || true")
        .split("\n")
        .filter(Boolean),
    );
    note(
      `DRBD UpToDate/UpToDate ${seconds(Date.now() - convergedAt)} after the converge${ended.length ? `, a stalled resync ended by the reconnect job: ${ended.join("; ")}` : ""}`,
    );
  }, 660_000);

  test("DNS and the proxy answer on the VIP, held by the preferred node; squid and named confined by AppArmor", async () => {
    const holder = await settle();
    note(`serving on the VIP ${seconds(Date.now() - convergedAt)} after the converge`);
    expect(holder).toBe(cluster.primary.name);
    expect(on(holder, `drbdadm role ${resource}; mountpoint ${mountPoint}`)).toMatch(
      /^Primary\/Secondary\n.* is a mountpoint/,
    );
    expect(confinement(holder, "named")).toEqual(expect.arrayContaining(["named (enforce)"]));
    const squid = confinement(holder, "squid");
    expect(squid.length).toBeGreaterThan(0);
    expect(squid.filter((c) => !/squid \(enforce\)/.test(c))).toEqual([]);
    expect(apparmorDenials(holder)).toEqual([]);
  }, 360_000);

  test("squid's profile unloaded by hand: squid's next start loads it again and runs confined", async () => {
    const holder = await settle();
    on(holder, "printf %s /usr/sbin/squid >/sys/kernel/security/apparmor/.remove");
    expect(
      on(
        holder,
        "grep -c '^/usr/sbin/squid ' /sys/kernel/security/apparmor/profiles || true",
      ).trim(),
    ).toBe("0");
    on(holder, "systemctl restart squid");
    const squid = confinement(holder, "squid");
    expect(squid.length).toBeGreaterThan(0);
    expect(squid.filter((c) => !/squid \(enforce\)/.test(c))).toEqual([]);
    expect(await until(() => (serving(vip) ? true : undefined), 60_000, 1000)).toBe(true);
    expect(apparmorDenials(holder)).toEqual([]);
  }, 180_000);

  test("a second apply runs nothing: every step unchanged, no drift", () => {
    needConverged();
    const started = Date.now();
    const again = applyPlan(cluster, { target: vmTarget() });
    note(`second apply (refresh, nothing to run): ${seconds(Date.now() - started)}`);
    expect(again.length).toBe(converge.length);
    expect(again.filter((r) => r.ran || r.drift)).toEqual([]);
  }, 300_000);

  when("rotation")(
    "rotating the heartbeat key with DNS queried every 100 ms: no failed query, no link or node declared dead, no failover",
    async () => {
      const holder = await settle();
      const logged = vmNodes.map((n) => Number(on(n.name, "wc -l </var/log/ha-log")));
      const watch = watchDns(vip, 600);
      await until(() => (watch.samples().length > 10 ? true : undefined), 20_000, 200);
      const authkeysSteps = ["authkeys-accept", "authkeys-sign", "authkeys"]
        .flatMap((s) => vmNodes.map((n) => `${n.name}/${s}`))
        .sort();
      const started = Date.now();
      // One rotation: the namespace lab runs two in a row and one by +2, with the same scripts.
      const rotated = vmCluster(withValue(values, "authkeysRotation", "1"));
      const results = applyPlan(rotated, { target: vmTarget() });
      const ran = results
        .filter((r) => r.ran)
        .map((r) => `${r.node}/${r.id}`)
        .sort();
      expect(ran).toEqual(authkeysSteps);
      for (const r of results.filter((r) => r.id === "authkeys-sign"))
        note(`${r.node}'s sign stage: ${r.said}`);
      await sleep(3000);
      const samples = await watch.stop();
      note(
        `a rotation in ${seconds(Date.now() - started)}: ${samples.length} DNS queries, ${samples.filter((s) => !s.ok).length} failed`,
      );
      expect(samples.length).toBeGreaterThan(100);
      expect(samples.filter((s) => !s.ok)).toEqual([]);
      expect(vipHolders(vip)).toEqual([holder]);
      // Heartbeat's own account: neither node lost the other, and nothing moved.
      const since = (pattern: string) =>
        vmNodes.flatMap((n, i) =>
          on(n.name, `tail -n +${logged[i]! + 1} /var/log/ha-log | grep -E '${pattern}' || true`)
            .split("\n")
            .filter(Boolean),
        );
      // The two sign stages switch together (README, rotation): not even a link drops.
      expect(since(`${nodeDeathLines}|${linkDeathLines}|${groupMovedLines}`)).toEqual([]);
      // The stack now holds rotation 1: later scenarios apply nothing, so nothing goes back.
    },
    900_000,
  );

  when("partition-serial-intact")(
    "a network partition with the serial link intact (the secondary's LAN and crossover pulled): no takeover, no split brain, the VIP on one node",
    async () => {
      const holder = await settle();
      const other = otherNode(holder);
      cut(other, ["lan", "crossover"]);
      const cutAt = Date.now();
      try {
        // Long enough for any takeover to have happened: three deadtimes, 30 s at least.
        while (Date.now() - cutAt < Math.max(3 * deadtimeMs, 30_000)) {
          expect(vipHolders(vip)).toEqual([holder]);
          expect(dig(vip)).not.toBe("");
          await sleep(2000);
        }
        expect(drbdState(holder)).toMatchObject({ ro: "Primary/Unknown" });
        // The secondary heard over the serial cable that it must not be promoted.
        expect(drbdState(other)).toMatchObject({
          ro: "Secondary/Unknown",
          ds: "Outdated/DUnknown",
        });
      } finally {
        mend(other, ["lan", "crossover"]);
      }
      expect(await until(() => drbdWhole() || undefined, 300_000, 2000)).toBe(true);
      note(
        `partition with serial intact: whole again ${seconds(Date.now() - cutAt)} after the cut`,
      );
      expect(vipHolders(vip)).toEqual([holder]);
      for (const n of vmNodes) expect(splitBrainLines(n.name)).toEqual([]);
    },
    600_000,
  );

  when("node-loss")(
    "a power cut of the VIP holder: the other takes over with the data written before, squid and named under AppArmor, no denials; the lost node boots, rejoins and resyncs",
    async () => {
      const stamp = `written before the power cut, ${Date.now()}`;
      const { from, to, dnsMs, proxyMs } = await powerCutFailover(vip, (holder) =>
        on(holder, `echo '${stamp}' >${mountPoint}/before-the-cut && sync`),
      );
      note(
        `power cut of ${from}: DNS on the VIP from ${to} after ${seconds(dnsMs)}, the proxy after ${seconds(proxyMs)}`,
      );
      expect(vipHolders(vip)).toEqual([to]);
      expect(on(to, `cat ${mountPoint}/before-the-cut`).trim()).toBe(stamp);
      // Primary; its peer Unknown, or already Secondary: fencing a node that is off powers it on.
      expect(drbdState(to)?.ro).toMatch(/^Primary\/(Unknown|Secondary)$/);
      expect(confinement(to, "named")).toEqual(expect.arrayContaining(["named (enforce)"]));
      expect(confinement(to, "squid").filter((c) => !/squid \(enforce\)/.test(c))).toEqual([]);
      expect(apparmorDenials(to)).toEqual([]);

      const { bootMs, resyncMs } = await rejoin(from);
      note(
        `${from} powered on: SSH after ${seconds(bootMs)}, DRBD whole ${seconds(resyncMs)} later`,
      );
      expect(vipHolders(vip)).toEqual([to]);
      expect(drbdState(from)).toMatchObject({ ro: "Secondary/Primary" });
    },
    1_200_000,
  );

  when("total-partition")(
    "a total partition of the VIP holder (LAN, crossover and serial pulled, its BMC still reachable): the other fences it through its BMC before taking over; once the links are back, one primary, nothing left StandAlone for a person, no acknowledged write lost",
    async () => {
      const holder = await settle();
      const other = otherNode(holder);
      const stamp = `acknowledged before the partition, ${Date.now()}`;
      // Written and synced: with protocol C, acknowledged once on both disks.
      on(holder, `echo '${stamp}' >${mountPoint}/acknowledged && sync`);
      const bootId = on(holder, "cat /proc/sys/kernel/random/boot_id").trim();
      const cutAt = Date.now();
      cut(holder, ["lan", "crossover", "serial"]);
      let tookOver: number | undefined;
      try {
        tookOver = await until(
          () => (vipHolders(vip).includes(other) ? Date.now() : undefined),
          300_000,
          1000,
        );
      } finally {
        // Back before the fenced node has booted, as when the switch comes back.
        mend(holder, ["lan", "crossover", "serial"]);
      }
      expect(tookOver).toBeDefined();
      const fenced = bmcPowerLog(holder).filter((e) => e.at >= cutAt && /power off/.test(e.what));
      note(
        `total partition of ${holder}: fenced through its BMC ${seconds(fenced[0]?.at - cutAt)} after the cut, the VIP on ${other} ${seconds(tookOver! - cutAt)} after`,
      );
      expect(fenced.length).toBeGreaterThan(0);
      expect(fenced[0].at).toBeLessThan(tookOver!);
      waitForSsh(holder);
      expect(on(holder, "cat /proc/sys/kernel/random/boot_id").trim()).not.toBe(bootId);
      expect(await settle(600_000)).toBe(other);
      expect(vmNodes.map((n) => drbdState(n.name)?.ro.split("/")[0]).sort()).toEqual([
        "Primary",
        "Secondary",
      ]);
      expect(on(other, `cat ${mountPoint}/acknowledged`).trim()).toBe(stamp);
      // What the cut-off primary wrote alone before its reset (journal, logs) DRBD sees as a
      // split brain with one primary, and drops by the policy set for fenced stacks: nothing
      // is left for a person, nothing StandAlone.
      const seen = vmNodes.flatMap((n) => splitBrainLines(n.name));
      note(
        `total partition: DRBD said ${seen.length ? seen.map((l) => l.replace(/^.*drbd0: /, "")).join("; ") : "no split brain"}`,
      );
      expect(seen.filter((l) => !/automatically solved/i.test(l))).toEqual([]);
    },
    1_200_000,
  );

  when("split-brain")(
    "a split brain forced on purpose (both primary, fencing off) is detected; the README's commands keep the chosen node's data",
    async () => {
      const survivor = await settle();
      const victim = otherNode(survivor);
      // Fencing off, at run time only: `drbdadm adjust` puts the configured policy back.
      for (const n of vmNodes) on(n.name, `drbdadm disk-options --fencing=dont-care ${resource}`);
      // Heartbeat keeps running on both (the LAN and serial links hold): the runbook stops it.
      cut(victim, ["crossover"]);
      try {
        await until(() => (drbdState(victim)?.cs === "WFConnection" ? true : undefined), 60_000);
        on(
          victim,
          `drbdadm primary ${resource} && mount /dev/drbd0 ${mountPoint} && ` +
            // Left primary: both are primary when the link comes back.
            `echo victim >${mountPoint}/split-brain-victim && umount ${mountPoint}`,
        );
        on(survivor, `echo survivor >${mountPoint}/split-brain-survivor && sync`);
      } finally {
        mend(victim, ["crossover"]);
      }
      // Both primary: DRBD leaves this one to a person (after-sb-2pri disconnect).
      const unresolved = () =>
        splitBrainLines(survivor).filter((l) => /unresolved/i.test(l)).length;
      const before = unresolved();
      const detected = await until(
        () =>
          unresolved() > before && drbdState(survivor)?.cs === "StandAlone" ? true : undefined,
        120_000,
        2000,
      );
      expect(detected).toBe(true);

      // The README's runbook, as printed: first the node whose changes are thrown away.
      const victimRun = sshToVm(victim, "bash -e", runbook("split-brain-victim"), 120_000);
      expect(victimRun).toMatchObject({ status: 0 });
      const survivorRun = sshToVm(survivor, "bash -e", runbook("split-brain-survivor"), 120_000);
      expect(survivorRun).toMatchObject({ status: 0 });
      expect(await until(() => drbdWhole() || undefined, 300_000, 2000)).toBe(true);
      const restart = sshToVm(victim, "bash -e", runbook("split-brain-victim-after"), 120_000);
      expect(restart).toMatchObject({ status: 0 });
      // The test's own undo: the configured fencing policy back (it set dont-care above).
      for (const n of vmNodes) on(n.name, `drbdadm adjust ${resource}`);

      expect(await settle()).toBe(survivor);
      expect(on(survivor, `ls ${mountPoint}`)).toContain("split-brain-survivor");
      expect(on(survivor, `ls ${mountPoint}`)).not.toContain("split-brain-victim");
      // The victim's copy is the survivor's: moved there, the survivor's file is what it serves.
      await moveServices(survivor);
      expect(await settle()).toBe(victim);
      expect(on(victim, `cat ${mountPoint}/split-brain-survivor`).trim()).toBe("survivor");
      expect(on(victim, `ls ${mountPoint}`)).not.toContain("split-brain-victim");
    },
    1_200_000,
  );

  when("runbooks")(
    "replacing a failed disk with the README's commands: a blank disk gets metadata and a full resync from the peer",
    async () => {
      const holder = await settle();
      const other = otherNode(holder);
      const stamp = `before the disk was replaced, ${Date.now()}`;
      on(holder, `echo '${stamp}' >${mountPoint}/before-disk-replaced && sync`);
      // The disk fails, and a new blank disk of the same size takes its place.
      on(other, `drbdadm detach ${resource}`);
      on(
        other,
        `blkdiscard -z /dev/vdb1 2>/dev/null || dd if=/dev/zero of=/dev/vdb1 bs=1M status=none`,
      );
      const replaced = Date.now();
      const run = sshToVm(other, "bash -e", runbook("replace-disk"), 300_000);
      expect(run).toMatchObject({ status: 0 });
      expect(await until(() => drbdWhole() || undefined, 600_000, 2000)).toBe(true);
      note(`a replaced disk: full resync of the volume in ${seconds(Date.now() - replaced)}`);
      await moveServices(holder);
      expect(await settle()).toBe(other);
      expect(on(other, `cat ${mountPoint}/before-disk-replaced`).trim()).toBe(stamp);
    },
    1_200_000,
  );

  when("reboot-both")(
    "a clean reboot of both VMs: the cluster comes back and serves by itself",
    async () => {
      await settle();
      const rebootAt = Date.now();
      for (const n of vmNodes) sshToVm(n.name, "systemctl reboot", undefined, 15_000);
      await sleep(10_000);
      for (const n of vmNodes) waitForSsh(n.name);
      await settle(600_000);
      note(`reboot of both: serving again ${seconds(Date.now() - rebootAt)} after`);
      expect(vipHolders(vip).length).toBe(1);
    },
    1_200_000,
  );

  when("power-cut-both")(
    "a power cut of both VMs, then power on: the cluster comes back and serves by itself",
    async () => {
      await settle();
      const cutAt = Date.now();
      for (const n of vmNodes) powerCut(n.name);
      // Power comes back to both at once.
      for (const n of vmNodes) powerOn(n.name);
      for (const n of vmNodes) waitForSsh(n.name);
      await settle(600_000);
      note(`power cut of both, power on: serving again ${seconds(Date.now() - cutAt)} after`);
      expect(vipHolders(vip).length).toBe(1);
      for (const n of vmNodes) expect(splitBrainLines(n.name)).toEqual([]);
    },
    1_200_000,
  );
}
