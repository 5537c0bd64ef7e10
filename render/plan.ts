import type { Cluster, ClusterNode } from "../model/cluster";
import { AuthkeysSecret, authkeysIndex, NodeFile } from "./node-file";
import { renderNodeFiles } from "./node-files";
import { ComponentKind, sha256, Step, StepRef } from "./step";
import { renderTemplate } from "./templates";

/** The heartbeat keys a plan needs: this rotation's, and the one before it while rotating. */
export interface AuthkeysMaterial {
  readonly current: string;
  /** Absent at rotation 0. */
  readonly previous?: string;
}

/**
 * The three authkeys a rotation goes through, each on both nodes before the next: accept the new
 * key, sign with it, drop the old one. Heartbeat accepts every key listed, so no node ever
 * rejects the other's heartbeats and nothing fails over.
 */
export function authkeysStages(rotation: number, keys: AuthkeysMaterial) {
  const now = { index: authkeysIndex(rotation), secret: keys.current };
  const before =
    rotation > 0 && keys.previous !== undefined
      ? { index: authkeysIndex(rotation - 1), secret: keys.previous }
      : undefined;
  const both = before ? [before, now] : [now];
  return {
    accept: { signing: (before ?? now).index, keys: both },
    sign: { signing: now.index, keys: both },
    final: { signing: now.index, keys: [now] },
  } satisfies Record<string, AuthkeysSecret>;
}

/** Debian packages every node needs. */
function packagesFor(cluster: Cluster): string {
  const fs = cluster.config.drbd.filesystem === "xfs" ? ["xfsprogs"] : ["e2fsprogs"];
  return [
    "heartbeat",
    "cluster-glue",
    "drbd-utils",
    "squid",
    "bind9",
    "bind9-utils",
    "util-linux",
    "diffutils",
    "iproute2",
    "kmod",
    "cron",
    "logrotate",
    ...fs,
  ].join(" ");
}

/**
 * What a file step runs after it wrote its file. Each hook acts only where there is something to
 * act on, and sets `did` to say what it did.
 */
const afterWrite: Record<string, string | ((c: Cluster) => string)> = {
  "network-script": 'did=$(/usr/local/sbin/hacluster-network | sed "s/^/network /")',
  "network-unit":
    'if [ -d /run/systemd/system ]; then systemctl daemon-reload; systemctl enable --quiet hacluster-network.service; did="enabled at boot"; fi',
  timesyncd:
    'if [ -d /run/systemd/system ] && systemctl is-active --quiet systemd-timesyncd; then systemctl restart systemd-timesyncd; did="timesyncd restarted"; fi',
  "drbd-config": (c) =>
    `if drbdadm role '${c.config.drbd.resource}' >/dev/null 2>&1; then drbdadm adjust '${c.config.drbd.resource}'; did="adjusted"; fi`,
  "apparmor-named": apparmorReload("usr.sbin.named"),
  "apparmor-squid": apparmorReload("usr.sbin.squid"),
  "squid-conf":
    'if [ -e /run/squid.pid ] && kill -0 "$(cat /run/squid.pid)" 2>/dev/null; then squid -k reconfigure; did="squid reconfigured"; fi',
  "named-conf":
    'if rndc status >/dev/null 2>&1; then rndc reload >/dev/null; did="named reloaded"; fi',
};

/** Heartbeat files: a running heartbeat rereads them, keeping its resources where they are. */
const heartbeatReload =
  'if /usr/libexec/heartbeat/heartbeat -s >/dev/null 2>&1; then /usr/libexec/heartbeat/heartbeat -r >/dev/null; did="heartbeat reloaded"; fi';

function apparmorReload(profile: string): string {
  return `if command -v aa-enabled >/dev/null && aa-enabled -q 2>/dev/null && [ ! -e /etc/apparmor.d/disable/${profile} ]; then apparmor_parser -r /etc/apparmor.d/${profile}; did="profile reloaded"; fi`;
}

/** Heartbeat's keys never leave stdin: the fingerprint of authkeys masks them. */
function masked(file: NodeFile): string {
  return file.secret ? file.content.replace(/^(\d+ \S+) .*$/gm, "$1 <secret>") : file.content;
}

/** sha256 of what a file step writes, its secrets masked: safe in state, outputs and triggers. */
export function fingerprintOf(file: NodeFile): string {
  return sha256(masked(file));
}

function fingerprintCommand(file: NodeFile): string {
  if (file.kind === "block") {
    return `sed -n '/^# BEGIN hacluster/,/^# END hacluster/p' "$path" | sha256sum | cut -c1-64`;
  }
  if (file.secret) {
    return `sed -E 's/^([0-9]+ [^ ]+) .*$/\\1 <secret>/' "$path" | sha256sum | cut -c1-64`;
  }
  return `sha256sum <"$path" | cut -c1-64`;
}

function step(
  node: ClusterNode,
  id: string,
  component: ComponentKind,
  create: string,
  extra: Partial<Pick<Step, "delete" | "stdin" | "secret" | "after">> & {
    fingerprint?: string;
  } = {},
): Step {
  const { fingerprint, ...rest } = extra;
  return {
    node: node.name,
    id,
    component,
    create,
    secret: false,
    after: [],
    ...rest,
    triggers: [sha256(create), ...(fingerprint ? [fingerprint] : [])],
  };
}

function fileStep(
  cluster: Cluster,
  node: ClusterNode,
  file: NodeFile,
  component: ComponentKind,
  id = file.id,
  after: StepRef[] = [],
): Step {
  const hook =
    afterWrite[file.id.startsWith("zone-") ? "named-conf" : file.id] ??
    (component === "heartbeat" || component === "authkeys" ? heartbeatReload : undefined);
  const afterWriteCommand = typeof hook === "function" ? hook(cluster) : hook;
  const fingerprint = fingerprintOf(file);
  const view = {
    ...file,
    stepId: id,
    block: file.kind === "block",
    modeDigits: file.mode.replace(/^0/, ""),
    mountPoint: cluster.config.drbd.mountPoint,
    afterWrite: afterWriteCommand,
    fingerprint,
    fingerprintCommand: fingerprintCommand(file),
  };
  return step(node, id, component, renderTemplate("steps/install-file.sh.mustache", view), {
    delete: renderTemplate("steps/remove-file.sh.mustache", view),
    stdin: file.content,
    secret: file.secret,
    fingerprint,
    after,
  });
}

/**
 * Every remote step of the cluster, per node, in the order they run on that node. `pulumi up`
 * turns them into remote commands; the lab runs the very same list over SSH.
 */
export function planSteps(cluster: Cluster, keys: AuthkeysMaterial): Step[][] {
  const { config } = cluster;
  const stages = authkeysStages(config.authkeysRotation, keys);
  const [first, second] = cluster.nodes;
  const primary = cluster.primary;
  const other = primary === first ? second : first;
  const relocations = (["named", "squid"] as const).flatMap((service) =>
    config.services[service].enabled
      ? config.services[service].relocate.map((r) => ({ ...r, service }))
      : [],
  );
  const servicesList = relocations
    .map((r) => r.service)
    .filter((s, i, all) => all.indexOf(s) === i)
    .join(" ");
  // Files on the replicated volume, rendered once, written by whichever node holds the volume.
  const volumeFiles = renderNodeFiles(cluster, primary, stages.final).filter(
    (f) => f.onReplicatedVolume,
  );

  return cluster.nodes.map((node, index) => {
    const files = renderNodeFiles(cluster, node, stages.final);
    const byId = (id: string) => files.find((f) => f.id === id);
    const fileSteps = (ids: string[], component: ComponentKind) =>
      ids.flatMap((id) => {
        const file = byId(id);
        return file ? [fileStep(cluster, node, file, component)] : [];
      });
    const peer = node === first ? second : first;
    const view = {
      ...config,
      ...node,
      index,
      packages: packagesFor(cluster),
      relocations,
      servicesList,
      wantedVersion: config.drbd.kernelModule.version,
      inTree: config.drbd.kernelModule.mode === "in-tree",
      dkms: config.drbd.kernelModule.mode === "dkms" ? config.drbd.kernelModule : false,
      source: config.drbd.kernelModule.mode === "source" ? config.drbd.kernelModule : false,
      wipeConfirmed: config.drbd.confirmWipe.includes(`${node.name}:${node.drbdDisk}`),
      confirmIndex: config.drbd.confirmWipe.length,
    };
    const script = (name: string) => renderTemplate(`steps/${name}.sh.mustache`, view);
    const authkeysFile = (stage: keyof typeof stages) =>
      renderNodeFiles(cluster, node, stages[stage]).find((f) => f.id === "authkeys")!;

    return [
      step(node, "ssh-ready", "node-base", script("ssh-ready")),
      step(node, "packages", "node-base", script("packages")),
      ...fileSteps(
        ["hosts", "network-script", "network-unit", "timesyncd", "resolv-conf"],
        "node-base",
      ),

      step(node, "drbd-module", "drbd-kernel-module", script("drbd-module")),
      ...fileSteps(["drbd-kernel-hook"], "drbd-kernel-module"),

      ...fileSteps(["drbd-config"], "drbd-resource"),
      step(node, "drbd-metadata", "drbd-resource", script("drbd-metadata")),
      step(node, "drbd-up", "drbd-resource", script("drbd-up")),
      step(node, "mount-point", "drbd-resource", script("mount-point")),
      ...(node.preferred
        ? [
            step(node, "drbd-first-primary", "drbd-resource", script("drbd-first-primary"), {
              after: [{ node: peer.name, id: "drbd-up" }],
            }),
            step(node, "drbd-mkfs", "drbd-resource", script("drbd-mkfs")),
          ]
        : []),

      step(node, "relocate", "replicated-data", script("relocate"), {
        delete: script("unrelocate"),
        after: node.preferred ? [] : [{ node: primary.name, id: "relocate" }],
      }),
      ...fileSteps(["apparmor-named", "apparmor-squid"], "replicated-data"),
      ...volumeFiles.map((file) => fileStep(cluster, node, file, "replicated-data")),

      step(node, "dopd-permissions", "heartbeat", script("dopd-permissions"), {
        delete: script("dopd-permissions-remove"),
      }),
      ...fileSteps(["resource-script", "stonith-cfg", "ha-cf", "haresources"], "heartbeat"),
      fileStep(cluster, node, authkeysFile("accept"), "authkeys", "authkeys-accept"),
      fileStep(cluster, node, authkeysFile("sign"), "authkeys", "authkeys-sign", [
        { node: peer.name, id: "authkeys-accept" },
      ]),
      fileStep(cluster, node, authkeysFile("final"), "authkeys", "authkeys", [
        { node: peer.name, id: "authkeys-sign" },
      ]),
      step(node, "heartbeat-start", "heartbeat", script("heartbeat-start"), {
        after: node === other ? [{ node: primary.name, id: "heartbeat-start" }] : [],
      }),

      ...fileSteps(["log-backup", "drbd-reconnect", "cron", "logrotate"], "cron-jobs"),
    ];
  });
}
