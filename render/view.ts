import { createHash } from "node:crypto";
import type { Cluster, ClusterNode } from "../model/cluster";
import { haTime } from "../model/duration";
import type { RelocatedPath } from "../model/schema";
import { bmcPasswordPlaceholder } from "./engine-secret";
import type { AuthkeysSecret } from "./node-file";
import { stonithConfigPath } from "./stonith-config";
import { stonithEnvironment, usesIpmi } from "./stonith-environment";

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
    autoFailbackText: heartbeat.autoFailback ? "on" : "off",
    links: heartbeat.links.map((link) => {
      const iface = link.network === "private" ? node.privateInterface : node.publicInterface;
      const peerAddress =
        link.network === "private" ? node.peer.privateAddress : node.peer.publicAddress;
      return { line: link.type === "ucast" ? `ucast ${iface} ${peerAddress}` : `bcast ${iface}` };
    }),
    ipfail: cluster.ipfail,
    stonithEnabled: stonith.type !== "none",
    // Only a real power switch makes a lost node's late writes provably unseen by clients.
    fencedPrimaryYields: stonith.type === "external/ipmi",
    stonithIpmi: usesIpmi(cluster) ? ipmiView(cluster, node) : false,
    stonithConfigPath: stonithConfigPath(cluster),
    stonithEnvironment,
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

/**
 * The peer's BMC as stonith-ipmi.cfg names it. The password's place holds the placeholder: the
 * program writes the secret there when it applies the file (render/engine-secret.ts).
 */
function ipmiView(cluster: Cluster, node: ClusterNode) {
  const peerIndex = cluster.nodes.findIndex((n) => n.name === node.peer.name);
  const bmc = node.peer.bmc;
  if (bmc === undefined) throw new Error(`${node.peer.name} has no BMC for external/ipmi`);
  return {
    address: bmc.address,
    user: bmc.user,
    password: bmcPasswordPlaceholder,
    passwordKey: `nodes[${peerIndex}].bmc.password`,
    // The last parameter takes the rest of the line, and the plugin splits it into ipmitool's
    // options: the cipher suite travels there.
    interfaceText:
      bmc.cipherSuite === undefined ? bmc.interface : `${bmc.interface} -C ${bmc.cipherSuite}`,
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
