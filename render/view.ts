import { createHash } from "node:crypto";
import type { Cluster, ClusterNode } from "../model/cluster";
import { haTime, seconds } from "../model/duration";
import type { RelocatedPath } from "../model/schema";
import type { AuthkeysSecret } from "./node-file";

/**
 * Everything a template may ask about one node of the cluster, with the decisions made here
 * (link lines, rule lists), so that templates hold no logic beyond loops.
 */
export function nodeView(cluster: Cluster, node: ClusterNode, authkeys: AuthkeysSecret) {
  const { config } = cluster;
  const { heartbeat, drbd, services, stonith } = config;
  const mount = drbd.mountPoint;
  return {
    ...config,
    ...node,
    stack: cluster.stack,
    comment: "#",
    nodes: cluster.nodes,
    primary: cluster.primary,
    keepaliveText: haTime(heartbeat.keepalive),
    warntimeText: haTime(heartbeat.warntime),
    deadtimeText: haTime(heartbeat.deadtime),
    initdeadText: haTime(heartbeat.initdead),
    deadtimeSeconds: seconds(heartbeat.deadtime),
    autoFailbackText: heartbeat.autoFailback ? "on" : "off",
    links: heartbeat.links.map((link) => {
      const iface = link.network === "private" ? node.privateInterface : node.publicInterface;
      const peerAddress =
        link.network === "private" ? node.peer.privateAddress : node.peer.publicAddress;
      return { line: link.type === "ucast" ? `ucast ${iface} ${peerAddress}` : `bcast ${iface}` };
    }),
    ipfail: cluster.ipfail,
    stonithEnabled: stonith.type !== "none",
    vipSpec: [config.vip.address, config.vip.prefix, cluster.vipInterface]
      .filter((part) => part !== undefined)
      .join("/"),
    servicesList: cluster.services.join(" "),
    logBackupDirectory: cluster.logBackupDirectory,
    ntpServersText: config.ntpServers.join(" "),
    namedRules: apparmorRules(mount, services.named.relocate),
    squidRules: apparmorRules(mount, services.squid.relocate),
    squidAllowFrom: cluster.squidAllowFrom,
    namedAllowFrom: cluster.namedAllowFrom,
    hasForwarders: services.named.forwarders.length > 0,
    authkeys: {
      signing: authkeys.signing,
      keys: authkeys.keys.map((k) => ({ ...k, method: config.authkeys.method })),
    },
  };
}

/** Rules for /etc/apparmor.d/local/<profile>: the service may use its relocated copies. */
function apparmorRules(mount: string, paths: readonly RelocatedPath[]): string[] {
  return paths.flatMap((p) =>
    p.access === "rw"
      ? [`${mount}${p.path}/ rw,`, `${mount}${p.path}/** rwlk,`]
      : [`${mount}${p.path}/ r,`, `${mount}${p.path}/** r,`],
  );
}

/** A zone with its SOA serial taken from its content: a change gives a new serial. */
export function zoneView(zone: Cluster["config"]["services"]["named"]["zones"][number]) {
  const digest = createHash("sha256").update(JSON.stringify(zone)).digest();
  return { ...zone, serial: digest.readUInt32BE(0) % 2147483647 };
}
