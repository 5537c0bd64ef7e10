import type { Cluster } from "../model/cluster";
import { usesIpmi } from "./stonith-environment";

/**
 * The STONITH plugin's config file, one path per kind of plugin. external/ipmi's holds the
 * peer's BMC password and has a path of its own, so that ha.cf switches plugin and file in one
 * write: heartbeat never parses one plugin's file with the other plugin (meatware would log the
 * IPMI line, password and all; external/ipmi refuses meatware's, and every reload with it).
 */
export const stonithConfigPaths = {
  /** meatware, suicide, ssh, external/ssh: the peer's name. */
  plain: "/etc/ha.d/stonith.cfg",
  /** external/ipmi: the peer's BMC, its password included. */
  ipmi: "/etc/ha.d/stonith-ipmi.cfg",
} as const;

/** The file ha.cf's `stonith` line names. */
export function stonithConfigPath(cluster: Cluster): string {
  return usesIpmi(cluster) ? stonithConfigPaths.ipmi : stonithConfigPaths.plain;
}
