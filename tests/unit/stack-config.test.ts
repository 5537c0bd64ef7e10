import { ConfigError } from "../../model/problem";
import { parseStackConfig } from "../../model/stack-config";
import { configProblems, stackValues, toRaw, withValue } from "../support/stacks";

const prod = stackValues("prod");
const lab = stackValues("lab");

const problemsOf = (values: Record<string, unknown>, secretKeys: string[] = []) =>
  configProblems(values, secretKeys);

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
  // Address arithmetic: addresses no host can have, in its subnet or at all.
  [
    "a node at its LAN's network address",
    "nodes[0].publicAddress",
    "is the network address of 172.16.0.0/16",
    (v) => withValue(v, "nodes[0].publicAddress", "172.16.0.0"),
  ],
  [
    "a VIP at its LAN's broadcast address",
    "vip.address",
    "is the broadcast address of 172.16.0.0/16",
    (v) => withValue(v, "vip.address", "172.16.255.255"),
  ],
  [
    "a private address at its link's broadcast address",
    "nodes[1].privateAddress",
    "is the broadcast address of 192.168.0.0/24",
    (v) => withValue(v, "nodes[1].privateAddress", "192.168.0.255"),
  ],
  [
    "a ping node at the LAN's broadcast address",
    "heartbeat.pingNodes[0]",
    "is the broadcast address of 172.16.0.0/16",
    (v) => withValue(v, "heartbeat.pingNodes", ["172.16.255.255"]),
  ],
  [
    "a loopback private address",
    "nodes[0].privateAddress",
    "is loopback",
    (v) => withValue(v, "nodes[0].privateAddress", "127.0.0.2"),
  ],
  [
    "a link-local public address",
    "nodes[1].publicAddress",
    "is link-local",
    (v) => withValue(v, "nodes[1].publicAddress", "169.254.10.2"),
  ],
  [
    "a multicast ping node",
    "heartbeat.pingNodes[0]",
    "is multicast",
    (v) => withValue(v, "heartbeat.pingNodes", ["224.0.0.1"]),
  ],
  [
    "the limited broadcast address as VIP",
    "vip.address",
    "is reserved",
    (v) => withValue(v, "vip.address", "255.255.255.255"),
  ],
  [
    "0.0.0.0 as a DNS forwarder",
    "services.named.forwarders[0]",
    '"this network"',
    (v) => withValue(v, "services.named.forwarders", ["0.0.0.0"]),
  ],
  [
    "a loopback DNS forwarder",
    "services.named.forwarders[0]",
    "is loopback",
    (v) => withValue(v, "services.named.forwarders", ["127.0.0.1"]),
  ],
  [
    "the VIP as a DNS forwarder",
    "services.named.forwarders[0]",
    "is vip.address: the cluster itself",
    (v) => withValue(v, "services.named.forwarders", ["172.16.250.103"]),
  ],
  [
    "a public LAN too small for the VIP and two nodes",
    "vip.prefix",
    "must be 29 or less",
    (v) => withValue(v, "vip.prefix", 30),
  ],
  [
    "a /32 private link",
    "nodes[0].privatePrefix",
    "must be 31 or less",
    (v) => withValue(v, "nodes[0].privatePrefix", 32),
  ],
  [
    "a private link inside the public LAN",
    "nodes[0].privateAddress",
    "lies inside the public LAN 172.16.0.0/16",
    (v) =>
      withValue(
        withValue(v, "nodes[0].privateAddress", "172.16.9.1"),
        "nodes[1].privateAddress",
        "172.16.9.2",
      ),
  ],
  [
    "a proxy ACL with host bits set",
    "services.squid.allowFrom[0]",
    "has host bits set: it names a host of 172.16.250.0/24",
    (v) => withValue(v, "services.squid.allowFrom", ["172.16.250.7/24"]),
  ],
  [
    "a DNS ACL with host bits set",
    "services.named.allowFrom[1]",
    "has host bits set: it names a host of 10.0.0.0/8",
    (v) => withValue(v, "services.named.allowFrom", ["172.16.0.0/16", "10.1.2.3/8"]),
  ],
  [
    "a route destination with host bits set",
    "staticRoutes[0].to",
    "has host bits set: it names a host of 10.0.0.0/8",
    (v) => withValue(v, "staticRoutes", [{ to: "10.1.2.3/8", via: "172.16.250.254" }]),
  ],
  [
    "a route to a part of the public LAN",
    "staticRoutes[0].to",
    "is inside the public LAN 172.16.0.0/16",
    (v) => withValue(v, "staticRoutes", [{ to: "172.16.250.0/24", via: "172.16.250.254" }]),
  ],
  [
    "a route through a node",
    "staticRoutes[0].via",
    "is nodes[0].publicAddress",
    (v) => withValue(v, "staticRoutes", [{ to: "10.0.0.0/8", via: "172.16.250.101" }]),
  ],
  [
    "a route through the LAN's broadcast address",
    "staticRoutes[0].via",
    "is the broadcast address of 172.16.0.0/16",
    (v) => withValue(v, "staticRoutes", [{ to: "10.0.0.0/8", via: "172.16.255.255" }]),
  ],
  [
    "SSH to the other node's address",
    "nodes[1].ssh.host",
    "is an address of proxycl1",
    (v) => withValue(v, "nodes[1].ssh.host", "172.16.250.101"),
  ],
  [
    "SSH to the VIP",
    "nodes[0].ssh.host",
    "is the VIP, which moves",
    (v) => withValue(v, "nodes[0].ssh.host", "172.16.250.103"),
  ],
  [
    "both nodes behind one SSH endpoint",
    "nodes[1].ssh.host",
    "set one machine up as both nodes",
    (v) =>
      withValue(
        withValue(v, "nodes[0].ssh.host", "jump.example"),
        "nodes[1].ssh.host",
        "jump.example",
      ),
  ],
  [
    "a user in the SSH host",
    "nodes[0].ssh.host",
    "holds a user",
    (v) => withValue(v, "nodes[0].ssh.host", "root@172.16.250.101"),
  ],
  [
    "a port in the SSH host",
    "nodes[0].ssh.host",
    "holds a port",
    (v) => withValue(v, "nodes[0].ssh.host", "172.16.250.101:2222"),
  ],
  [
    "SSH to 0.0.0.0",
    "nodes[0].ssh.host",
    "reaches the machine itself",
    (v) => withValue(v, "nodes[0].ssh.host", "0.0.0.0"),
  ],
  [
    "a loopback time server",
    "ntpServers[0]",
    "is loopback",
    (v) => withValue(v, "ntpServers", ["127.0.0.1"]),
  ],
  [
    "two time servers in one entry",
    "ntpServers[0]",
    "must be a host name or an IPv4 address",
    (v) => withValue(v, "ntpServers", ["0.pool.ntp.org 1.pool.ntp.org"]),
  ],
  // Ports that collide with another service of the cluster.
  [
    "heartbeat on named's port",
    "heartbeat.udpport",
    "53/udp is already taken on every address by named",
    (v) => withValue(v, "heartbeat.udpport", 53),
  ],
  [
    "DRBD on sshd's port",
    "drbd.port",
    "22/tcp is already taken on every address by sshd on proxycl1",
    (v) => withValue(v, "drbd.port", 22),
  ],
  [
    "squid on named's port",
    "services.squid.port",
    "53/tcp is already taken on every address by named",
    (v) => withValue(v, "services.squid.port", 53),
  ],
  [
    "the admin's squid on DRBD's port",
    "services.squid.port",
    "7788/tcp is already taken on 192.168.0.1 by DRBD (drbd.port)",
    (v) => withValue(v, "services.squid.port", 7788),
  ],
  [
    "sshd on named's control channel",
    "nodes[0].ssh.port",
    "953/tcp is already taken on 127.0.0.1 by named's control channel",
    (v) => withValue(v, "nodes[0].ssh.port", 953),
  ],
  // Interface and device limits.
  [
    "an interface alias label",
    "nodes[0].publicInterface",
    "is an alias label",
    (v) => withValue(v, "nodes[0].publicInterface", "eth1:0"),
  ],
  [
    "an interface as `ip link` shows a veth",
    "nodes[1].privateInterface",
    "the interface is eth0",
    (v) => withValue(v, "nodes[1].privateInterface", "eth0@if12"),
  ],
  [
    "an interface name over IFNAMSIZ",
    "vip.interface",
    "a Linux interface name has at most 15",
    (v) => withValue(v, "vip.interface", "enp0s31f6-public"),
  ],
  [
    "the loopback as private interface",
    "nodes[0].privateInterface",
    "is the loopback interface",
    (v) => withValue(v, "nodes[0].privateInterface", "lo"),
  ],
  [
    "one interface for both networks",
    "nodes[1].privateInterface",
    "is also proxycl2's public interface",
    (v) => withValue(v, "nodes[1].privateInterface", "eth1"),
  ],
  [
    "a VIP interface that is no node's public interface",
    "vip.interface",
    "is not the public interface of proxycl1",
    (v) => withValue(v, "vip.interface", "eth0"),
  ],
  [
    "an MTU no common NIC takes",
    "nodes[0].privateMtu",
    "must be 9216 or less",
    (v) => withValue(v, "nodes[0].privateMtu", 65000),
  ],
  [
    "two MTUs on one link",
    "nodes[1].privateMtu",
    "differs from nodes[0].privateMtu (9000)",
    (v) => withValue(v, "nodes[1].privateMtu", 1500),
  ],
  [
    "a heartbeat link listed twice",
    "heartbeat.links[1]",
    "repeats heartbeat.links[0]",
    (v) =>
      withValue(v, "heartbeat.links", [
        { type: "bcast", network: "private" },
        { type: "bcast", network: "private" },
      ]),
  ],
  [
    "a DRBD minor above the kernel's",
    "drbd.device",
    "refuses minors above 1048575",
    (v) => withValue(v, "drbd.device", "/dev/drbd1048576"),
  ],
  [
    "a DRBD device with a leading zero",
    "drbd.device",
    "the device is /dev/drbd1",
    (v) => withValue(v, "drbd.device", "/dev/drbd01"),
  ],
  [
    "a virtual console as heartbeat's serial line",
    "heartbeat.serial.port",
    "is a virtual console",
    (v) => withValue(v, "heartbeat.serial.port", "/dev/tty1"),
  ],
  [
    "a serial port with a leading zero",
    "heartbeat.serial.port",
    "the device is /dev/ttyS1",
    (v) => withValue(v, "heartbeat.serial.port", "/dev/ttyS01"),
  ],
  [
    "a resync rate above DRBD's",
    "drbd.resyncRate",
    "is outside what DRBD 8.4 accepts",
    (v) => withValue(v, "drbd.resyncRate", "5G"),
  ],
  [
    "a resync rate of zero",
    "drbd.resyncRate",
    "is outside what DRBD 8.4 accepts",
    (v) => withValue(v, "drbd.resyncRate", "0"),
  ],
  [
    "a resource name longer than DRBD's field",
    "drbd.resource",
    "must be at most 127 characters",
    (v) => withValue(v, "drbd.resource", "r".repeat(128)),
  ],
  [
    "a cache larger than squid can read",
    "services.squid.cacheSizeMb",
    "must be at most 2147483647",
    (v) => withValue(v, "services.squid.cacheSizeMb", 2 ** 31),
  ],
  [
    "a zone TTL over 31 bits",
    "services.named.zones[0].ttl",
    "RFC 2181",
    (v) => withValue(v, "services.named.zones", [{ name: "lan.example", ttl: 2 ** 32 }]),
  ],
  [
    "a keepalive in milliseconds written as seconds",
    "heartbeat.keepalive",
    'milliseconds are written "200ms"',
    (v) => withValue(v, "heartbeat.keepalive", 200),
  ],
  [
    "a deadtime of minutes",
    "heartbeat.deadtime",
    "is 1500 s, longer than 300 s",
    (v) => withValue(v, "heartbeat.deadtime", 1500),
  ],
  [
    "an initdead of hours",
    "heartbeat.initdead",
    "longer than 3600 s",
    (v) => withValue(v, "heartbeat.initdead", 7200),
  ],
  [
    "a whole SD card as DRBD disk",
    "nodes[0].drbdDisk",
    "is a whole disk",
    (v) => withValue(v, "nodes[0].drbdDisk", "/dev/mmcblk0"),
  ],
  [
    "a whole disk by id",
    "nodes[0].drbdDisk",
    "is a whole disk",
    (v) => withValue(v, "nodes[0].drbdDisk", "/dev/disk/by-id/ata-WDC_WD10EZEX_WD-WCC3F1234567"),
  ],
  // Path sanity: normal form, no system directory, nothing shell-special.
  [
    "a system folder's child as mount point",
    "drbd.mountPoint",
    "is a system directory",
    (v) => withValue(v, "drbd.mountPoint", "/var/lib"),
  ],
  [
    "the root as mount point",
    "drbd.mountPoint",
    "is a system directory",
    (v) => withValue(v, "drbd.mountPoint", "/"),
  ],
  [
    "a mount point with a trailing slash",
    "drbd.mountPoint",
    "the kernel reads it as /replicated",
    (v) => withValue(v, "drbd.mountPoint", "/replicated/"),
  ],
  [
    "a mount point that normalises to /etc",
    "drbd.mountPoint",
    "normalises to /etc, which is a system directory",
    (v) => withValue(v, "drbd.mountPoint", "/srv/../etc"),
  ],
  [
    "a mount point in a tmpfs",
    "drbd.mountPoint",
    "is under /run, a tmpfs",
    (v) => withValue(v, "drbd.mountPoint", "/run/replicated"),
  ],
  [
    "a mount point with a space",
    "drbd.mountPoint",
    "must be an absolute path such as /replicated",
    (v) => withValue(v, "drbd.mountPoint", "/srv/my volume"),
  ],
  [
    "a name longer than NAME_MAX",
    "drbd.mountPoint",
    "is longer than Linux allows",
    (v) => withValue(v, "drbd.mountPoint", `/${"r".repeat(256)}`),
  ],
  [
    "/var/log moved onto the volume",
    "services.squid.relocate[0].path",
    "is a system directory",
    (v) =>
      withValue(v, "services.squid.relocate", [{ path: "/var/log", owner: "proxy", access: "rw" }]),
  ],
  [
    "heartbeat's configuration moved onto the volume",
    "services.named.relocate[0].path",
    "is heartbeat's configuration (/etc/ha.d)",
    (v) =>
      withValue(v, "services.named.relocate", [{ path: "/etc/ha.d", owner: "root", access: "r" }]),
  ],
  [
    "a relocated path with `..`",
    "services.named.relocate[0].path",
    "the kernel reads it as /var/lib/bind",
    (v) =>
      withValue(v, "services.named.relocate", [
        { path: "/var/cache/../lib/bind", owner: "bind", access: "rw" },
      ]),
  ],
  [
    "a relocation owner with a space",
    "services.squid.relocate[0].owner",
    "must be a user, or user:group",
    (v) =>
      withValue(v, "services.squid.relocate", [
        { path: "/etc/squid", owner: "proxy proxy", access: "r" },
      ]),
  ],
  [
    "a directory as heartbeat's log file",
    "heartbeat.logfile",
    "is a system directory; a directory is not a file",
    (v) => withValue(v, "heartbeat.logfile", "/var/log"),
  ],
  [
    "a disk as heartbeat's log file",
    "heartbeat.debugfile",
    "is under /dev, device nodes",
    (v) => withValue(v, "heartbeat.debugfile", "/dev/sda"),
  ],
  [
    "a log file with a double slash",
    "heartbeat.logfile",
    "the kernel reads it as /var/log/halog",
    (v) => withValue(v, "heartbeat.logfile", "/var//log/halog"),
  ],
  [
    "heartbeat's log on the volume",
    "heartbeat.logfile",
    "is on the replicated volume",
    (v) => withValue(v, "heartbeat.logfile", "/replicated/halog"),
  ],
  [
    "one file for both heartbeat logs",
    "heartbeat.debugfile",
    "is also heartbeat.logfile; logrotate refuses a file listed twice",
    (v) => withValue(v, "heartbeat.debugfile", "/var/log/halog"),
  ],
  [
    "a kernel file as the log to back up",
    "cron.logBackup.source",
    "is under /proc",
    (v) => withValue(v, "cron.logBackup.source", "/proc/kcore"),
  ],
  [
    "a backup folder that climbs off the volume",
    "cron.logBackup.directory",
    "the kernel reads it as /var/backups",
    (v) => withValue(v, "cron.logBackup.directory", "/replicated/../var/backups"),
  ],
  [
    "a DRBD disk that climbs out of /dev",
    "nodes[0].drbdDisk",
    "normalises to /etc/passwd, which is no device",
    (v) => withValue(v, "nodes[0].drbdDisk", "/dev/../etc/passwd"),
  ],
  [
    "a DRBD disk with a double slash",
    "nodes[1].drbdDisk",
    "the kernel reads it as /dev/sda4",
    (v) => withValue(v, "nodes[1].drbdDisk", "/dev//sda4"),
  ],
  [
    "a shell command as split-brain recipient",
    "drbd.splitBrainNotify",
    "through a shell",
    (v) => withValue(v, "drbd.splitBrainNotify", "root; reboot"),
  ],
  [
    "a zone name with an empty label",
    "services.named.zones[0].name",
    "must be a domain name",
    (v) => withValue(v, "services.named.zones", [{ name: "lan..example" }]),
  ],
  [
    "a zone declared twice",
    "services.named.zones[1].name",
    "named refuses a zone declared twice",
    (v) => withValue(v, "services.named.zones", [{ name: "lan.example" }, { name: "LAN.example" }]),
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

  it.each([
    ["a path not in normal form", "drbd.mountPoint", "/replicated//", "/replicated"],
    [
      "a network with host bits set",
      "services.squid.allowFrom[0]",
      ["172.16.250.7/24"],
      "172.16.250.0/24",
    ],
    ["a port that collides", "heartbeat.udpport", 53, "694"],
    ["a time in ms written as seconds", "heartbeat.deadtime", 1500, "1500ms"],
    ["an alias label", "nodes[0].publicInterface", "eth1:0", "eth1"],
  ])("gives the value to write for %s", (_what, key, value, written) => {
    const set = key.replace(/\[0\]$/, "");
    const problem = problemsOf(withValue(prod, set, value)).find((p) => p.key === key);
    expect(problem?.fix).toBe(`pulumi config set --path '${key}' ${written}`);
  });

  it("accepts what only looks like a mistake", () => {
    let fine = withValue(lab, "services.squid.port", 7788); // squid on the VIP, DRBD on the private link
    fine = withValue(fine, "heartbeat.udpport", 7788); // UDP, not TCP
    fine = withValue(fine, "ntpServers", ["169.254.169.123"]); // a cloud's own time service
    fine = withValue(fine, "services.named.forwarders", ["169.254.169.253"]); // and its resolver
    fine = withValue(fine, "nodes[0].privateAddress", "192.168.0.0"); // a /31 has no network address
    fine = withValue(fine, "nodes[1].privateAddress", "192.168.0.1");
    fine = withValue(fine, "nodes[0].privatePrefix", 31);
    fine = withValue(fine, "nodes[1].privatePrefix", 31);
    fine = withValue(fine, "nodes[0].ssh", { host: "127.0.0.1", port: 7788 }); // a tunnel to sshd
    expect(problemsOf(fine)).toEqual([]);
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
