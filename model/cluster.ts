import * as ipaddr from "ipaddr.js";
import type { NodeConfig, RelocatedPath, StackConfig } from "./schema";

/** The services heartbeat runs from the VIP, in the order it starts them. */
export type ServiceName = "named" | "squid";

/** A node with what the templates ask about it answered once: its peer, its role, its schedules. */
export interface ClusterNode extends NodeConfig {
  readonly peer: NodeConfig;
  /** Takes the resources first (haresources names it). */
  readonly preferred: boolean;
  /** When this node runs the log backup: the preferred primary first, the other an hour later. */
  readonly logBackupSchedule: string;
}

/** The validated stack, resolved: every default that depends on another key is filled in here. */
export interface Cluster {
  readonly stack: string;
  readonly config: StackConfig;
  readonly nodes: readonly [ClusterNode, ClusterNode];
  readonly primary: ClusterNode;
  /** The public LAN as a CIDR, from the VIP and its prefix. */
  readonly publicNetwork: string;
  /** The interface IPaddr2 adds the VIP to, or undefined to let it pick by subnet. */
  readonly vipInterface: string | undefined;
  readonly ipfail: boolean;
  /** The enabled services, in start order. */
  readonly services: readonly ServiceName[];
  /** Every path moved onto the replicated volume, with the enabled service it belongs to. */
  readonly relocations: readonly (RelocatedPath & { readonly service: ServiceName })[];
  readonly squidAllowFrom: readonly string[];
  /** squid runs under Debian's AppArmor profile, enabled by the program (services.squid.apparmor). */
  readonly squidConfined: boolean;
  readonly namedAllowFrom: readonly string[];
  readonly logBackupDirectory: string;
}

export function describeCluster(stack: string, config: StackConfig): Cluster {
  const [a, b] = config.nodes;
  const preferredName = config.preferredPrimary;
  const { logBackup } = config.cron;
  const node = (self: NodeConfig, peer: NodeConfig): ClusterNode => ({
    ...self,
    peer,
    preferred: self.name === preferredName,
    logBackupSchedule:
      self.name === preferredName ? logBackup.primarySchedule : logBackup.secondarySchedule,
  });
  const nodes = [node(a, b), node(b, a)] as const;
  const publicNetwork = `${ipaddr.IPv4.networkAddressFromCIDR(`${config.vip.address}/${config.vip.prefix}`).toString()}/${config.vip.prefix}`;
  const services = (["named", "squid"] as const).filter((s) => config.services[s].enabled);
  return {
    stack,
    config,
    nodes,
    primary: nodes[0].preferred ? nodes[0] : nodes[1],
    publicNetwork,
    vipInterface:
      config.vip.interface ??
      (a.publicInterface === b.publicInterface ? a.publicInterface : undefined),
    ipfail: config.heartbeat.ipfail ?? config.heartbeat.pingNodes.length > 0,
    services,
    relocations: services.flatMap((service) =>
      config.services[service].relocate.map((r) => ({ ...r, service })),
    ),
    squidAllowFrom: config.services.squid.allowFrom ?? [publicNetwork],
    squidConfined: config.services.squid.enabled && config.services.squid.apparmor === "enforce",
    namedAllowFrom: config.services.named.allowFrom ?? [publicNetwork],
    logBackupDirectory: logBackup.directory ?? `${config.drbd.mountPoint}/home/backup/squid`,
  };
}
