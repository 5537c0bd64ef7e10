import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { duration } from "./duration";

// Field-level rules. Cross-field rules (distinct addresses, timing order...) are in cross-checks.ts.

const ipv4 = z.ipv4({ error: "must be an IPv4 address such as 192.168.0.1" });
const cidr = z.cidrv4({ error: "must be an IPv4 network such as 172.16.0.0/16" });
const prefix = z.number().int().min(1).max(32);
const port = z.number().int().min(1).max(65535);
const hostName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
    "must be a host name: letters, digits and '-', as `uname -n` prints it",
  );
const interfaceName = z
  .string()
  .regex(/^[a-zA-Z0-9_.:-]{1,15}$/, "must be a network interface name such as eth0 or ens18");
/** A disk path. Only /dev paths: a file or a mount point here would be written over by DRBD. */
const blockDevice = z
  .string()
  .regex(
    /^\/dev\/[A-Za-z0-9._\/-]+$/,
    "must be an absolute block-device path such as /dev/sdb1 or /dev/disk/by-id/...",
  );
const absolutePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._\/-]*$/, "must be an absolute path such as /var/log/squid");
/** A reason, written by a person, for turning a safety off. Empty strings do not count. */
const waiver = z.string().trim().min(10, "must say why, in at least a few words");
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
      message: `"${text}" is not a cron schedule; write five fields, such as "*/10 * * * *"`,
    });
  }
});

const sshConnection = z.strictObject({
  /** Address or name the program dials. */
  host: z.string().min(1),
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

const node = z.strictObject({
  /** The node's name, exactly as `uname -n` prints it: heartbeat and DRBD match on it. */
  name: hostName,
  ssh: sshConnection,
  /** Address on the public LAN. */
  publicAddress: ipv4,
  /** Interface that carries the public address (and the VIP when this node is primary). */
  publicInterface: interfaceName,
  /** Address on the private replication link. */
  privateAddress: ipv4,
  /** Prefix length of the private link. @default 24 */
  privatePrefix: prefix.default(24),
  /** Name of the private address in /etc/hosts (the original: proxyclint1). */
  privateName: hostName,
  /** Interface of the private replication link. */
  privateInterface: interfaceName,
  /** MTU of the private link. 9000 only if both NICs and the cable take jumbo frames. @default 1500 */
  privateMtu: z.number().int().min(576).max(65535).default(1500),
  /** Partition DRBD owns on this node. Never the root disk; not in fstab. */
  drbdDisk: blockDevice,
});

const vip = z.strictObject({
  /** The service address clients use. */
  address: ipv4,
  /** Prefix length of the public LAN. */
  prefix: prefix,
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
  keepalive: duration.default(200),
  /** Late-heartbeat warning. @default 1 */
  warntime: duration.default(1000),
  /** A peer silent this long is dead and its resources are taken over. @default 1.5 */
  deadtime: duration.default(1500),
  /** Deadtime right after heartbeat starts (the network may be slow to come up). @default 20 */
  initdead: duration.default(20000),
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
      port: z
        .string()
        .regex(/^\/dev\/tty[A-Za-z0-9]+$/, "must be a serial device such as /dev/ttyS0")
        .default("/dev/ttyS0"),
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
  pingNodes: z.array(ipv4).default([]),
  /** Run ipfail, so a node that loses the ping nodes hands over. @default true when pingNodes is set */
  ipfail: z.boolean().optional(),
  /** @default "/var/log/ha-log" */
  logfile: absolutePath.default("/var/log/ha-log"),
  /** @default "/var/log/ha-debug" */
  debugfile: absolutePath.default("/var/log/ha-debug"),
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
    .default("r0"),
  /** @default "/dev/drbd0" */
  device: z
    .string()
    .regex(/^\/dev\/drbd\d+$/, "must be /dev/drbdN")
    .default("/dev/drbd0"),
  /** TCP port of the replication link. @default 7788 */
  port: port.default(7788),
  /** C: a write is done when both disks have it. @default "C" */
  protocol: z.enum(["A", "B", "C"]).default("C"),
  /** Where the primary mounts the volume. @default "/replicated" */
  mountPoint: absolutePath.default("/replicated"),
  /** Filesystem made on the first primary. @default "ext4" */
  filesystem: z.enum(["ext4", "ext3", "xfs"]).default("ext4"),
  /** @default 2048 (DRBD's) */
  maxBuffers: z.number().int().min(32).max(131072).default(2048),
  /** @default 2048 (DRBD's) */
  maxEpochSize: z.number().int().min(1).max(20000).default(2048),
  /** Fixed resync rate (the dynamic controller is turned off). @default "100M" */
  resyncRate: z
    .string()
    .regex(/^\d+[KMG]?$/, "must be a rate such as 125M")
    .default("100M"),
  /** Seconds between DRBD keep-alives: peer loss must be seen before heartbeat's deadtime. @default 1 */
  pingInt: z.number().int().min(1).max(120).default(1),
  /** Tenths of a second to wait for a keep-alive answer. @default 3 */
  pingTimeout: z.number().int().min(1).max(300).default(3),
  /** Seconds a booting node waits for its peer; 0 waits for ever, at the console. @default 60 */
  bootWaitForPeer: z.number().int().min(0).max(3600).default(60),
  /** The same, when the cluster was already degraded before the reboot. @default 30 */
  bootWaitDegraded: z.number().int().min(0).max(3600).default(30),
  /** Who is mailed on split brain (notify-split-brain.sh). @default "root" */
  splitBrainNotify: z.string().min(1).default("root"),
  /** Disks (`node:/dev/path`) that may be overwritten although blkid finds data on them. @default [] */
  confirmWipe: z
    .array(
      z.string().regex(/^[^:]+:\/dev\/.+$/, "must be node:/dev/path, such as proxycl1:/dev/sdb1"),
    )
    .default([]),
});

const stonith = z.strictObject({
  /** The STONITH plugin. Must be chosen: `none` needs a waiver. */
  type: z.enum(["meatware", "external/ssh", "ssh", "suicide", "none"]),
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
  name: z.string().regex(/^[A-Za-z0-9.-]+$/, "must be a domain name"),
  /** @default 3600 */
  ttl: z.number().int().min(0).default(3600),
  records: z.array(zoneRecord).default([]),
});

const relocatedPath = z.strictObject({
  /** Path on the node that becomes a symlink into the replicated volume. */
  path: absolutePath,
  /** Owner the service needs on the copy (squid writes its logs as `proxy`). */
  owner: z.string().min(1),
  /** What the service's AppArmor profile may do there. */
  access: z.enum(["r", "rw"]),
});

const squid = z.strictObject({
  /** Heartbeat runs squid from the VIP. @default true */
  enabled: z.boolean().default(true),
  /** Write squid.conf from the stack; false keeps the admin's own, relocated untouched. @default false */
  manageConfig: z.boolean().default(false),
  /** @default 3128 */
  port: port.default(3128),
  /** Networks allowed to use the proxy. @default the public LAN */
  allowFrom: z.array(cidr).optional(),
  /** @default 1024 */
  cacheSizeMb: z.number().int().min(16).default(1024),
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
  forwarders: z.array(ipv4).default([]),
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
  source: absolutePath.default("/var/log/squid/access.log.1"),
  /** Where copies go, on the replicated volume. @default "<mountPoint>/home/backup/squid" */
  directory: absolutePath.optional(),
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
  via: ipv4,
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
  ntpServers: z.array(z.string().min(1)).default([]),
  /** Why SSH host keys are not checked. Without it every node needs ssh.hostKey. */
  skipHostKeyCheck: waiver.optional(),
});

export type StackConfig = z.output<typeof stackConfigSchema>;
export type NodeConfig = StackConfig["nodes"][number];
export type RelocatedPath = z.output<typeof relocatedPath>;

/** Secret keys of the stack. They are read by the Pulumi program, never by the model. */
export const secretKeys = ["sshPrivateKey", "sshPrivateKeyPassword"] as const;
