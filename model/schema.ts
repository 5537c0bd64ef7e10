import { CronExpressionParser } from "cron-parser";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { durationUpTo } from "./duration";
import { AddressRole, hostBitsSet, specialUse } from "./ipv4";
import { isUnder, normalFormProblem, normalisedPath, PathRole, pathProblem } from "./paths";

// Field-level rules. Cross-field rules (distinct addresses, timing order...) are in cross-checks.ts.
// A rule that knows the value to write instead passes it as the issue's `params.fix`.

type RefineContext = z.core.$RefinementCtx<string>;

function refuse(ctx: RefineContext, message: string, fix?: string): void {
  ctx.addIssue({ code: "custom", message, ...(fix === undefined ? {} : { params: { fix } }) });
}

const ipv4 = z.ipv4({ error: "must be an IPv4 address such as 192.168.0.1" });

/** An IPv4 address a host can have in `role`: no loopback, multicast... (see ipv4.ts). */
function hostAddress(role: AddressRole) {
  return ipv4.superRefine((address, ctx) => {
    // zod has already refused what is no address at all.
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return;
    const special = specialUse(address, role);
    if (special !== undefined) refuse(ctx, `is ${special}`, "<a host's address>");
  });
}

/** A network: its address with no host bits set, as `ip route` and named require. */
const cidr = z
  .cidrv4({ error: "must be an IPv4 network such as 172.16.0.0/16" })
  .superRefine((text, ctx) => {
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return;
    const network = hostBitsSet(text);
    if (network !== undefined) {
      refuse(
        ctx,
        `has host bits set: it names a host of ${network}, not a network; \`ip route\` and named refuse it, squid silently widens it`,
        network,
      );
    }
  });
const prefix = z.number().int().min(1).max(32);
/**
 * The private link's MTU ceiling. Ethernet has no standard above 1500; jumbo frames are a
 * de-facto extension that most NICs and switch ports cap at 9216 bytes or below. Only virtual
 * links and a few NICs go further, and on the rest `ip link set mtu` fails at boot, leaving
 * the link at 1500 while the peer sends larger frames: DRBD then stalls on every full one.
 */
const jumboMtuMax = 9216;
const port = z.number().int().min(1).max(65535);
const hostName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
    "must be a host name: letters, digits and '-', as `uname -n` prints it",
  );
/** A domain name: dot-separated labels of at most 63 characters, 253 in all (RFC 1035). */
const domainName =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** What is wrong with a host to reach (a domain name, or an address a host can have in `role`). */
function hostProblem(text: string, role: AddressRole, example: string): string | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const special = specialUse(text, role);
    return special === undefined ? undefined : `is ${special}`;
  }
  if (domainName.test(text) || (role === "ssh" && ipaddr.IPv6.isValid(text))) return undefined;
  return `must be a host name or an IPv4 address, such as ${example}`;
}

/** Linux's own rules for an interface name (net/core/dev.c dev_valid_name), and the mistakes `ip` invites. */
const interfaceName = z.string().superRefine((name, ctx) => {
  const [base] = name.split(/[@:]/);
  if (base !== name && base !== "") {
    return name.includes("@")
      ? refuse(
          ctx,
          `is how \`ip link\` shows a veth or VLAN with its peer or parent; the interface is ${base}`,
          base,
        )
      : refuse(
          ctx,
          `is an alias label (ifconfig's eth0:1), not an interface; heartbeat and \`ip link\` need the interface, ${base}`,
          base,
        );
  }
  if (name.length > 15) {
    return refuse(
      ctx,
      `is ${name.length} characters long; a Linux interface name has at most 15 (IFNAMSIZ, 16 bytes with the final NUL)`,
    );
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === "." || name === "..") {
    return refuse(ctx, "must be a network interface name such as eth0 or ens18");
  }
  if (name === "lo") refuse(ctx, "is the loopback interface, which reaches no other host");
});

/** A disk path. Only /dev paths: a file or a mount point here would be written over by DRBD. */
const blockDevice = z.string().superRefine((text, ctx) => {
  if (!/^\/dev\/[A-Za-z0-9._\/-]+$/.test(text)) {
    return refuse(
      ctx,
      "must be an absolute block-device path such as /dev/sdb1 or /dev/disk/by-id/...",
    );
  }
  const normal = normalisedPath(text);
  if (normal === "/dev" || !isUnder(normal, "/dev")) {
    return refuse(ctx, `normalises to ${normal}, which is no device under /dev`, "/dev/sdb1");
  }
  const form = normalFormProblem(text);
  if (form !== undefined) refuse(ctx, form.message, form.fix);
});

/**
 * An absolute path in normal form, clear of the system directories its role could damage (see
 * paths.ts). Letters, digits, `.`, `_`, `-` and `/` only: haresources, the relocation step
 * (`read -r path owner service`) and AppArmor rules take it unquoted.
 */
function absolutePath(role: PathRole, example: string) {
  return z.string().superRefine((text, ctx) => {
    if (!/^\/[A-Za-z0-9._\/-]*$/.test(text)) {
      return refuse(
        ctx,
        `must be an absolute path such as ${example}, of letters, digits, '.', '_', '-' and '/'`,
      );
    }
    const problem = pathProblem(text, role, example);
    if (problem !== undefined) refuse(ctx, problem.message, problem.fix);
  });
}
/** A reason, written by a person, for turning a safety off. Empty strings do not count. */
const waiver = z.string().trim().min(10, "must say why, in at least a few words");
/** A serial line: /dev/ttyS0, ttyUSB0, ttyACM0, ttyAMA0... */
const serialPort = z.string().superRefine((text, ctx) => {
  const match = /^\/dev\/tty([A-Za-z]*)(\d+)$/.exec(text);
  if (!match) return refuse(ctx, "must be a serial device such as /dev/ttyS0");
  const [, driver, index] = match;
  if (driver === "") {
    return refuse(
      ctx,
      "is a virtual console (the screen and keyboard), not a serial line; getty runs there",
      "/dev/ttyS0",
    );
  }
  // The kernel names the device ttyS1, never ttyS01.
  const device = `/dev/tty${driver}${Number(index)}`;
  if (String(Number(index)) !== index) {
    refuse(ctx, `has a leading zero; the device is ${device}`, device);
  }
});

/** DRBD 8.4's device: the kernel refuses a minor above MINORMASK, (1 << 20) - 1 (drbd_nl.c). */
const drbdMinorMax = (1 << 20) - 1;
const drbdDevice = z.string().superRefine((text, ctx) => {
  const match = /^\/dev\/drbd(\d+)$/.exec(text);
  if (!match) return refuse(ctx, "must be /dev/drbdN");
  const minor = Number(match[1]);
  if (String(minor) !== match[1]) {
    return refuse(ctx, `has a leading zero; the device is /dev/drbd${minor}`, `/dev/drbd${minor}`);
  }
  if (minor > drbdMinorMax) {
    refuse(
      ctx,
      `has minor ${minor}; the DRBD 8.4 kernel module refuses minors above ${drbdMinorMax} ("requested minor out of range")`,
      "/dev/drbd0",
    );
  }
});

/**
 * DRBD 8.4's resync-rate: KiB/s, or with K, M, G (powers of 1024), from 1 KiB/s to 4 GiB/s
 * (DRBD_RESYNC_RATE_MIN/MAX in drbd_limits.h).
 */
const resyncRateMaxKib = 4 << 20;
const resyncRate = z.string().superRefine((text, ctx) => {
  const match = /^(\d+)([KMG]?)$/.exec(text);
  if (!match) return refuse(ctx, "must be a rate such as 125M");
  const kib =
    Number(match[1]) *
    ({ "": 1, K: 1, M: 1024, G: 1024 * 1024 } as const)[match[2] as "" | "K" | "M" | "G"];
  if (kib < 1 || kib > resyncRateMaxKib) {
    refuse(
      ctx,
      `is outside what DRBD 8.4 accepts, 1 KiB/s to 4G (${resyncRateMaxKib} KiB/s)`,
      kib < 1 ? "100M" : "4G",
    );
  }
});

const cronSchedule = z.string().superRefine((text, ctx) => {
  const fields = text.trim().split(/\s+/);
  let valid = fields.length === 5;
  if (valid) {
    try {
      CronExpressionParser.parse(text);
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    ctx.addIssue({
      code: "custom",
      message: `is not a cron schedule; write five fields, such as "*/10 * * * *"`,
    });
  }
});

const sshConnection = z.strictObject({
  /** Address or name the program dials. */
  host: z.string().superRefine((host, ctx) => {
    const at = host.lastIndexOf("@");
    const withPort = /^([^:]+):(\d+)$/.exec(host);
    if (at >= 0) {
      refuse(ctx, "holds a user; the user is nodes[i].ssh.user", host.slice(at + 1));
    } else if (withPort) {
      refuse(ctx, "holds a port; the port is nodes[i].ssh.port", withPort[1]);
    } else {
      const problem = hostProblem(host, "ssh", "172.16.250.101");
      if (problem !== undefined) refuse(ctx, problem);
    }
  }),
  /** @default 22 */
  port: port.default(22),
  /** Root, or a user with password-less sudo. @default "root" */
  user: z.string().min(1).default("root"),
  /** The node's SSH host public key (`ssh-ed25519 AAAA...`), pinned. No default. */
  hostKey: z
    .string()
    .regex(
      /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+/,
      "must be a line such as `ssh-ed25519 AAAA...` from /etc/ssh/ssh_host_ed25519_key.pub",
    )
    .optional(),
});

/** What stands in a secret's place wherever the model holds the config: never its value. */
export const secretMarker = "[secret]";

/** A BMC user: IPMI keeps 16 bytes; stonith.cfg separates its fields with blanks. */
const bmcUser = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,16}$/,
    "must be 1 to 16 letters, digits, '.', '_' or '-': IPMI keeps 16 bytes for a user name, and stonith.cfg separates its fields with blanks",
  );

/** The node's out-of-band power control, which its peer fences it through (stonith external/ipmi). */
const bmc = z.strictObject({
  /** The BMC's address on the management network (IPMI over LAN, UDP 623). */
  address: hostAddress("remote"),
  /**
   * The BMC user the peer logs in as, with administrator rights: cluster-glue's external/ipmi
   * passes ipmitool no privilege level, and ipmitool asks for ADMINISTRATOR.
   */
  user: bmcUser,
  /**
   * The BMC password, a secret: `pulumi config set --secret --path 'nodes[i].bmc.password'`.
   * The model holds the marker only; the program reads the value from the engine.
   */
  password: z.string().optional(),
  /** ipmitool's interface: `lanplus` (IPMI 2.0, RMCP+) or `lan` (IPMI 1.5). @default "lanplus" */
  interface: z.enum(["lanplus", "lan"]).default("lanplus"),
  /**
   * The RMCP+ cipher suite (ipmitool -C), for a BMC that does not answer ipmitool's question
   * for its suites (each fencing then waits 10 s for the answer). No default: ipmitool asks.
   */
  cipherSuite: z.number().int().min(0).max(17).optional(),
});

const node = z.strictObject({
  /** The node's name, exactly as `uname -n` prints it: heartbeat and DRBD match on it. */
  name: hostName,
  ssh: sshConnection,
  /** Address on the public LAN. */
  publicAddress: hostAddress("own"),
  /** Interface that carries the public address (and the VIP when this node is primary). */
  publicInterface: interfaceName,
  /** Address on the private replication link. */
  privateAddress: hostAddress("own"),
  /** Prefix length of the private link. @default 24 */
  privatePrefix: prefix
    .max(
      31,
      "must be 31 or less: a /32 holds this node alone and the peer needs an address beside it (a /31 is the smallest point-to-point link, RFC 3021)",
    )
    .default(24),
  /** Name of the private address in /etc/hosts (the original: proxyclint1). */
  privateName: hostName,
  /** Interface of the private replication link. */
  privateInterface: interfaceName,
  /** MTU of the private link. 9000 only if both NICs and the cable take jumbo frames. @default 1500 */
  privateMtu: z
    .number()
    .int()
    .min(576)
    .max(
      jumboMtuMax,
      `must be ${jumboMtuMax} or less: beyond it jumbo frames are not supported by most NICs and switch ports, and the link stays at 1500 while the peer sends larger frames`,
    )
    .default(1500),
  /** Partition DRBD owns on this node. Never the root disk; not in fstab. */
  drbdDisk: blockDevice,
  /** The node's BMC, for stonith.type external/ipmi. No default. */
  bmc: bmc.optional(),
});

const vip = z.strictObject({
  /** The service address clients use. */
  address: hostAddress("own"),
  /** Prefix length of the public LAN. */
  prefix: prefix.max(
    29,
    "must be 29 or less: the public LAN holds the VIP and both nodes, three host addresses, and a /30 has two",
  ),
  /** Name of the VIP in /etc/hosts (the original: proxycluster). @default "hacluster" */
  name: hostName.default("hacluster"),
  /** Interface the VIP is added to. @default the nodes' publicInterface */
  interface: interfaceName.optional(),
});

const heartbeatLink = z.strictObject({
  /** `ucast` to the peer's address, or `bcast` on the interface. */
  type: z.enum(["ucast", "bcast"]),
  /** Which of the node's networks carries it. */
  network: z.enum(["private", "public"]),
});

const heartbeat = z.strictObject({
  /** Time between heartbeats. @default "200ms" */
  keepalive: durationUpTo(
    10_000,
    "heartbeats that far apart leave a lost one unnoticed for minutes",
  ).default(200),
  /** Late-heartbeat warning. @default 1 */
  warntime: durationUpTo(300_000, "it must come before deadtime, itself at most 300 s").default(
    1000,
  ),
  /** A peer silent this long is dead and its resources are taken over. @default 1.5 */
  deadtime: durationUpTo(
    300_000,
    "a cluster that waits minutes before taking over is not highly available",
  ).default(1500),
  /** Deadtime right after heartbeat starts (the network may be slow to come up). @default 20 */
  initdead: durationUpTo(
    3_600_000,
    "a node booting alone would wait that long before serving",
  ).default(20000),
  /** @default 694 */
  udpport: port.default(694),
  /** Move resources back to the preferred primary when it returns. @default false */
  autoFailback: z.boolean().default(false),
  /** Heartbeat paths over the networks. @default ucast on private and on public */
  links: z
    .array(heartbeatLink)
    .min(1)
    .default([
      { type: "ucast", network: "private" },
      { type: "ucast", network: "public" },
    ]),
  /** A null-modem serial line as one more independent path. No default. */
  serial: z
    .strictObject({
      /** @default "/dev/ttyS0" */
      port: serialPort.default("/dev/ttyS0"),
      /** @default 115200 */
      baud: z
        .union([
          z.literal(9600),
          z.literal(19200),
          z.literal(38400),
          z.literal(57600),
          z.literal(115200),
          z.literal(230400),
        ])
        .default(115200),
    })
    .optional(),
  /** Why one heartbeat path is enough here. Required to run with a single path. */
  singlePathWaiver: waiver.optional(),
  /** Addresses that must answer ping for a node to keep resources (ipfail). @default [] */
  pingNodes: z.array(hostAddress("remote")).default([]),
  /** Run ipfail, so a node that loses the ping nodes hands over. @default true when pingNodes is set */
  ipfail: z.boolean().optional(),
  /** @default "/var/log/ha-log" */
  logfile: absolutePath("file", "/var/log/ha-log").default("/var/log/ha-log"),
  /** @default "/var/log/ha-debug" */
  debugfile: absolutePath("file", "/var/log/ha-debug").default("/var/log/ha-debug"),
  /** @default "daemon" */
  logfacility: z
    .enum([
      "daemon",
      "local0",
      "local1",
      "local2",
      "local3",
      "local4",
      "local5",
      "local6",
      "local7",
    ])
    .default("daemon"),
});

const authkeys = z.strictObject({
  /** sha1 only: crc is no authentication, md5 is broken. @default "sha1" */
  method: z.string().default("sha1"),
});

const kernelModule = z.strictObject({
  /** `in-tree` (the kernel's own), `dkms` (a package) or `source` (a pinned tarball). @default "in-tree" */
  mode: z.enum(["in-tree", "dkms", "source"]).default("in-tree"),
  /** Version `modinfo -F version drbd` must start with. @default "8.4" */
  version: z
    .string()
    .regex(/^\d+(\.\d+)*$/, "must be a version such as 8.4")
    .default("8.4"),
  /** The DKMS package (mode dkms). */
  package: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.+-]+$/, "must be a Debian package name")
    .optional(),
  /** Tarball of the DRBD kernel source (mode source). */
  url: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
  /** sha256 of that tarball (mode source). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be 64 hex digits")
    .optional(),
});

const drbd = z.strictObject({
  kernelModule: kernelModule.prefault({}),
  /** @default "r0" */
  resource: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "must be a resource name such as r0")
    .max(127, "must be at most 127 characters: DRBD's netlink field for it holds 128 bytes")
    .default("r0"),
  /** @default "/dev/drbd0" */
  device: drbdDevice.default("/dev/drbd0"),
  /** TCP port of the replication link. @default 7788 */
  port: port.default(7788),
  /** C: a write is done when both disks have it. @default "C" */
  protocol: z.enum(["A", "B", "C"]).default("C"),
  /** Where the primary mounts the volume. @default "/replicated" */
  mountPoint: absolutePath("mount", "/replicated").default("/replicated"),
  /** Filesystem made on the first primary. @default "ext4" */
  filesystem: z.enum(["ext4", "ext3", "xfs"]).default("ext4"),
  /** @default 2048 (DRBD's) */
  maxBuffers: z.number().int().min(32).max(131072).default(2048),
  /** @default 2048 (DRBD's) */
  maxEpochSize: z.number().int().min(1).max(20000).default(2048),
  /** Fixed resync rate (the dynamic controller is turned off). @default "100M" */
  resyncRate: resyncRate.default("100M"),
  /** Seconds between DRBD keep-alives: peer loss must be seen before heartbeat's deadtime. @default 1 */
  pingInt: z.number().int().min(1).max(120).default(1),
  /** Tenths of a second to wait for a keep-alive answer. @default 3 */
  pingTimeout: z.number().int().min(1).max(300).default(3),
  /** Seconds a booting node waits for its peer; 0 waits for ever, at the console. @default 60 */
  bootWaitForPeer: z.number().int().min(0).max(3600).default(60),
  /** The same, when the cluster was already degraded before the reboot. @default 30 */
  bootWaitDegraded: z.number().int().min(0).max(3600).default(30),
  /** Who is mailed on split brain (notify-split-brain.sh). @default "root" */
  splitBrainNotify: z
    .string()
    .regex(
      /^[A-Za-z0-9._%+-]+(@[A-Za-z0-9.-]+)?$/,
      "must be a local user or a mail address such as root or ops@example.org: DRBD runs the split-brain handler through a shell",
    )
    .default("root"),
  /** Disks (`node:/dev/path`) that may be overwritten although blkid finds data on them. @default [] */
  confirmWipe: z
    .array(
      z.string().regex(/^[^:]+:\/dev\/.+$/, "must be node:/dev/path, such as proxycl1:/dev/sdb1"),
    )
    .default([]),
});

const stonith = z.strictObject({
  /** The STONITH plugin. Must be chosen: `none` needs a waiver. */
  type: z.enum(["meatware", "external/ipmi", "external/ssh", "ssh", "suicide", "none"]),
  /** Why the cluster runs with no fencing (type none), or with a testing-only plugin (ssh, external/ssh). */
  waiver: waiver.optional(),
});

const zoneRecord = z.strictObject({
  name: z.string().min(1),
  type: z.enum(["A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR", "SRV"]),
  value: z.string().min(1),
});

const zone = z.strictObject({
  /** Zone name, such as lan.example. */
  name: z
    .string()
    .regex(
      domainName,
      "must be a domain name such as lan.example: labels of letters, digits and '-' between single dots, no final dot",
    ),
  /** @default 3600 */
  ttl: z
    .number()
    .int()
    .min(0)
    .max(2147483647, "must be at most 2147483647 s: RFC 2181 keeps a TTL to 31 bits")
    .default(3600),
  records: z.array(zoneRecord).default([]),
});

const relocatedPath = z.strictObject({
  /** Path on the node that becomes a symlink into the replicated volume. */
  path: absolutePath("moved", "/var/log/squid"),
  /** Owner the service needs on the copy (squid writes its logs as `proxy`). */
  owner: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/,
      "must be a user, or user:group, as chown takes it, such as proxy: the relocation step splits its lines on spaces",
    ),
  /** What the service's AppArmor profile may do there. */
  access: z.enum(["r", "rw"]),
});

const squid = z.strictObject({
  /** Heartbeat runs squid from the VIP. @default true */
  enabled: z.boolean().default(true),
  /** Write squid.conf from the stack; false keeps the admin's own, relocated untouched. @default false */
  manageConfig: z.boolean().default(false),
  /**
   * `enforce` runs squid under Debian's AppArmor profile, which the squid package ships
   * disabled; `as-packaged` leaves the profile as the package left it (squid unconfined).
   * @default "enforce"
   */
  apparmor: z.enum(["enforce", "as-packaged"]).default("enforce"),
  /** @default 3128 */
  port: port.default(3128),
  /** Networks allowed to use the proxy. @default the public LAN */
  allowFrom: z.array(cidr).optional(),
  /** @default 1024 */
  cacheSizeMb: z
    .number()
    .int()
    .min(16)
    .max(
      2147483647,
      "must be at most 2147483647: squid reads the cache_dir size as a 32-bit integer",
    )
    .default(1024),
  /** @default /etc/squid, /var/log/squid, /var/spool/squid */
  relocate: z.array(relocatedPath).default([
    { path: "/etc/squid", owner: "root", access: "r" },
    { path: "/var/log/squid", owner: "proxy", access: "rw" },
    { path: "/var/spool/squid", owner: "proxy", access: "rw" },
  ]),
});

const named = z.strictObject({
  /** Heartbeat runs named from the VIP. @default true */
  enabled: z.boolean().default(true),
  /** Write named.conf from the stack; false keeps the admin's own, relocated untouched. @default false */
  manageConfig: z.boolean().default(false),
  /** Networks allowed to query. @default the public LAN */
  allowFrom: z.array(cidr).optional(),
  /** Upstream resolvers. @default [] (named resolves from the roots) */
  forwarders: z.array(hostAddress("remote")).default([]),
  /** Zones named is master for. @default [] */
  zones: z.array(zone).default([]),
  /** @default /etc/bind, /var/cache/bind, /var/lib/bind */
  relocate: z.array(relocatedPath).default([
    { path: "/etc/bind", owner: "root", access: "r" },
    { path: "/var/cache/bind", owner: "bind", access: "rw" },
    { path: "/var/lib/bind", owner: "bind", access: "rw" },
  ]),
});

const logBackup = z.strictObject({
  /** The rotated log to keep. @default "/var/log/squid/access.log.1" */
  source: absolutePath("file", "/var/log/squid/access.log.1").default(
    "/var/log/squid/access.log.1",
  ),
  /** Where copies go, on the replicated volume. @default "<mountPoint>/home/backup/squid" */
  directory: absolutePath("volume", "/replicated/home/backup/squid").optional(),
  /** When the preferred primary runs it; daily, as Debian rotates squid's log daily. @default "0 5 * * *" */
  primarySchedule: cronSchedule.default("0 5 * * *"),
  /** When the other node runs it (a no-op when the first run worked). @default "0 6 * * *" */
  secondarySchedule: cronSchedule.default("0 6 * * *"),
});

const cron = z.strictObject({
  /** Reconnect a StandAlone DRBD resource. @default "*\/10 * * * *" */
  drbdReconnect: cronSchedule.default("*/10 * * * *"),
  logBackup: logBackup.prefault({}),
});

const logrotate = z.strictObject({
  /** @default "weekly" */
  frequency: z.enum(["daily", "weekly", "monthly"]).default("weekly"),
  /** Rotated heartbeat logs kept. @default 4 */
  rotate: z.number().int().min(1).max(365).default(4),
});

const staticRoute = z.strictObject({
  to: cidr,
  via: hostAddress("remote"),
});

/** One name or address per entry: timesyncd splits its NTP= line on spaces. */
const timeServer = z.string().superRefine((server, ctx) => {
  const problem = hostProblem(server, "remote", "0.debian.pool.ntp.org");
  if (problem !== undefined) refuse(ctx, problem);
});

/** Every `hacluster:` key of a stack, as the program reads it. */
export const stackConfigSchema = z.strictObject({
  /** The two nodes. */
  nodes: z.array(node).length(2, "must list exactly two nodes"),
  /** The node that takes the resources first (haresources names it). Required. */
  preferredPrimary: z.string().min(1),
  /** Bump by one to rotate the heartbeat key: a new one is generated, with no failover. @default 0 */
  authkeysRotation: z.coerce.number().int().min(0).default(0),
  vip: vip,
  heartbeat: heartbeat.prefault({}),
  authkeys: authkeys.prefault({}),
  drbd: drbd.prefault({}),
  stonith: stonith,
  services: z.strictObject({ squid: squid.prefault({}), named: named.prefault({}) }).prefault({}),
  cron: cron.prefault({}),
  logrotate: logrotate.prefault({}),
  /** Routes added at boot on both nodes (the original's ipforward script). @default [] */
  staticRoutes: z.array(staticRoute).default([]),
  /** Time servers for systemd-timesyncd. @default [] (the distribution's pool) */
  ntpServers: z.array(timeServer).default([]),
  /** Why SSH host keys are not checked. Without it every node needs ssh.hostKey. */
  skipHostKeyCheck: waiver.optional(),
});

export type StackConfig = z.output<typeof stackConfigSchema>;
export type NodeConfig = StackConfig["nodes"][number];
export type BmcConfig = NonNullable<NodeConfig["bmc"]>;
export type RelocatedPath = z.output<typeof relocatedPath>;

/** Secret keys of the stack. They are read by the Pulumi program, never by the model. */
export const secretKeys = ["sshPrivateKey", "sshPrivateKeyPassword"] as const;
