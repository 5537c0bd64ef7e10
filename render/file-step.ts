import type { Cluster, ClusterNode } from "../model/cluster";
import { basename } from "node:path";
import { secretMasks } from "./engine-secret";
import { authkeysIndex, NodeFile, Reader } from "./node-file";
import { remoteFileScripts } from "./remote-file-scripts";
import {
  heartbeatEnvironmentHook,
  heartbeatHangup,
  heartbeatEnvironmentRemoved,
  ipmiEnvironmentRefusal,
  ipmiHeartbeatReload,
  usesIpmi,
} from "./stonith-environment";
import { ComponentKind, makeStep, sha256, Step, StepRef } from "./step";
import { renderTemplate } from "./templates";

/**
 * What a file step runs after it wrote its file, by who rereads it. Each hook acts only where
 * there is something to act on, and sets `did` to say what it did.
 */
const rereads: Record<Reader, (file: NodeFile, cluster: Cluster) => string> = {
  // A running heartbeat rereads its files, keeping its resources where they are.
  // `heartbeat -r` reads every file itself, and with them runs the STONITH plugin's status;
  // with external/ipmi, only a heartbeat started with the plugin's environment is reloaded.
  heartbeat: (_f, c) =>
    usesIpmi(c)
      ? ipmiHeartbeatReload()
      : 'if /usr/libexec/heartbeat/heartbeat -s >/dev/null 2>&1; then /usr/libexec/heartbeat/heartbeat -r >/dev/null; did="heartbeat reloaded"; fi',
  // Authkeys alone changed: no config for `heartbeat -r` to check first, only its signal to send.
  "heartbeat-keys": (_f, c) =>
    authkeysReread(c, usesIpmi(c) ? ipmiHeartbeatReload('kill -HUP "$pid"') : heartbeatHangup),
  "heartbeat-environment": () => heartbeatEnvironmentHook(),
  drbd: (_f, c) =>
    `if drbdadm role '${c.config.drbd.resource}' >/dev/null 2>&1; then drbdadm adjust '${c.config.drbd.resource}'; did="adjusted"; fi`,
  named: () =>
    'if rndc status >/dev/null 2>&1; then rndc reload >/dev/null; did="named reloaded"; fi',
  // The signal `squid -k reconfigure` sends, from this shell: on Debian 12 `squid -k` runs under
  // squid's profile, which may not signal a squid started before the profile was enforced.
  squid: () =>
    'if [ -e /run/squid.pid ] && kill -0 "$(cat /run/squid.pid)" 2>/dev/null; then kill -HUP "$(cat /run/squid.pid)"; did="squid reconfigured"; fi',
  apparmor: (f) => {
    const profile = basename(f.path);
    return `if command -v aa-enabled >/dev/null && aa-enabled -q 2>/dev/null && [ ! -e /etc/apparmor.d/disable/${profile} ]; then apparmor_parser -r /etc/apparmor.d/${profile}; did="profile reloaded"; fi`;
  },
  // Its output is taken first and then prefixed: in a pipe, sh would lose the script's failure.
  network: (f) => `out=$(${f.path}); did="network $out"`,
  systemd: (f) =>
    `if [ -d /run/systemd/system ]; then systemctl daemon-reload; systemctl enable --quiet ${basename(f.path)}; did="enabled at boot"; fi`,
  "systemd-next-start": () =>
    'if [ -d /run/systemd/system ]; then systemctl daemon-reload; did="systemd reloaded: the unit uses it from its next start"; fi',
  // Started as well as restarted: the packages step keeps a newly installed daemon from starting.
  // A node that keeps time with chrony or ntpsec has no timesyncd unit (they conflict): the file
  // is then only kept, and the step says so.
  timesyncd: () =>
    'if [ -d /run/systemd/system ] && systemctl cat systemd-timesyncd >/dev/null 2>&1; then systemctl enable --quiet systemd-timesyncd; systemctl restart systemd-timesyncd; did="timesyncd restarted"; else did="not used: another time daemon keeps the time here"; fi',
};

function authkeysReread(cluster: Cluster, reload: string): string {
  return renderTemplate("steps/authkeys-reread.sh.mustache", {
    reload,
    logfile: cluster.config.heartbeat.logfile,
  });
}

/** What a file step's delete runs once it removed its file, by who reads the file. */
const afterRemoves: Partial<Record<Reader, string>> = {
  // systemd would otherwise start heartbeat with the drop-in it still remembers.
  "heartbeat-environment": heartbeatEnvironmentRemoved,
  "systemd-next-start": "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi",
};

/** Secrets never leave stdin: the fingerprint of a secret file masks them. */
function masked(file: NodeFile): string {
  return file.secret
    ? file.content.replace(secretMasks[file.secretMask ?? "authkeys"].js, "$1 <secret>")
    : file.content;
}

/** Whether a write keeps the content it replaces (render/node-file.ts's keepPrevious). */
export function keepsPrevious(file: Pick<NodeFile, "secret" | "keepPrevious">): boolean {
  return !file.secret && file.keepPrevious !== false;
}

/** sha256 of what a file step writes, its secrets masked: safe in state, outputs and triggers. */
export function fingerprintOf(file: NodeFile): string {
  return sha256(masked(file));
}

/** The node-side twin of `fingerprintOf`: hashes the file as the node holds it, keys masked. */
export function fingerprintCommand(file: Pick<NodeFile, "kind" | "secret" | "secretMask">): string {
  if (file.kind === "block") {
    return `sed -n '/^# BEGIN hacluster/,/^# END hacluster/p' "$path" | sha256sum | cut -c1-64`;
  }
  if (file.secret) {
    const sed = secretMasks[file.secretMask ?? "authkeys"].sed;
    return `sed -E '${sed}' "$path" | sha256sum | cut -c1-64`;
  }
  return `sha256sum <"$path" | cut -c1-64`;
}

/**
 * A stage of an authkeys rotation. Each stage gets the final file on stdin and derives its own
 * from it and from the keys the node has, so that no stage ever drops the key a node signs with
 * before its peer accepts the new one, and a stage run again later never goes back.
 */
export type AuthkeysStage = "accept" | "sign";

/**
 * When both nodes' sign stages switch: the first multiple of `grid` seconds on the clock at least
 * `lead` seconds after the stage began. The engine starts the two stages together; the lead
 * covers the difference between their SSH sessions, so that a peer's stage has begun, and follows,
 * when the other's mark comes first.
 */
export const authkeysSwitch = { lead: 5, grid: 10 } as const;

/** What a sign stage's switch needs besides the stage's own view (its `peer` among it). */
function signSwitch(cluster: Cluster) {
  return {
    slot: authkeysIndex(cluster.config.authkeysRotation),
    logfile: cluster.config.heartbeat.logfile,
    switchLead: authkeysSwitch.lead,
    switchGrid: authkeysSwitch.grid,
    preflight: usesIpmi(cluster) ? ipmiEnvironmentRefusal : "",
  };
}

export interface FileStepOptions {
  readonly id?: string;
  readonly after?: StepRef[];
  readonly authkeysStage?: AuthkeysStage;
  /** For the last authkeys stage: the version its node's sign stage records. */
  readonly afterSignVersion?: string;
}

export function fileStep(
  cluster: Cluster,
  node: ClusterNode,
  file: NodeFile,
  component: ComponentKind,
  options: FileStepOptions = {},
): Step {
  const id = options.id ?? file.id;
  const stage = options.authkeysStage;
  // A sign stage checks heartbeat's environment before its moment to switch: then only the signal.
  const afterWriteCommand =
    stage === "sign"
      ? authkeysReread(cluster, heartbeatHangup)
      : file.readBy
        ? rereads[file.readBy](file, cluster)
        : undefined;
  const fingerprint = fingerprintOf(file);
  const mountPoint = cluster.config.drbd.mountPoint;
  if (stage === undefined) {
    // A file a refresh reads back: the very scripts its RemoteFile runs, for the lab and drift too.
    const shape = {
      path: file.path,
      mode: file.mode,
      owner: file.owner,
      group: file.group,
      secret: file.secret,
      ...(file.secretMask === undefined ? {} : { secretMask: file.secretMask }),
      ...(file.secretDigest ? { secretDigest: true } : {}),
      ...(file.keepPrevious === undefined ? {} : { keepPrevious: file.keepPrevious }),
      kind: file.kind,
      onReplicatedVolume: file.onReplicatedVolume,
      supersedes: file.supersedes,
    };
    const rotation = cluster.config.authkeysRotation;
    const afterRemove = file.readBy ? afterRemoves[file.readBy] : undefined;
    const writing = {
      mountPoint,
      rereads: afterWriteCommand,
      ...(afterRemove === undefined ? {} : { afterRemove }),
      ...(options.afterSignVersion === undefined
        ? {}
        : {
            authkeysFinal: {
              signVersion: options.afterSignVersion,
              slot: authkeysIndex(rotation),
              nextRotation: rotation + 1,
            },
          }),
    };
    const scripts = remoteFileScripts(node.name, shape, writing, fingerprint);
    return {
      node: node.name,
      id,
      component,
      target: file.path,
      version: scripts.version,
      create: scripts.write,
      delete: scripts.remove,
      read: scripts.read,
      stdin: file.content,
      secret: file.secret,
      after: options.after ?? [],
      deleteBeforeReplace: true,
      resource: {
        kind: "file",
        file: shape,
        sha256: fingerprint,
        mountPoint,
        ...(afterWriteCommand === undefined ? {} : { rereads: afterWriteCommand }),
      },
    };
  }
  const view = {
    ...file,
    stepId: id,
    block: file.kind === "block",
    keepPrevious: keepsPrevious(file),
    modeDigits: file.mode.replace(/^0/, ""),
    mountPoint,
    afterWrite: afterWriteCommand,
    fingerprint,
    fingerprintCommand: fingerprintCommand(file),
    authkeysWrite: true,
    authkeysStage: {
      accept: stage === "accept",
      peer: cluster.nodes.find((n) => n.name !== node.name)!.name,
      sign: stage === "sign" ? signSwitch(cluster) : false,
      rotation: cluster.config.authkeysRotation,
      nextRotation: cluster.config.authkeysRotation + 1,
    },
  };
  return makeStep(node, id, component, renderTemplate("steps/install-file.sh.mustache", view), {
    delete: renderTemplate("steps/remove-file.sh.mustache", view),
    stdin: file.content,
    secret: file.secret,
    target: file.path,
    fingerprint: `${fingerprint}:${stage}`,
    after: options.after,
  });
}
