import { ConfigError } from "../../model/problem";
import { parseStackConfig } from "../../model/stack-config";
import { stackValues, toRaw, withValue } from "../support/stacks";

const prod = stackValues("prod");
const lab = stackValues("lab");

function problemsOf(values: Record<string, unknown>, secretKeys: string[] = []) {
  try {
    parseStackConfig("test", toRaw(values, secretKeys));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("the prod stack", () => {
  it("encodes the original cluster, its mistakes fixed", () => {
    const cfg = parseStackConfig("prod", toRaw(prod));
    expect(cfg.nodes.map((n) => [n.name, n.publicAddress, n.privateAddress, n.drbdDisk])).toEqual([
      ["proxycl1", "172.16.250.101", "192.168.0.1", "/dev/sda4"],
      ["proxycl2", "172.16.250.102", "192.168.0.2", "/dev/sda4"],
    ]);
    expect(cfg.vip).toMatchObject({ address: "172.16.250.103", name: "proxycluster" });
    expect(cfg.heartbeat).toMatchObject({
      keepalive: 1000,
      warntime: 7000,
      deadtime: 40000,
      initdead: 120000,
      autoFailback: false,
      pingNodes: ["172.16.250.254"],
      serial: { port: "/dev/ttyS0", baud: 115200 },
    });
    expect(cfg.drbd).toMatchObject({
      resource: "r0",
      port: 7788,
      maxBuffers: 4096,
      maxEpochSize: 2048,
      resyncRate: "125M",
    });
    expect(cfg.stonith.type).toBe("meatware");
  });
});

describe("defaults", () => {
  it("fills every omitted key with the documented default", () => {
    const minimal = {
      preferredPrimary: "proxycl1",
      nodes: (lab.nodes as object[]).map((n) =>
        withValue(n as Record<string, unknown>, "privateMtu", undefined),
      ),
      vip: { address: "172.16.250.103", prefix: 24 },
      stonith: { type: "meatware" },
    };
    const cfg = parseStackConfig("test", toRaw(minimal));
    expect(cfg.heartbeat).toMatchObject({
      keepalive: 200,
      warntime: 1000,
      deadtime: 1500,
      initdead: 20000,
      udpport: 694,
      autoFailback: false,
      links: [
        { type: "ucast", network: "private" },
        { type: "ucast", network: "public" },
      ],
    });
    expect(cfg.nodes[0]).toMatchObject({
      privateMtu: 1500,
      privatePrefix: 24,
      ssh: { port: 22, user: "root" },
    });
    expect(cfg.drbd).toMatchObject({
      resource: "r0",
      device: "/dev/drbd0",
      port: 7788,
      protocol: "C",
      mountPoint: "/replicated",
      filesystem: "ext4",
      pingInt: 1,
      pingTimeout: 3,
    });
    expect(cfg.authkeys.method).toBe("sha1");
    expect(cfg.authkeysRotation).toBe(0);
    expect(cfg.cron).toMatchObject({
      drbdReconnect: "*/10 * * * *",
      logBackup: { primarySchedule: "0 5 * * *", secondarySchedule: "0 6 * * *" },
    });
    expect(cfg.services.squid.relocate.map((r) => r.path)).toEqual([
      "/etc/squid",
      "/var/log/squid",
      "/var/spool/squid",
    ]);
    expect(cfg.services.named.relocate.map((r) => r.path)).toEqual([
      "/etc/bind",
      "/var/cache/bind",
      "/var/lib/bind",
    ]);
    expect(cfg.vip.name).toBe("hacluster");
  });

  it("reads heartbeat times as seconds or milliseconds", () => {
    const cfg = parseStackConfig(
      "test",
      toRaw(withValue(withValue(lab, "heartbeat.keepalive", "250ms"), "heartbeat.warntime", "1.2")),
    );
    expect([cfg.heartbeat.keepalive, cfg.heartbeat.warntime]).toEqual([250, 1200]);
  });
});

/** [what is wrong, key as typed in `pulumi config set --path`, words the message must contain, change] */
const badConfigs: [
  string,
  string,
  string,
  (v: Record<string, unknown>) => Record<string, unknown>,
][] = [
  [
    "two nodes with one name",
    "nodes[1].name",
    "already the name of nodes[0].name",
    (v) => withValue(v, "nodes[1].name", "proxycl1"),
  ],
  [
    "a private name equal to a node name",
    "nodes[0].privateName",
    "five distinct names",
    (v) => withValue(v, "nodes[0].privateName", "proxycl2"),
  ],
  [
    "a VIP name equal to a node name",
    "vip.name",
    "already the name of nodes[0].name",
    (v) => withValue(v, "vip.name", "proxycl1"),
  ],
  [
    "two nodes with one public address",
    "nodes[1].publicAddress",
    "is already nodes[0].publicAddress",
    (v) => withValue(v, "nodes[1].publicAddress", "172.16.250.101"),
  ],
  [
    "a VIP that is a node's address",
    "vip.address",
    "is already nodes[1].publicAddress",
    (v) => withValue(v, "vip.address", "172.16.250.102"),
  ],
  [
    "a ping node that is the VIP",
    "heartbeat.pingNodes[0]",
    "a ping node must be a third host",
    (v) => withValue(v, "heartbeat.pingNodes", ["172.16.250.103"]),
  ],
  [
    "a ping node that is a node",
    "heartbeat.pingNodes[0]",
    "is already nodes[0].publicAddress",
    (v) => withValue(v, "heartbeat.pingNodes", ["172.16.250.101"]),
  ],
  [
    "a VIP outside the public LAN",
    "vip.address",
    "is not in the public LAN of proxycl1",
    (v) => withValue(v, "vip.address", "10.1.1.1"),
  ],
  [
    "private addresses in two subnets",
    "nodes[1].privateAddress",
    "is not in 192.168.0.0/24",
    (v) => withValue(v, "nodes[1].privateAddress", "192.168.1.2"),
  ],
  [
    "private prefixes that differ",
    "nodes[1].privatePrefix",
    "differs from nodes[0].privatePrefix",
    (v) => withValue(v, "nodes[1].privatePrefix", 16),
  ],
  [
    "a private link on the public subnet",
    "nodes[0].privateAddress",
    "DRBD would resync over the public NIC",
    (v) =>
      [
        ["nodes[0].privateAddress", "172.16.1.1"],
        ["nodes[1].privateAddress", "172.16.1.2"],
        ["nodes[0].privatePrefix", 16],
        ["nodes[1].privatePrefix", 16],
      ].reduce((acc, [k, val]) => withValue(acc, k as string, val), v),
  ],
  [
    "a preferred primary that is no node",
    "preferredPrimary",
    "is not one of the nodes",
    (v) => withValue(v, "preferredPrimary", "proxycl3"),
  ],
  [
    "warntime not above keepalive",
    "heartbeat.warntime",
    "is not longer than keepalive",
    (v) => withValue(v, "heartbeat.warntime", 0.5),
  ],
  [
    "deadtime not above warntime",
    "heartbeat.deadtime",
    "is not longer than warntime",
    (v) => withValue(v, "heartbeat.deadtime", 5),
  ],
  [
    "initdead under twice deadtime",
    "heartbeat.initdead",
    "less than twice deadtime (80 s)",
    (v) => withValue(v, "heartbeat.initdead", 60),
  ],
  [
    "DRBD slower to see a dead peer than heartbeat",
    "drbd.pingInt",
    "DRBD notices a lost peer after 45.5 s",
    (v) => withValue(v, "drbd.pingInt", 45),
  ],
  [
    "one heartbeat path",
    "heartbeat.links",
    "one heartbeat path (eth0)",
    (v) => withValue(v, "heartbeat.serial", undefined),
  ],
  [
    "two links on one interface",
    "heartbeat.links",
    "one heartbeat path",
    (v) =>
      withValue(withValue(v, "heartbeat.serial", undefined), "heartbeat.links", [
        { type: "bcast", network: "private" },
        { type: "ucast", network: "private" },
      ]),
  ],
  [
    "a one-word single-path waiver",
    "heartbeat.singlePathWaiver",
    "must say why",
    (v) =>
      withValue(withValue(v, "heartbeat.serial", undefined), "heartbeat.singlePathWaiver", "ok"),
  ],
  [
    "authkeys md5",
    "authkeys.method",
    "md5 is broken",
    (v) => withValue(v, "authkeys.method", "md5"),
  ],
  [
    "authkeys crc",
    "authkeys.method",
    "crc authenticates nothing",
    (v) => withValue(v, "authkeys.method", "crc"),
  ],
  [
    "no fencing without a reason",
    "stonith.waiver",
    "needs a stated reason",
    (v) => withValue(v, "stonith", { type: "none" }),
  ],
  [
    "a testing-only STONITH plugin",
    "stonith.type",
    "is for testing only",
    (v) => withValue(v, "stonith.type", "external/ssh"),
  ],
  [
    "an unknown STONITH plugin",
    "stonith.type",
    "Invalid option",
    (v) => withValue(v, "stonith.type", "apc"),
  ],
  [
    "no STONITH choice at all",
    "stonith",
    "is required and not set",
    (v) => withValue(v, "stonith", undefined),
  ],
  [
    "a relative disk path",
    "nodes[1].drbdDisk",
    "must be an absolute block-device path",
    (v) => withValue(v, "nodes[1].drbdDisk", "sda4"),
  ],
  [
    "a whole disk",
    "nodes[1].drbdDisk",
    "is a whole disk",
    (v) => withValue(v, "nodes[1].drbdDisk", "/dev/sda"),
  ],
  [
    "the DRBD device as its own disk",
    "nodes[0].drbdDisk",
    "is a DRBD device",
    (v) => withValue(v, "nodes[0].drbdDisk", "/dev/drbd0"),
  ],
  [
    "a wipe confirmation for the root partition",
    "drbd.confirmWipe[0]",
    "names no node's drbdDisk",
    (v) => withValue(v, "drbd.confirmWipe", ["proxycl2:/dev/sda2"]),
  ],
  [
    "a cron schedule in words",
    "cron.drbdReconnect",
    "is not a cron schedule",
    (v) => withValue(v, "cron.drbdReconnect", "every 10 minutes"),
  ],
  [
    "minute 61 in a schedule",
    "cron.logBackup.primarySchedule",
    "is not a cron schedule",
    (v) => withValue(v, "cron.logBackup.primarySchedule", "61 5 * * 0"),
  ],
  [
    "a time that is no time",
    "heartbeat.keepalive",
    "is not a time",
    (v) => withValue(v, "heartbeat.keepalive", "fast"),
  ],
  [
    "an SSH port out of range",
    "nodes[0].ssh.port",
    "70000 is invalid: Too big",
    (v) => withValue(v, "nodes[0].ssh.port", 70000),
  ],
  ["one node", "nodes", "must list exactly two nodes", (v) => withValue(v, "nodes[1]", undefined)],
  [
    "an address that is no address",
    "vip.address",
    "must be an IPv4 address",
    (v) => withValue(v, "vip.address", "172.16.250.300"),
  ],
  [
    "a misspelt heartbeat key",
    "heartbeat.deadtme",
    "did you mean heartbeat.deadtime?",
    (v) => withValue(v, "heartbeat.deadtme", 10),
  ],
  ["a misspelt top-level key", "stonit", "did you mean stonith?", (v) => ({ ...v, stonit: "{}" })],
  [
    "a system folder as mount point",
    "drbd.mountPoint",
    "is a system directory",
    (v) => withValue(v, "drbd.mountPoint", "/etc"),
  ],
  [
    "a relocated path inside the volume",
    "services.squid.relocate[0].path",
    "overlaps the mount point",
    (v) =>
      withValue(v, "services.squid.relocate", [
        { path: "/replicated/etc", owner: "root", access: "r" },
      ]),
  ],
  [
    "a log backup off the volume",
    "cron.logBackup.directory",
    "lost at the next failover",
    (v) => withValue(v, "cron.logBackup.directory", "/var/backups"),
  ],
  [
    "a route through an unknown gateway",
    "staticRoutes[0].via",
    "is on no network of the nodes",
    (v) => withValue(v, "staticRoutes", [{ to: "10.0.0.0/8", via: "10.9.9.9" }]),
  ],
  ["no VIP", "vip", "is required and not set", (v) => withValue(v, "vip", undefined)],
  [
    "a baud rate a UART does not have",
    "heartbeat.serial.baud",
    "Invalid input",
    (v) => withValue(v, "heartbeat.serial.baud", 12345),
  ],
  [
    "a node name uname cannot print",
    "nodes[0].name",
    "must be a host name",
    (v) => withValue(v, "nodes[0].name", "proxy_cl1"),
  ],
  [
    "a host key that is not a key line",
    "nodes[0].ssh.hostKey",
    "ssh-ed25519 AAAA",
    (v) => withValue(v, "nodes[0].ssh.hostKey", "AAAAC3Nza"),
  ],
];

describe("a bad config is refused before anything runs", () => {
  it.each(badConfigs)("refuses %s (%s)", (_what, key, words, change) => {
    const problems = problemsOf(change(prod));
    const problem = problems.find((p) => p.key === key);
    expect(problem).toBeDefined();
    expect(problem!.problem).toContain(words);
    expect(problem!.fix.length).toBeGreaterThan(10);
  });

  it("has a table of at least 30 bad configs", () => {
    expect(badConfigs.length).toBeGreaterThanOrEqual(30);
  });

  it("reports every problem at once, each with its key and a fix", () => {
    let broken = withValue(prod, "heartbeat.deadtime", 5);
    broken = withValue(broken, "authkeys.method", "md5");
    broken = withValue(broken, "nodes[1].drbdDisk", "/dev/sda");
    broken = withValue(broken, "vip.address", "not-an-ip");
    try {
      parseStackConfig("prod", toRaw(broken));
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const message = (e as Error).message;
      for (const key of [
        "heartbeat.deadtime",
        "authkeys.method",
        "nodes[1].drbdDisk",
        "vip.address",
      ]) {
        expect(message).toContain(`hacluster:${key}:`);
      }
      expect(message).toMatch(
        /stack "prod" config has \d+ problems; nothing was changed on any node/,
      );
      expect(message).toContain("fix: pulumi config set --path 'authkeys.method' sha1");
    }
  });

  it("still runs the cross-checks of a section that has a misspelt key", () => {
    const problems = problemsOf(
      withValue(withValue(prod, "heartbeat.deadtme", 3), "heartbeat.deadtime", 5),
    );
    expect(problems.map((p) => p.key)).toEqual([
      "heartbeat.deadtme",
      "heartbeat.deadtime",
      "drbd.pingInt",
    ]);
  });

  it("refuses an SSH key stored in plain text, without showing it", () => {
    const problems = problemsOf({
      ...prod,
      sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY----- abc",
    });
    expect(problems).toEqual([
      expect.objectContaining({
        key: "sshPrivateKey",
        problem: "is stored in plain text in the stack file",
      }),
    ]);
    expect(JSON.stringify(problems)).not.toContain("BEGIN OPENSSH");
  });

  it("accepts the SSH key when it is a secret", () => {
    expect(problemsOf({ ...prod, sshPrivateKey: "[secret]" }, ["sshPrivateKey"])).toEqual([]);
  });

  it("accepts no STONITH with a stated waiver", () => {
    expect(
      problemsOf(
        withValue(prod, "stonith", {
          type: "none",
          waiver: "a lab on one machine has no power switch",
        }),
      ),
    ).toEqual([]);
  });
});
