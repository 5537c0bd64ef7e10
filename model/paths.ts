/**
 * Path sanity, written once for every path a stack names: the mount point, the relocated
 * folders, the log files. A path the kernel reads differently from how it is written, or one
 * that takes a system directory away from a node, is refused before anything runs.
 */

/** What a path field is for: it decides which system paths it may not touch. */
export type PathRole =
  /** The replicated volume is mounted there (drbd.mountPoint). */
  | "mount"
  /** Moved onto the volume and replaced by a symlink (services.*.relocate[].path). */
  | "moved"
  /** A file written or read on each node (heartbeat's logs, the log backup's source). */
  | "file"
  /** A folder on the replicated volume (cron.logBackup.directory): cross-checks keep it there. */
  | "volume";

/**
 * Directories every node needs from its own disk at every moment. Mounting the volume over one,
 * or moving one onto the volume, hides it on the node that holds the volume and takes it from
 * the other node.
 */
const systemDirectories: readonly string[] = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/etc/apparmor.d",
  "/etc/cron.d",
  "/etc/logrotate.d",
  "/etc/systemd",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/usr/bin",
  "/usr/lib",
  "/usr/libexec",
  "/usr/local",
  "/usr/local/sbin",
  "/usr/sbin",
  "/usr/share",
  "/var",
  "/var/backups",
  "/var/cache",
  "/var/lib",
  "/var/log",
  "/var/mail",
  "/var/spool",
  "/var/tmp",
];

/**
 * Where the cluster's own software keeps each node's own files: not one file under these may
 * move onto the volume, or the node without the volume loses its cluster configuration.
 */
const clusterDirectories: ReadonlyMap<string, string> = new Map([
  ["/etc/ha.d", "heartbeat's configuration"],
  ["/etc/drbd.d", "DRBD's configuration"],
  ["/etc/ssh", "sshd's configuration and host keys"],
  ["/usr/lib/ocf", "heartbeat's resource agents"],
  ["/var/lib/heartbeat", "heartbeat's state"],
  ["/var/lib/drbd", "DRBD's state"],
  ["/var/backups/hacluster", "hacluster's copies of the files it replaced"],
  ["/var/lib/hacluster", "hacluster's record of which version of each step applied what"],
  ["/etc/apparmor.d", "the AppArmor profiles, hacluster's overrides among them"],
  ["/etc/systemd", "systemd's units, hacluster-network.service among them"],
  ["/etc/cron.d", "the cron jobs, hacluster's among them"],
  ["/etc/logrotate.d", "the log rotation, heartbeat's among them"],
  ["/etc/kernel", "the kernel hooks, DRBD's rebuild among them"],
  ["/var/lib/dpkg", "the package database"],
  ["/var/lib/apt", "apt's package lists"],
  ["/etc/ssl", "the certificates every TLS client trusts"],
  ["/etc/passwd", "the node's users"],
  ["/etc/shadow", "the node's passwords"],
  ["/etc/group", "the node's groups"],
  ["/etc/hosts", "the node's names, hacluster's block among them"],
  ["/etc/resolv.conf", "the node's resolver, which hacluster writes"],
]);

/** Trees that are no place for cluster data, and why. */
const volatileTrees: ReadonlyMap<string, string> = new Map([
  ["/proc", "the kernel's own interface: a write there is a command to the kernel"],
  ["/sys", "the kernel's own interface: a write there is a command to the kernel"],
  ["/dev", "device nodes: a write there goes to a disk or a terminal"],
  ["/run", "a tmpfs, emptied at every boot"],
  ["/tmp", "emptied at boot and by systemd-tmpfiles"],
]);

// The kernel's limits (linux/limits.h): NAME_MAX per component, PATH_MAX with the final NUL.
const nameMax = 255;
const pathMax = 4095;

/** `path` with `.`, `..`, repeated and trailing slashes resolved, as the kernel reads it. */
export function normalisedPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** A path not written as the kernel reads it (`/var/log/`, `/var//log`, `/var/../etc`). */
export function normalFormProblem(path: string): PathProblem | undefined {
  const normal = normalisedPath(path);
  return normal === path
    ? undefined
    : {
        message: `is not in normal form: the kernel reads it as ${normal}, and every check and template would compare the one with the other`,
        fix: normal,
      };
}

/** Whether `path` is `dir` or lies below it. Both normalised. */
export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
}

/** What is wrong with an absolute path for its role, with the path to write instead if known. */
export interface PathProblem {
  readonly message: string;
  readonly fix?: string;
}

/**
 * The one path rule: absolute, in normal form, within the kernel's limits, and clear of the
 * system directories its role could damage. `example` is offered where no better path is known.
 */
export function pathProblem(
  path: string,
  role: PathRole,
  example: string,
): PathProblem | undefined {
  const normal = normalisedPath(path);
  const system = systemPathProblem(normal, role);
  if (system !== undefined) {
    const shown = normal === path ? "" : `normalises to ${normal}, which `;
    // A moved folder belongs to one service: only an example fits as the fix.
    const fix = role === "moved" ? `<a folder of the service's own, such as ${example}>` : example;
    return { message: `${shown}${system}`, fix };
  }
  const form = normalFormProblem(path);
  if (form !== undefined) return form;
  const long = normal.split("/").find((part) => part.length > nameMax);
  if (long !== undefined || normal.length > pathMax) {
    return {
      message: `is longer than Linux allows (${nameMax} bytes a name, ${pathMax} a path)`,
      fix: example,
    };
  }
  return undefined;
}

function systemPathProblem(path: string, role: PathRole): string | undefined {
  if (role === "volume") return undefined;
  for (const [tree, why] of volatileTrees) {
    if (path !== tree && isUnder(path, tree)) return `is under ${tree}, ${why}`;
  }
  const system =
    systemDirectories.find((dir) => dir === path) ??
    systemDirectories.find((dir) => isUnder(dir, path));
  if (system !== undefined) {
    const what = system === path ? "is a system directory" : `holds the system directory ${system}`;
    return `${what}; ${consequence[role]}`;
  }
  for (const [dir, what] of clusterDirectories) {
    if (role !== "file" && (isUnder(dir, path) || isUnder(path, dir))) {
      const how = path === dir ? "is" : isUnder(path, dir) ? "is inside" : "holds";
      return `${how} ${what} (${dir}); ${consequence[role]}`;
    }
  }
  return undefined;
}

const consequence: Readonly<Record<Exclude<PathRole, "volume">, string>> = {
  mount: "mounting the volume there hides the node's own files for as long as it holds the volume",
  moved:
    "moved onto the volume, it is gone from the node that does not hold the volume, which then cannot run or take over",
  file: "a directory is not a file",
};
