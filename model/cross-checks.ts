import { addressChecks } from "./address-checks";
import { seconds } from "./duration";
import { inSubnet, networkOf, subnetsOverlap } from "./ipv4";
import { linkChecks } from "./link-checks";
import { isUnder } from "./paths";
import { portChecks } from "./port-checks";
import { stonithChecks } from "./stonith-checks";
import { ConfigProblem, setCommand } from "./problem";
import type { StackConfig } from "./schema";

type Key = keyof StackConfig;

/** A rule over several keys; it runs only when every key it reads parsed on its own. */
export interface CrossCheck {
  readonly needs: readonly Key[];
  readonly check: (cfg: StackConfig) => ConfigProblem[];
}

const nodeNames: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => {
    const problems: ConfigProblem[] = [];
    const seen = new Map<string, string>();
    // Node names first: a clash is blamed on the private name or the VIP name.
    const names: [string, string][] = [
      ...nodes.map((n, i): [string, string] => [`nodes[${i}].name`, n.name]),
      ...nodes.map((n, i): [string, string] => [`nodes[${i}].privateName`, n.privateName]),
      ["vip.name", vip.name],
    ];
    for (const [key, name] of names) {
      const earlier = seen.get(name.toLowerCase());
      if (earlier) {
        problems.push({
          key,
          problem: `"${name}" is already the name of ${earlier}; /etc/hosts needs five distinct names`,
          fix: setCommand(key, "<another name>"),
        });
      } else {
        seen.set(name.toLowerCase(), key);
      }
    }
    return problems;
  },
};

const distinctAddresses: CrossCheck = {
  needs: ["nodes", "vip", "heartbeat"],
  check: ({ nodes, vip, heartbeat }) => {
    const problems: ConfigProblem[] = [];
    const seen = new Map<string, string>();
    const addresses: [string, string][] = [
      ...nodes.flatMap((n, i): [string, string][] => [
        [`nodes[${i}].publicAddress`, n.publicAddress],
        [`nodes[${i}].privateAddress`, n.privateAddress],
      ]),
      ["vip.address", vip.address],
      ...heartbeat.pingNodes.map((a, i): [string, string] => [`heartbeat.pingNodes[${i}]`, a]),
    ];
    for (const [key, address] of addresses) {
      const earlier = seen.get(address);
      if (earlier) {
        const what = key.startsWith("heartbeat.pingNodes")
          ? "a ping node must be a third host (the gateway), never a cluster address"
          : "every node address and the VIP must be distinct";
        problems.push({
          key,
          problem: `${address} is already ${earlier}; ${what}`,
          fix: setCommand(key, "<another address>"),
        });
      } else {
        seen.set(address, key);
      }
    }
    return problems;
  },
};

const publicSubnet: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) =>
    nodes.flatMap((n, i): ConfigProblem[] =>
      inSubnet(n.publicAddress, vip.address, vip.prefix)
        ? []
        : [
            {
              key: "vip.address",
              problem: `${vip.address}/${vip.prefix} is not in the public LAN of ${n.name} (${n.publicAddress}); the VIP must be on the nodes' public subnet or no client can reach it after a failover`,
              fix: `choose a VIP in ${networkOf(n.publicAddress, vip.prefix)}, or correct nodes[${i}].publicAddress or vip.prefix`,
            },
          ],
    ),
};

const privateSubnet: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => {
    const [a, b] = nodes;
    if (a.privatePrefix !== b.privatePrefix) {
      return [
        {
          key: "nodes[1].privatePrefix",
          problem: `${b.privatePrefix} differs from nodes[0].privatePrefix (${a.privatePrefix}); both ends of the private link use one subnet`,
          fix: setCommand("nodes[1].privatePrefix", String(a.privatePrefix)),
        },
      ];
    }
    if (!inSubnet(b.privateAddress, a.privateAddress, a.privatePrefix)) {
      return [
        {
          key: "nodes[1].privateAddress",
          problem: `${b.privateAddress} is not in ${networkOf(a.privateAddress, a.privatePrefix)} with nodes[0].privateAddress (${a.privateAddress}); replication and heartbeat would go through a router or not at all`,
          fix: setCommand(
            "nodes[1].privateAddress",
            "<address in " + networkOf(a.privateAddress, a.privatePrefix) + ">",
          ),
        },
      ];
    }
    return nodes.flatMap((n, i): ConfigProblem[] => {
      const key = `nodes[${i}].privateAddress`;
      const fix = "put the private link on a subnet of its own, such as 192.168.0.0/24";
      if (inSubnet(n.publicAddress, n.privateAddress, n.privatePrefix)) {
        return [
          {
            key,
            problem: `${n.privateAddress}/${n.privatePrefix} contains the public address ${n.publicAddress}; DRBD would resync over the public NIC (the original's 130-hour resync)`,
            fix,
          },
        ];
      }
      // The other way round: the private subnet inside the public LAN takes a part of the LAN
      // away from the nodes (their route to it now leads down the cross-over cable).
      if (subnetsOverlap(n.privateAddress, n.privatePrefix, n.publicAddress, vip.prefix)) {
        return [
          {
            key,
            problem: `${networkOf(n.privateAddress, n.privatePrefix)} lies inside the public LAN ${networkOf(n.publicAddress, vip.prefix)}; the nodes would reach those LAN hosts through the private link, and no longer at all`,
            fix,
          },
        ];
      }
      return [];
    });
  },
};

const preferredPrimary: CrossCheck = {
  needs: ["nodes", "preferredPrimary"],
  check: ({ nodes, preferredPrimary }) =>
    nodes.some((n) => n.name === preferredPrimary)
      ? []
      : [
          {
            key: "preferredPrimary",
            problem: `"${preferredPrimary}" is not one of the nodes (${nodes.map((n) => n.name).join(", ")})`,
            fix: setCommand("preferredPrimary", nodes[0].name),
          },
        ],
};

const timings: CrossCheck = {
  needs: ["heartbeat"],
  check: ({ heartbeat: h }) => {
    const problems: ConfigProblem[] = [];
    if (!(h.keepalive < h.warntime)) {
      problems.push({
        key: "heartbeat.warntime",
        problem: `warntime ${seconds(h.warntime)} is not longer than keepalive ${seconds(h.keepalive)}; every heartbeat would be "late"`,
        fix: setCommand("heartbeat.warntime", String((h.keepalive * 5) / 1000)),
      });
    }
    if (!(h.warntime < h.deadtime)) {
      problems.push({
        key: "heartbeat.deadtime",
        problem: `deadtime ${seconds(h.deadtime)} is not longer than warntime ${seconds(h.warntime)}; a node would be declared dead before any warning`,
        fix: setCommand("heartbeat.deadtime", String((h.warntime * 2) / 1000)),
      });
    }
    if (!(h.initdead >= 2 * h.deadtime)) {
      problems.push({
        key: "heartbeat.initdead",
        problem: `initdead ${seconds(h.initdead)} is less than twice deadtime (${seconds(2 * h.deadtime)}); a peer still booting would be taken for dead`,
        fix: setCommand("heartbeat.initdead", String((2 * h.deadtime) / 1000)),
      });
    }
    return problems;
  },
};

const drbdPeerLoss: CrossCheck = {
  needs: ["heartbeat", "drbd"],
  check: ({ heartbeat, drbd }) => {
    const detectMs = drbd.pingInt * 1000 + drbd.pingTimeout * 100;
    if (detectMs < heartbeat.deadtime) return [];
    const pingInt = Math.max(
      1,
      Math.floor((heartbeat.deadtime - drbd.pingTimeout * 100 - 1) / 1000),
    );
    return [
      {
        key: "drbd.pingInt",
        problem: `DRBD notices a lost peer after ${seconds(detectMs)} (pingInt ${drbd.pingInt} s + pingTimeout ${drbd.pingTimeout / 10} s), not before heartbeat's deadtime ${seconds(heartbeat.deadtime)}; the survivor could not be promoted while DRBD still sees the peer as primary`,
        fix: `${setCommand("drbd.pingInt", String(pingInt))}, or raise heartbeat.deadtime`,
      },
    ];
  },
};

const heartbeatPaths: CrossCheck = {
  needs: ["nodes", "heartbeat"],
  check: ({ nodes, heartbeat }) => {
    const problems: ConfigProblem[] = [];
    for (const node of nodes) {
      const interfaces = new Set(
        heartbeat.links.map((l) =>
          l.network === "private" ? node.privateInterface : node.publicInterface,
        ),
      );
      const paths = interfaces.size + (heartbeat.serial ? 1 : 0);
      if (paths < 2 && heartbeat.singlePathWaiver === undefined) {
        problems.push({
          key: "heartbeat.links",
          problem: `${node.name} has one heartbeat path (${[...interfaces].join(", ")}); when it fails both nodes take the resources (split brain)`,
          fix: `add a link on the other network (pulumi config set --path 'heartbeat.links[${heartbeat.links.length}].type' ucast and '.network' ${heartbeat.links[0]?.network === "private" ? "public" : "private"}), a heartbeat.serial line, or state heartbeat.singlePathWaiver`,
        });
        break;
      }
    }
    return problems;
  },
};

const authkeysMethod: CrossCheck = {
  needs: ["authkeys"],
  check: ({ authkeys }) =>
    authkeys.method === "sha1"
      ? []
      : [
          {
            key: "authkeys.method",
            problem: `"${authkeys.method}" is refused: ${authkeys.method === "crc" ? "crc authenticates nothing" : "md5 is broken"}; heartbeat 3.0.6's strongest is sha1`,
            fix: setCommand("authkeys.method", "sha1"),
          },
        ],
};

const stonithChoice: CrossCheck = {
  needs: ["stonith"],
  check: ({ stonith }) => {
    if (stonith.type === "none" && stonith.waiver === undefined) {
      return [
        {
          key: "stonith.waiver",
          problem: "stonith.type none leaves split brain unfenced and needs a stated reason",
          fix: `${setCommand("stonith.waiver", "<why no fencing is acceptable here>")}, or ${setCommand("stonith.type", "meatware")}`,
        },
      ];
    }
    if (
      (stonith.type === "ssh" || stonith.type === "external/ssh") &&
      stonith.waiver === undefined
    ) {
      return [
        {
          key: "stonith.type",
          problem: `${stonith.type} is for testing only: it reports success when the peer stops answering, the very partition case fencing is for`,
          fix: `${setCommand("stonith.type", "meatware")}, or state why with stonith.waiver`,
        },
      ];
    }
    return [];
  },
};

/** Kernel names of whole disks, and udev's by-id names of them (a partition ends in -partN). */
const wholeDisk =
  /^\/dev\/((sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)|disk\/by-id\/(ata|scsi|nvme|usb|wwn|virtio|mmc)-(?!.*-part\d+$).+)$/;

function partitionOf(disk: string, n: number): string {
  if (disk.startsWith("/dev/disk/")) return `${disk}-part${n}`;
  return `${disk}${/\d$/.test(disk) ? "p" : ""}${n}`;
}

const drbdDisks: CrossCheck = {
  needs: ["nodes", "drbd"],
  check: ({ nodes, drbd }) => {
    const problems: ConfigProblem[] = [];
    for (const [i, node] of nodes.entries()) {
      if (/^\/dev\/drbd\d+$/.test(node.drbdDisk)) {
        problems.push({
          key: `nodes[${i}].drbdDisk`,
          problem: `${node.drbdDisk} is a DRBD device; the backing disk is the partition under it`,
          fix: setCommand(`nodes[${i}].drbdDisk`, "/dev/sdb1"),
        });
      } else if (wholeDisk.test(node.drbdDisk)) {
        problems.push({
          key: `nodes[${i}].drbdDisk`,
          problem: `${node.drbdDisk} is a whole disk, which holds the partition table and usually the system; DRBD takes one spare partition`,
          fix: setCommand(`nodes[${i}].drbdDisk`, partitionOf(node.drbdDisk, 4)),
        });
      }
    }
    for (const [i, entry] of drbd.confirmWipe.entries()) {
      const [name, disk] = [
        entry.slice(0, entry.indexOf(":")),
        entry.slice(entry.indexOf(":") + 1),
      ];
      const node = nodes.find((n) => n.name === name);
      if (!node || node.drbdDisk !== disk) {
        problems.push({
          key: `drbd.confirmWipe[${i}]`,
          problem: `"${entry}" names no node's drbdDisk (${nodes.map((n) => `${n.name}:${n.drbdDisk}`).join(", ")}); a confirmation must name exactly the disk to wipe`,
          fix: `pulumi config rm --path 'drbd.confirmWipe[${i}]'`,
        });
      }
    }
    return problems;
  },
};

const replicatedLayout: CrossCheck = {
  needs: ["drbd", "services", "cron"],
  check: ({ drbd, services, cron }) => {
    const problems: ConfigProblem[] = [];
    const mount = drbd.mountPoint;
    const all = [
      ...services.squid.relocate.map((r, i) => ({
        key: `services.squid.relocate[${i}].path`,
        path: r.path,
      })),
      ...services.named.relocate.map((r, i) => ({
        key: `services.named.relocate[${i}].path`,
        path: r.path,
      })),
    ];
    for (const [i, a] of all.entries()) {
      if (isUnder(a.path, mount) || isUnder(mount, a.path)) {
        problems.push({
          key: a.key,
          problem: `${a.path} overlaps the mount point ${mount}; a relocated path must live outside it`,
          fix: setCommand(a.key, "<a path such as /etc/squid>"),
        });
      }
      for (const b of all.slice(i + 1)) {
        if (isUnder(a.path, b.path) || isUnder(b.path, a.path)) {
          problems.push({
            key: b.key,
            problem: `${b.path} overlaps ${a.path} (${a.key}); each relocated path is copied and linked once`,
            fix: `pulumi config rm --path '${b.key.replace(/\.path$/, "")}'`,
          });
        }
      }
    }
    const backup = cron.logBackup.directory;
    if (backup !== undefined && !isUnder(backup, mount)) {
      problems.push({
        key: "cron.logBackup.directory",
        problem: `${backup} is not on the replicated volume (${mount}); a backup there is lost at the next failover`,
        fix: setCommand("cron.logBackup.directory", `${mount}/home/backup/squid`),
      });
    }
    return problems;
  },
};

// Heartbeat writes its logs on both nodes, all the time. logrotate refuses a file listed twice
// ("duplicate log entry") and with it the whole stanza; a log on the volume is written under
// the bare mount point on the node without it, and hidden there when the volume comes.
const heartbeatLogs: CrossCheck = {
  needs: ["heartbeat", "drbd", "services"],
  check: ({ heartbeat, drbd, services }) => {
    const problems: ConfigProblem[] = [];
    if (heartbeat.logfile === heartbeat.debugfile) {
      problems.push({
        key: "heartbeat.debugfile",
        problem: `${heartbeat.debugfile} is also heartbeat.logfile; logrotate refuses a file listed twice, and rotates neither`,
        fix: setCommand("heartbeat.debugfile", "/var/log/ha-debug"),
      });
    }
    const volume = [
      { dir: drbd.mountPoint, what: `the replicated volume (${drbd.mountPoint})` },
      ...[...services.squid.relocate, ...services.named.relocate].map((r) => ({
        dir: r.path,
        what: `${r.path}, which is moved onto the replicated volume`,
      })),
    ];
    for (const key of ["logfile", "debugfile"] as const) {
      const on = volume.find((v) => isUnder(heartbeat[key], v.dir));
      if (on !== undefined) {
        problems.push({
          key: `heartbeat.${key}`,
          problem: `${heartbeat[key]} is on ${on.what}; heartbeat logs on both nodes, and the node without the volume would write under the bare mount point`,
          fix: setCommand(
            `heartbeat.${key}`,
            key === "logfile" ? "/var/log/ha-log" : "/var/log/ha-debug",
          ),
        });
      }
    }
    return problems;
  },
};

// DNS names ignore case: named refuses a zone declared twice as lab.example and LAB.example.
const zoneNames: CrossCheck = {
  needs: ["services"],
  check: ({ services }) =>
    services.named.zones.flatMap((zone, i): ConfigProblem[] => {
      const first = services.named.zones.findIndex(
        (z) => z.name.toLowerCase() === zone.name.toLowerCase(),
      );
      return first === i
        ? []
        : [
            {
              key: `services.named.zones[${i}].name`,
              problem: `${zone.name} is already services.named.zones[${first}]; named refuses a zone declared twice`,
              fix: `pulumi config rm --path 'services.named.zones[${i}]'`,
            },
          ];
    }),
};

const kernelModule: CrossCheck = {
  needs: ["drbd"],
  check: ({ drbd: { kernelModule: m } }) => {
    const missing =
      m.mode === "dkms"
        ? (["package"] as const).filter((k) => m[k] === undefined)
        : m.mode === "source"
          ? (["url", "sha256"] as const).filter((k) => m[k] === undefined)
          : [];
    return missing.map((k) => ({
      key: `drbd.kernelModule.${k}`,
      problem: `is required with drbd.kernelModule.mode ${m.mode}`,
      fix: setCommand(
        `drbd.kernelModule.${k}`,
        k === "package" ? "drbd-dkms" : k === "url" ? "https://..." : "<sha256 of the tarball>",
      ),
    }));
  },
};

export const crossChecks: readonly CrossCheck[] = [
  kernelModule,
  nodeNames,
  distinctAddresses,
  publicSubnet,
  privateSubnet,
  preferredPrimary,
  timings,
  drbdPeerLoss,
  heartbeatPaths,
  authkeysMethod,
  stonithChoice,
  drbdDisks,
  replicatedLayout,
  heartbeatLogs,
  zoneNames,
  ...addressChecks,
  ...portChecks,
  ...linkChecks,
  ...stonithChecks,
];
