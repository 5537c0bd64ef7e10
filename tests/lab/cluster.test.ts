/**
 * The cluster end to end, on the lab's two nodes (see the README's "The lab"): the program's
 * own steps applied over SSH, real heartbeat, squid, named, sshd and drbd-utils. DRBD's kernel
 * side is a stand-in (tests/lab/standin): this kernel has no DRBD module.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { stackValues, withValue, clusterOf } from "../support/stacks";
import { failover, labCluster, topologyOn } from "./lab";
import * as probe from "./probes";
import { applyPlan, destroyPlan, labAuthkeys, labDir, StepResult } from "./runner";

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

describe("a cluster converged from two bare nodes", () => {
  const cluster = labCluster();
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

  it("rotates the heartbeat key with DNS queried every 100 ms: no failed query, no failover", async () => {
    const [holder] = probe.vipHolders();
    const rotated = clusterOf("lab", withValue(stackValues("lab"), "authkeysRotation", "1"));
    const watch = probe.watchDns(120);
    expect(await probe.waitFor(() => watch.samples().length > 0, 10_000)).toBeDefined();
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const results = applyPlan(rotated);
    const ended = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await watch.stop();
    const samples = watch.samples();
    // Queries every 100 ms from before the first step to after the last, and none failed.
    const during = samples.filter((s) => s.at >= started && s.at <= ended);
    expect(samples[0].at).toBeLessThan(started);
    expect(samples[samples.length - 1].at).toBeGreaterThan(ended);
    expect(during.length).toBeGreaterThanOrEqual(Math.floor((ended - started) / 100) - 2);
    expect(samples.filter((s) => !s.ok)).toEqual([]);
    const authkeysSteps = ["authkeys-accept", "authkeys-sign", "authkeys"].flatMap((s) => [
      `proxycl1/${s}`,
      `proxycl2/${s}`,
    ]);
    expect(ranIds(results)).toEqual(
      [...authkeysSteps, ...authkeysSteps.map((k) => `${k} (old, deleted)`)].sort(),
    );
    expect(changedIds(results)).toEqual(authkeysSteps.sort());
    expect(probe.vipHolders()).toEqual([holder]);
    const newKey = labAuthkeys(1).current;
    for (const node of probe.nodes) {
      const keys = probe.onNode(node.name, "grep -v '^#' /etc/ha.d/authkeys");
      expect(keys).toBe(`auth 2\n2 sha1 ${newKey}\n`);
    }
    expect(probe.bothNodesUp()).toBe(true);
  });

  it("re-applies only the steps of the one file a change touches", () => {
    const values = withValue(
      withValue(stackValues("lab"), "authkeysRotation", "1"),
      "cron.drbdReconnect",
      "*/5 * * * *",
    );
    const results = applyPlan(clusterOf("lab", values));
    expect(ranIds(results)).toEqual([
      "proxycl1/cron",
      "proxycl1/cron (old, deleted)",
      "proxycl2/cron",
      "proxycl2/cron (old, deleted)",
    ]);
    expect(changedIds(results)).toEqual(["proxycl1/cron", "proxycl2/cron"]);
    // The replaced step's delete found the file rewritten and left it: the new schedule stays.
    expect(probe.onNode("proxycl1", "grep -c '^\\*/5 ' /etc/cron.d/hacluster").trim()).toBe("1");
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
      /proxycl2\/drbd-metadata failed[\s\S]*refusing to create DRBD metadata on \/dev\/standin-drbd-backing of proxycl2: blkid finds ext4 data on it[\s\S]*pulumi config set --path 'drbd\.confirmWipe\[0\]' 'proxycl2:\/dev\/standin-drbd-backing'/,
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
    expect(out("ip", ["netns", "list"])).not.toMatch(/hacl-/);
    expect(out("losetup", ["-a"])).not.toContain("hacluster-lab");
    expect(out("findmnt", ["-rn", "-o", "TARGET"])).not.toContain("hacluster-lab");
    expect(out("ps", ["-eo", "args"])).not.toMatch(
      /node-boot\.sh|hacl-ctl|ListenAddress=172\.16\.250/,
    );
    expect(existsSync(labDir)).toBe(false);
  });
});
