import type { Cluster } from "../model/cluster";

/**
 * What heartbeat's environment must hold for cluster-glue's external/ipmi to hand ipmitool the
 * BMC password as IPMI_PASSWORD (`ipmitool -E`) instead of `-P <password>`, which `ps` shows to
 * every user of the node. The plugin reads its parameters from its environment: the ipmi
 * stonith file gives the five it names (hostname ipaddr userid passwd interface), and
 * `passwd_method` comes from the environment heartbeat itself was started with, which its
 * plugins inherit (popen in cluster-glue's external.c). Heartbeat runs the plugin wherever it
 * parses ha.cf: at start, on `heartbeat -r` (in that command's own process, and again in the
 * running daemon, which re-executes itself keeping the environment it was started with), and
 * for each fencing.
 */
export const stonithEnvironment = "passwd_method=env";

export const usesIpmi = (cluster: Cluster): boolean =>
  cluster.config.stonith.type === "external/ipmi";

/**
 * Sets `pid` to the running heartbeat's, and `env_ok` to yes or no as its environment holds
 * passwd_method=env, or to unknown. Heartbeat pads the number in its pid file with blanks
 * (`"        27"`): `read` drops them, where `$(cat ...)` would name no /proc entry at all.
 * Heartbeat's own /proc/PID/environ is no witness: it writes its process title over that memory
 * (`heartbeat: master control process`), so it reads blank whatever heartbeat holds. The
 * programs it starts get its environment, with its `HA_` settings added: the clients ha.cf
 * respawns (dopd, always in ours; ipfail), the resource scripts. Those that run are read.
 */
const readRunningEnvironment = `pid=''
{ read -r pid </var/run/heartbeat.pid; } 2>/dev/null || true
env_ok=unknown
case "$pid" in
  ''|*[!0-9]*) ;;
  *)
    for proc in /proc/[0-9]*; do
      [ "$(sed -n 's/^PPid:[[:blank:]]*//p' "$proc/status" 2>/dev/null)" = "$pid" ] || continue
      started=$(tr '\\0' '\\n' 2>/dev/null <"$proc/environ") || continue
      printf '%s\\n' "$started" | grep -q '^HA_' || continue
      if printf '%s\\n' "$started" | grep -qx '${stonithEnvironment}'; then
        [ "$env_ok" = no ] || env_ok=yes
      else
        env_ok=no
      fi
    done
    ;;
esac`;

/**
 * The exact way to give a running heartbeat its environment without a failover that loses
 * anything.
 */
const restartAdvice =
  "restart heartbeat on the standby node (systemctl restart heartbeat), run /usr/share/heartbeat/hb_standby on the node that holds the services so that the standby node takes them, restart heartbeat on that node too, then run pulumi up again";

/** Exits, saying why, unless the running heartbeat holds the plugin's environment. */
const environmentRefusal = `${readRunningEnvironment}
if [ "$env_ok" != yes ]; then
  if [ "$env_ok" = no ]; then
    why="heartbeat (pid $pid) runs without ${stonithEnvironment} in its environment (it was started before the switch to external/ipmi)"
  else
    why="heartbeat runs, but whether its environment holds ${stonithEnvironment} cannot be told (its pid file /var/run/heartbeat.pid names \${pid:-no process}, and no program it started, such as dopd, shows its environment)"
  fi
  echo "hacluster: $(uname -n): $why; reloading it into external/ipmi would hand ipmitool the BMC password on its command line (-P, which ps shows), so nothing was reloaded. Fix: ${restartAdvice}" >&2
  exit 1
fi`;

/**
 * The reread of a heartbeat file in a cluster fenced through BMCs. `heartbeat -r` makes the
 * running daemon re-execute itself with the environment it was started with: one started
 * before the switch to external/ipmi would run ipmitool with the password on its command line.
 * Such a heartbeat is refused before anything reloads it, and so is one whose environment
 * cannot be told (no pid, no program of its own that shows it): the step fails, the file
 * written, nothing reloaded, and the reread is tried again by the next `pulumi up`. The refusal
 * starts with `hacluster: `: the RemoteFile provider shows such lines even for a file holding a
 * secret, whose other output it withholds.
 */
export function ipmiHeartbeatReload(
  reload = `env ${stonithEnvironment} /usr/libexec/heartbeat/heartbeat -r >/dev/null`,
): string {
  return `if /usr/libexec/heartbeat/heartbeat -s >/dev/null 2>&1; then
${environmentRefusal}
${reload}
did="heartbeat reloaded"
fi`;
}

/**
 * The same refusal alone, where heartbeat is known to run, before a step changes anything: an
 * authkeys sign stage runs it before it waits for its moment to switch, so that the switch itself
 * is only a signal.
 */
export const ipmiEnvironmentRefusal = environmentRefusal;

/**
 * The signal `heartbeat -r` sends the running daemon once it has parsed every config file, sent
 * at once: on a slow node that parsing took 2 to 3 s, a varying delay that would part the two
 * nodes' switches of signing key. Only to a process named heartbeat, the one its pid file names.
 */
export const heartbeatHangup = `pid=''
{ read -r pid </var/run/heartbeat.pid; } 2>/dev/null || true
case "$pid" in
  ''|*[!0-9]*) ;;
  *) if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = heartbeat ] && kill -HUP "$pid" 2>/dev/null; then did="heartbeat reloaded"; fi ;;
esac
if [ "$did" != "heartbeat reloaded" ] && pgrep -x heartbeat >/dev/null; then
  echo "hacluster: heartbeat runs on $(uname -n) but its pid file /var/run/heartbeat.pid names \${pid:-no process}: it was not told to reread its keys. Look at the file, then run pulumi up again" >&2
  exit 1
fi`;

/**
 * After heartbeat's environment files changed: systemd rereads its units, and a heartbeat that
 * runs without the environment is named, since only its next start gives it (a restart moves the
 * resources, which a file step never does on its own). Its next reload is refused until then.
 */
export function heartbeatEnvironmentHook(): string {
  return `if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
did="read at heartbeat's next start"
${readRunningEnvironment}
if [ "$env_ok" = no ]; then
  did="$did; heartbeat (pid $pid) runs without it until then, and its next reload is refused: ${restartAdvice}"
fi`;
}

/** After heartbeat's systemd drop-in is gone: systemd forgets it before heartbeat's next start. */
export const heartbeatEnvironmentRemoved =
  "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi";
