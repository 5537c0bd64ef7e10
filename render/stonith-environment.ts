import type { Cluster } from "../model/cluster";

/**
 * What heartbeat's environment must hold for cluster-glue's external/ipmi to hand ipmitool the
 * BMC password as IPMI_PASSWORD (`ipmitool -E`) instead of `-P <password>`, which `ps` shows to
 * every user of the node. The plugin reads its parameters from its environment: stonith.cfg
 * gives the five it names (hostname ipaddr userid passwd interface), and `passwd_method` comes
 * from the environment heartbeat itself was started with, which its plugins inherit (popen in
 * cluster-glue's external.c). Heartbeat runs the plugin wherever it parses ha.cf: at start, on
 * `heartbeat -r` (in that command's own process), and for each fencing.
 */
export const stonithEnvironment = "passwd_method=env";

export const usesIpmi = (cluster: Cluster): boolean =>
  cluster.config.stonith.type === "external/ipmi";

/** The prefix of a command that parses heartbeat's config (`heartbeat -r`). */
export function stonithEnvironmentPrefix(cluster: Cluster): string {
  return usesIpmi(cluster) ? `env ${stonithEnvironment} ` : "";
}

/**
 * After heartbeat's environment files changed: systemd rereads its units, and a heartbeat that
 * runs without the environment is named, since only its next start gives it (a restart moves the
 * resources, which a file step never does on its own).
 */
export function heartbeatEnvironmentHook(): string {
  return [
    "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi",
    `did="read at heartbeat's next start"`,
    "pid=$(cat /var/run/heartbeat.pid 2>/dev/null || true)",
    `if [ -n "$pid" ] && [ -r "/proc/$pid/environ" ] && ! tr '\\0' '\\n' <"/proc/$pid/environ" | grep -qx '${stonithEnvironment}'; then did="$did; heartbeat (pid $pid) runs without it until then, and its fencing hands ipmitool the BMC password on the command line: restart heartbeat on the standby node, hand over, restart the other"; fi`,
  ].join("; ");
}
