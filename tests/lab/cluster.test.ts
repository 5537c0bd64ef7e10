/**
 * The cluster end to end, on the lab's two nodes (see the README's "The lab"): the program's
 * own steps applied over SSH, real heartbeat, squid, named, sshd and drbd-utils. DRBD's kernel
 * side is a stand-in (tests/lab/standin): this kernel has no DRBD module.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { planSteps } from "../../render/plan";
import { stackValues, withValue, clusterOf } from "../support/stacks";
import { failover, labCluster, labDrift, topologyOn } from "./lab";
import * as probe from "./probes";
import { nodeState } from "./node-state";
import { applyPlan, destroyPlan, labAuthkey, labDir, StepResult } from "./runner";
import type { Step } from "../../render/step";
import { released } from "../support/release";

jest.setTimeout(300_000);

const answer = "172.16.250.254";
const changedIds = (results: StepResult[]) =>
  results
    .filter((r) => r.said.startsWith("changed"))
    .map((r) => `${r.node}/${r.id}`)
    .sort();
const ranIds = (results: StepResult[]) =>
  results
    .filter((r) => r.ran)
    .map((r) => `${r.node}/${r.id}`)
    .sort();

/** What an admin had on proxycl1 before hacluster: an ACL of their own and a zone. */
function seedAdminData(): void {
  probe.onNode(
    "proxycl1",
    "cat >/etc/squid/conf.d/lab-custom.conf",
    "acl lab_custom src 10.99.0.0/16\n",
  );
  probe.onNode(
    "proxycl1",
    "cat >/etc/bind/db.legacy.example",
    "$TTL 60\n@ IN SOA ns root 1 60 60 60 60\n@ IN NS ns\nns IN A 10.99.0.1\n",
  );
}

const labOf = (v: Record<string, unknown>) => clusterOf("lab", v);

/**
 * Fails when heartbeat's log shows any of `found`, its events since `logLines` in the message:
 * the failure summary is all a CI record may keep.
 */
function noneSeen(what: string, found: string[], logLines: readonly number[]): void {
  if (found.length > 0)
    throw new Error(`${what}:\n${found.join("\n")}\n\n${probe.haEventsSince(logLines)}`);
}

describe("a cluster converged from two bare nodes", () => {
  const cluster = labCluster();
  // The lab stack as the tests change it, one change after the other, as an admin would.
  let values = stackValues("lab");
  beforeAll(async () => {
    topologyOn("down");
    topologyOn("up");
    probe.startWebServer();
    seedAdminData();
  });
  afterAll(() => topologyOn("down"));

  it("converges, serves, and a second apply changes nothing", async () => {
    const first = applyPlan(cluster);
    expect(changedIds(first)).toEqual(
      expect.arrayContaining([
        "proxycl1/drbd-metadata",
        "proxycl1/drbd-first-primary",
        "proxycl1/drbd-mkfs",
        "proxycl1/relocate",
        "proxycl2/heartbeat-start",
      ]),
    );
    expect(await probe.waitFor(() => probe.serving(answer), 90_000, 500)).toBeDefined();
    // As pulumi up: nothing changed, nothing runs.
    expect(ranIds(applyPlan(cluster))).toEqual([]);
    // Every step run again anyway: each finds its work done.
    const again = applyPlan(cluster, { everyStep: true });
    expect(again).toHaveLength(first.length);
    expect(again.filter((r) => !r.said.startsWith("unchanged: "))).toEqual([]);
  });

  it("sees what was changed by hand on the nodes, and a repair apply puts it back, the VIP staying", () => {
    const quiet = () => {
      const run = labDrift();
      return { status: run.status, lines: run.stdout.trim().split("\n") };
    };
    expect(quiet()).toEqual({ status: 0, lines: ['stack "lab": nothing drifted'] });
    const [holder] = probe.vipHolders();
    const other = probe.nodes.find((n) => n.name !== holder)!.name;
    const logLines = probe.haLogLength();
    // What an admin does at 3 a.m.
    probe.onNode("proxycl2", "echo '# tried by hand' >>/etc/ha.d/ha.cf");
    probe.onNode("proxycl1", "chmod 644 /etc/ha.d/authkeys");
    probe.onNode("proxycl2", "rm /etc/cron.d/hacluster");
    probe.onNode(other, "rm /etc/squid && mkdir /etc/squid && echo mine >/etc/squid/note.conf");
    const found = quiet();
    expect(found.status).toBe(1);
    expect(found.lines.sort()).toEqual(
      [
        "proxycl1:/etc/ha.d/authkeys mode 0644, want 0600",
        "proxycl2:/etc/ha.d/ha.cf content changed",
        "proxycl2:/etc/cron.d/hacluster missing",
        `${other}:/etc/squid directory, want a symlink to /replicated/etc/squid`,
      ].sort(),
    );
    const results = applyPlan(cluster);
    expect(ranIds(results)).toEqual(
      [
        "proxycl1/authkeys",
        "proxycl2/ha-cf",
        "proxycl2/cron",
        `${other}/relocated-etc-squid`,
      ].sort(),
    );
    expect(results.filter((r) => r.ran).every((r) => r.drift !== undefined)).toBe(true);
    const kept = results.find((r) => r.id === "relocated-etc-squid" && r.ran)!.said;
    expect(kept).toMatch(
      /^changed: kept \/etc\/squid as \/etc\/squid\.hacluster-drift-\d{8}-\d{6}; linked \/etc\/squid to \/replicated\/etc\/squid$/,
    );
    expect(probe.onNode(other, "cat /etc/squid.hacluster-drift-*/note.conf")).toBe("mine\n");
    expect(
      probe.onNode("proxycl2", "cat /var/backups/hacluster/previous/etc/ha.d/ha.cf"),
    ).toContain("# tried by hand");
    expect(quiet()).toEqual({ status: 0, lines: ['stack "lab": nothing drifted'] });
    expect(ranIds(applyPlan(cluster))).toEqual([]);
    // Heartbeat reread ha.cf and authkeys, and gave up nothing.
    expect(probe.vipHolders()).toEqual([holder]);
    expect(probe.groupsMovedSince(logLines)).toEqual([]);
  });

  it("answers DNS and proxies a page on the VIP, from the client, with its data on /replicated", async () => {
    expect(probe.dig("www.lab.example")).toBe(answer);
    expect(probe.proxyFetch()).toBe(probe.pageText);
    const [primary] = probe.vipHolders();
    expect(primary).toBe("proxycl1");
    const onPrimary = (command: string) => probe.onNode(primary, command).trim();
    expect(onPrimary("readlink /var/log/squid /var/cache/bind /etc/bind").split("\n")).toEqual([
      "/replicated/var/log/squid",
      "/replicated/var/cache/bind",
      "/replicated/etc/bind",
    ]);
    expect(
      await probe.waitFor(
        () => /172\.16\.250\.254/.test(onPrimary("cat /replicated/var/log/squid/access.log")),
        30_000,
        500,
      ),
    ).toBeDefined();
    expect(
      onPrimary("stat -c %U /replicated/var/log/squid /replicated/var/cache/bind").split("\n"),
    ).toEqual(["proxy", "bind"]);
    expect(onPrimary("test -f /replicated/etc/bind/zones/db.lab.example && echo yes")).toBe("yes");
    expect(onPrimary("findmnt -n -o SOURCE /replicated")).toBe("/dev/drbd0");
    expect(
      probe.onNode("proxycl2", "mountpoint -q /replicated && echo mounted || echo not").trim(),
    ).toBe("not");
  });

  it("moved the admin's own ACL and zone onto /replicated intact, keeping the originals", () => {
    const on1 = (command: string) => probe.onNode("proxycl1", command);
    expect(on1("cat /replicated/etc/squid/conf.d/lab-custom.conf")).toBe(
      "acl lab_custom src 10.99.0.0/16\n",
    );
    expect(on1("cat /replicated/etc/bind/db.legacy.example")).toContain("ns IN A 10.99.0.1");
    expect(on1("cat /etc/squid.hacluster-orig-*/conf.d/lab-custom.conf")).toBe(
      "acl lab_custom src 10.99.0.0/16\n",
    );
    expect(on1("cat /etc/bind.hacluster-orig-*/db.legacy.example")).toContain("ns IN A 10.99.0.1");
    // squid.conf is managed in the lab stack: the distribution's own was kept before it was replaced.
    expect(
      on1(
        "grep -c '^http_port 3128' /var/backups/hacluster/files/replicated/etc/squid/squid.conf",
      ).trim(),
    ).toBe("1");
  });

  it("survives the loss of the primary, and keeps the services where they went when it returns", async () => {
    const [before] = probe.vipHolders();
    probe.onNode(before, "echo written-before-the-failure >/replicated/before.txt && sync");
    const f = await failover();
    expect(f.from).toBe(before);
    expect(f.to).not.toBe(before);
    expect(probe.onNode(f.to as probe.NodeName, "cat /replicated/before.txt")).toBe(
      "written-before-the-failure\n",
    );
    expect(probe.serving(answer)).toBe(true);
    expect(f.stayed).toBe(true);
    expect(probe.vipHolders()).toEqual([f.to]);
  });

  it("hands over cleanly when heartbeat is stopped on the primary", async () => {
    const [primary] = probe.vipHolders();
    const other = probe.nodes.find((n) => n.name !== primary)!.name;
    probe.onNode(primary, "/etc/init.d/heartbeat stop >/dev/null");
    expect(
      await probe.waitFor(
        () => probe.vipHolders().join() === other && probe.serving(answer),
        60_000,
        200,
      ),
    ).toBeDefined();
    expect(
      probe
        .onNode(
          primary,
          "mountpoint -q /replicated && echo mounted || echo not; drbdadm role r0; /etc/init.d/named status >/dev/null && echo named || echo no-named",
        )
        .split("\n")
        .slice(0, 3),
    ).toEqual(["not", "Secondary/Primary", "no-named"]);
    probe.onNode(primary, "/etc/init.d/heartbeat start >/dev/null");
    expect(await probe.waitFor(() => probe.bothNodesUp(), 120_000, 500)).toBeDefined();
    expect(probe.vipHolders()).toEqual([other]);
  });

  it("rotates the heartbeat key, twice in a row (one node's sign stage 3 s late) and once by +2, with DNS queried every 100 ms: no failed query, no failover", async () => {
    const [holder] = probe.vipHolders();
    const logLines = probe.haLogLength();
    const watch = probe.watchDns(240);
    expect(await probe.waitFor(() => watch.samples().length > 0, 10_000)).toBeDefined();
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const authkeysSteps = ["authkeys-accept", "authkeys-sign", "authkeys"]
      .flatMap((s) => [`proxycl1/${s}`, `proxycl2/${s}`])
      .sort();
    // The second rotation's sign stage on proxycl2 starts 3 s after proxycl1's (an SSH session
    // slow to open): proxycl2 must switch with proxycl1, not 3 s later.
    const late = (rotation: number) => (step: Step) =>
      rotation === 2 && step.node === "proxycl2" && step.id === "authkeys-sign"
        ? { ...step, create: `sleep 3\n${step.create}` }
        : step;
    for (const rotation of [1, 2, 4]) {
      const results = applyPlan(labOf(withValue(values, "authkeysRotation", String(rotation))), {
        upgrade: late(rotation),
      });
      expect([rotation, ranIds(results)]).toEqual([rotation, authkeysSteps]);
      expect([rotation, changedIds(results)]).toEqual([rotation, authkeysSteps]);
      if (rotation === 2) {
        const said = (node: string) =>
          results.find((r) => r.node === node && r.id === "authkeys-sign")?.said;
        // Both at the same mark on the clock, or proxycl2 following proxycl1's earlier one.
        const first = /switched on its own at (\d\d:\d\d:\d\d)\)$/.exec(said("proxycl1") ?? "");
        expect(first).not.toBeNull();
        expect([
          `changed: /etc/ha.d/authkeys (heartbeat reloaded, keys reread; signs with the new key, switched on its own at ${first![1]})`,
          "changed: /etc/ha.d/authkeys (heartbeat reloaded, keys reread; signs with the new key, switched with proxycl1)",
        ]).toContain(said("proxycl2"));
      }
      const slot = rotation + 1;
      for (const node of probe.nodes) {
        const keys = probe.onNode(node.name, "grep -v '^#' /etc/ha.d/authkeys");
        expect(keys).toBe(`auth ${slot}\n${slot} sha1 ${labAuthkey(rotation)}\n`);
      }
    }
    values = withValue(values, "authkeysRotation", "4");
    const ended = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await watch.stop();
    const samples = watch.samples();
    // Queries from before the first step to after the last, none failed, and never a second
    // without one: a failover silences DNS for longer than the 1.5 s deadtime.
    expect(samples[0].at).toBeLessThan(started);
    expect(samples[samples.length - 1].at).toBeGreaterThan(ended);
    // The watch itself kept asking: a watcher held off the CPU longer than this could have
    // missed a short outage. Not tighter: the suite shares two cores with the VM labs.
    expect(probe.longestGap(samples, started, ended)).toBeLessThan(2000);
    expect(samples.filter((s) => !s.ok)).toEqual([]);
    expect(probe.vipHolders()).toEqual([holder]);
    expect(probe.bothNodesUp()).toBe(true);
    // Heartbeat's own account: neither node lost the other, even for a moment, and nothing moved.
    await new Promise((r) => setTimeout(r, 5000));
    noneSeen("peer deaths during the rotation", probe.peerDeathsSince(logLines), logLines);
    noneSeen(
      "resource groups moved during the rotation",
      probe.groupsMovedSince(logLines),
      logLines,
    );
  });

  it("re-applies only the steps of the one file a change touches, deleting nothing", () => {
    values = withValue(values, "cron.drbdReconnect", "*/5 * * * *");
    const results = applyPlan(labOf(values));
    expect(ranIds(results)).toEqual(["proxycl1/cron", "proxycl2/cron"]);
    expect(changedIds(results)).toEqual(["proxycl1/cron", "proxycl2/cron"]);
    expect(probe.onNode("proxycl1", "grep -c '^\\*/5 ' /etc/cron.d/hacluster").trim()).toBe("1");
  });

  it("runs every step of a new release as an update, and the nodes end as they were", () => {
    const cluster = labOf(values);
    const [holder] = probe.vipHolders();
    const before = probe.nodes.map((n) => nodeState(cluster, n.name));
    const logLines = probe.haLogLength();
    const ids = [
      ...new Set(
        planSteps(cluster, "<key>")
          .flat()
          .map((s) => s.id),
      ),
    ];
    expect(ids.length).toBeGreaterThan(25);
    // One release per step: its script text changes, and so does the version it records. The
    // releases add up, as a program's do: each apply runs the one step just released.
    const releasedIds = new Set<string>();
    const plan = planSteps(cluster, "<key>").flat();
    const appliedAt: string[] = [];
    for (const id of ids) {
      releasedIds.add(id);
      appliedAt.push(`${new Date().toISOString().slice(11, 19)} ${id}`);
      const results = applyPlan(cluster, {
        upgrade: (s) => (releasedIds.has(s.id) ? released(s) : s),
      });
      const expected = plan.filter((s) => s.id === id).map((s) => `${s.node}/${id}`);
      expect([id, ranIds(results)]).toEqual([id, expected.sort()]);
      expect([id, probe.vipHolders()]).toEqual([id, [holder]]);
      noneSeen(
        `resource groups moved by the release of ${id} (steps released: ${appliedAt.slice(-3).join(", ")})`,
        probe.groupsMovedSince(logLines),
        logLines,
      );
    }
    expect(probe.nodes.map((n) => nodeState(cluster, n.name))).toEqual(before);
    // Heartbeat's own account: no resource group given up or taken over meanwhile.
    expect(probe.groupsMovedSince(logLines)).toEqual([]);
    expect(probe.serving(answer)).toBe(true);
    expect(probe.bothNodesUp()).toBe(true);
  });

  it("undoes a step replaced on purpose before redoing it, keeping the data on the volume", () => {
    const cluster = labOf(values);
    const [holder] = probe.vipHolders();
    const withoutKept = (state: string) =>
      state
        .split("\n")
        .filter((l) => !l.includes(".hacluster-orig-"))
        .join("\n");
    const before = probe.nodes.map((n) => withoutKept(nodeState(cluster, n.name)));
    const results = applyPlan(cluster, {
      replace: ["proxycl1/relocate", "proxycl2/relocate", "proxycl1/ha-cf", "proxycl2/ha-cf"],
    });
    // As the engine does for a deleteBeforeReplace resource: the old delete, then the new create.
    const order = results.filter((r) => r.ran).map((r) => `${r.node}/${r.id}`);
    for (const key of ["proxycl1/relocate", "proxycl1/ha-cf"])
      expect(order.indexOf(`${key} (replaced, deleted first)`)).toBe(order.indexOf(key) - 1);
    expect(probe.nodes.map((n) => withoutKept(nodeState(cluster, n.name)))).toEqual(before);
    expect(probe.vipHolders()).toEqual([holder]);
    expect(probe.serving(answer)).toBe(true);
  });

  it("relocates a path added to the stack, leaving the data on the volume and copying nothing back", () => {
    const [holder] = probe.vipHolders();
    probe.onNode(
      holder,
      "mkdir -p /var/lib/squid-lab-extra && echo kept >/var/lib/squid-lab-extra/data",
    );
    probe.onNode(holder, "echo still-on-the-volume >/replicated/etc/squid/lab-marker");
    values = withValue(values, "services.squid.relocate", [
      ...labOf(values).config.services.squid.relocate,
      { path: "/var/lib/squid-lab-extra", owner: "proxy", access: "rw" },
    ]);
    const results = applyPlan(labOf(values));
    expect(ranIds(results)).toEqual(
      ["relocate", "relocated-var-lib-squid-lab-extra", "apparmor-squid"]
        .flatMap((id) => [`proxycl1/${id}`, `proxycl2/${id}`])
        .sort(),
    );
    for (const node of probe.nodes) {
      expect(
        probe.onNode(node.name, "readlink /etc/squid /var/lib/squid-lab-extra").split("\n"),
      ).toEqual(["/replicated/etc/squid", "/replicated/var/lib/squid-lab-extra", ""]);
      expect(
        probe.onNode(node.name, "ls /etc/rc2.d | grep -c -E '^S.*(squid|named)' || true").trim(),
      ).toBe("0");
    }
    expect(
      probe.onNode(
        holder,
        "cat /replicated/etc/squid/lab-marker /replicated/var/lib/squid-lab-extra/data",
      ),
    ).toBe("still-on-the-volume\nkept\n");
    expect(probe.serving(answer)).toBe(true);
  });

  it("refuses to drop a relocated path silently, changing nothing", () => {
    const dropped = withValue(
      values,
      "services.squid.relocate",
      labOf(values).config.services.squid.relocate.filter(
        (r) => r.path !== "/var/lib/squid-lab-extra",
      ),
    );
    expect(() => applyPlan(labOf(dropped))).toThrow(
      /\/var\/lib\/squid-lab-extra is relocated to \/replicated\/var\/lib\/squid-lab-extra on proxycl1, but services\.\*\.relocate no longer lists it/,
    );
    for (const node of probe.nodes) {
      expect(probe.onNode(node.name, "readlink /var/lib/squid-lab-extra").trim()).toBe(
        "/replicated/var/lib/squid-lab-extra",
      );
      expect(
        probe
          .onNode(node.name, "grep -c squid-lab-extra /etc/apparmor.d/local/usr.sbin.squid")
          .trim(),
      ).toBe("2");
    }
    expect(ranIds(applyPlan(labOf(values)))).toEqual([]);
  });

  it("rewrites a file in place when only its mode changes", () => {
    const cluster = labOf(values);
    const toMode = (mode: string) => (s: Step) =>
      s.id === "logrotate"
        ? released(s, (script) =>
            script
              .replace("chmod '0644'", `chmod '0${mode}'`)
              .replace("'644 root root'", `'${mode} root root'`),
          )
        : s;
    const results = applyPlan(cluster, { upgrade: toMode("640") });
    expect(ranIds(results)).toEqual(["proxycl1/logrotate", "proxycl2/logrotate"]);
    for (const node of probe.nodes)
      expect(probe.onNode(node.name, "stat -c %a /etc/logrotate.d/heartbeat").trim()).toBe("640");
    applyPlan(cluster);
    for (const node of probe.nodes)
      expect(probe.onNode(node.name, "stat -c %a /etc/logrotate.d/heartbeat").trim()).toBe("644");
  });

  it("reloads heartbeat for a new deadtime, the resources staying where they are", async () => {
    const [holder] = probe.vipHolders();
    const logLines = probe.haLogLength();
    values = withValue(values, "heartbeat.deadtime", 2);
    const results = applyPlan(labOf(values));
    // ha.cf alone: no other file quotes the deadtime, so DRBD is not adjusted for it.
    expect(ranIds(results)).toEqual(["proxycl1/ha-cf", "proxycl2/ha-cf"]);
    for (const node of probe.nodes)
      expect(probe.onNode(node.name, "grep ^deadtime /etc/ha.d/ha.cf").trim()).toBe("deadtime 2");
    // A changed ha.cf makes heartbeat restart itself, keeping its resources, a moment after the
    // reread: done once both nodes have restarted and see each other again.
    expect(
      await probe.waitFor(
        () => probe.restartsSince(logLines).every((n) => n > 0) && probe.bothNodesUp(),
        60_000,
        500,
      ),
    ).toBeDefined();
    expect(probe.groupsMovedSince(logLines)).toEqual([]);
    expect(probe.vipHolders()).toEqual([holder]);
    expect(probe.serving(answer)).toBe(true);
  });

  it("is taken apart by pulumi destroy without losing data or stopping anything", () => {
    const [holder] = probe.vipHolders();
    const other = probe.nodes.find((n) => n.name !== holder)!.name;
    const said = destroyPlan();
    expect(said.find((r) => r.key === `${holder}/relocate`)!.said).toMatch(
      /^changed: copied \/replicated\/etc\/bind back to \/etc\/bind/,
    );
    const on = (node: probe.NodeName, command: string) => probe.onNode(node, command).trim();
    // The services' folders are real folders again, with the data that was on the volume.
    expect(
      on(
        holder,
        "test -d /etc/squid && test ! -L /etc/squid && cat /etc/squid/conf.d/lab-custom.conf",
      ),
    ).toBe("acl lab_custom src 10.99.0.0/16");
    expect(
      on(holder, "test ! -L /var/log/squid && grep -c 172.16.250.254 /var/log/squid/access.log"),
    ).not.toBe("0");
    expect(on(other, "test -d /etc/bind && test ! -L /etc/bind && echo real")).toBe("real");
    // What hacluster added is gone; what the node had is back.
    expect(
      on(
        holder,
        "ls /etc/cron.d/hacluster /etc/ha.d/ha.cf /etc/ha.d/authkeys /usr/local/sbin/hacluster-network 2>/dev/null | wc -l",
      ),
    ).toBe("0");
    expect(on(holder, "grep -c 'BEGIN hacluster' /etc/hosts || true")).toBe("0");
    // The node's own resolv.conf is back (a lab node's is the host's, seen through its overlay).
    expect(on(holder, "cat /etc/resolv.conf")).toBe(
      readFileSync("/etc/resolv.conf", "utf8").trim(),
    );
    // The volume's data and the DRBD metadata stay; nothing was stopped.
    expect(on(holder, "cat /replicated/before.txt")).toBe("written-before-the-failure");
    expect(on(holder, "blkid -p -s TYPE -o value /dev/standin-drbd-backing")).toBe("drbd");
    expect(on(holder, "/usr/libexec/heartbeat/heartbeat -s >/dev/null && echo running")).toBe(
      "running",
    );
  });
});

describe("a disk that holds a filesystem", () => {
  afterAll(() => topologyOn("down"));

  it("is refused by the metadata step, with the fix, and left untouched", () => {
    topologyOn("down");
    topologyOn("up");
    const loop = readFileSync(join(labDir, "proxycl2.loop"), "utf8").trim();
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
      return r.stdout;
    };
    run("mkfs.ext4", ["-q", "-F", loop]);
    run("debugfs", ["-w", "-R", "write /etc/os-release precious.txt", loop]);
    const image = join(labDir, "proxycl2-backing.img");
    const digest = () => createHash("sha256").update(readFileSync(image)).digest("hex");
    const before = digest();
    expect(() => applyPlan(labCluster())).toThrow(
      /proxycl2\/drbd-metadata failed[\s\S]*refusing to create DRBD metadata on \/dev\/standin-drbd-backing of proxycl2: it holds ext4[\s\S]*pulumi config set --path 'drbd\.confirmWipe\[0\]' 'proxycl2:\/dev\/standin-drbd-backing'/,
    );
    expect(digest()).toBe(before);
    expect(run("debugfs", ["-R", "cat precious.txt", loop])).toBe(
      readFileSync("/etc/os-release", "utf8"),
    );
  });
});

describe("lab down", () => {
  it("leaves no namespace, process, mount or loop device behind", () => {
    topologyOn("up");
    probe.startWebServer();
    topologyOn("down");
    const out = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8" }).stdout;
    // Its own namespaces: a VM lab (hacl-vm-<distro>) may run beside it, as in npm test.
    expect(out("ip", ["netns", "list"])).not.toMatch(/^hacl-(ctl|proxycl[12])\b/m);
    expect(out("losetup", ["-a"])).not.toContain("hacluster-lab");
    expect(out("findmnt", ["-rn", "-o", "TARGET"])).not.toContain("hacluster-lab");
    expect(out("ps", ["-eo", "args"])).not.toMatch(
      /node-boot\.sh|hacl-ctl|ListenAddress=172\.16\.250/,
    );
    expect(existsSync(labDir)).toBe(false);
  });
});
