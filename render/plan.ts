import type { Cluster } from "../model/cluster";
import { fileStep } from "./file-step";
import { finalAuthkeys } from "./node-file";
import { relocatedPathScripts, relocationTarget } from "./relocated-path-scripts";
import { renderNodeFiles } from "./node-files";
import { ComponentKind, makeStep, Step } from "./step";
import { usesIpmi } from "./stonith-environment";
import { renderTemplate } from "./templates";

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
    // external/ipmi runs ipmitool, which cluster-glue does not depend on.
    ...(usesIpmi(cluster) ? ["ipmitool"] : []),
    // squid's profile is loaded by apparmor_parser, which the kernel's AppArmor does not bring.
    ...(cluster.squidConfined ? ["apparmor"] : []),
  ].join(" ");
}

/**
 * A relocated path as a refresh reads it back: still a symlink into the volume. Its repair keeps
 * whatever stands in the link's place aside; it has nothing to undo, so no delete.
 */
function relocatedPathStep(node: { name: string }, path: string, mountPoint: string): Step {
  const scripts = relocatedPathScripts(path, mountPoint);
  // Step ids hold no slash: `<node>/<id>` names a step.
  const step = makeStep(
    node,
    `relocated${path.replaceAll("/", "-")}`,
    "replicated-data",
    scripts.repair,
    {
      target: `relocated${path}`,
    },
  );
  return {
    ...step,
    read: scripts.read,
    resource: {
      kind: "relocated-path",
      path,
      mountPoint,
      target: relocationTarget(path, mountPoint),
    },
  };
}

/**
 * Every remote step of the cluster, per node, in the order they run on that node. `pulumi up`
 * turns them into remote commands; the lab runs the very same list over SSH. `authkey` is the
 * heartbeat key of the current rotation (a marker where the engine's key is not known).
 */
export function planSteps(cluster: Cluster, authkey: string): Step[][] {
  const { config } = cluster;
  const authkeys = finalAuthkeys(config.authkeysRotation, authkey);
  const [first, second] = cluster.nodes;
  const primary = cluster.primary;
  const other = primary === first ? second : first;
  // Files on the replicated volume, rendered once, written by whichever node holds the volume.
  const volumeFiles = renderNodeFiles(cluster, primary, authkeys).filter(
    (f) => f.onReplicatedVolume,
  );

  return cluster.nodes.map((node, index) => {
    const files = renderNodeFiles(cluster, node, authkeys);
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
      relocations: cluster.relocations,
      servicesList: cluster.services.join(" "),
      wantedVersion: config.drbd.kernelModule.version,
      inTree: config.drbd.kernelModule.mode === "in-tree",
      dkms: config.drbd.kernelModule.mode === "dkms" ? config.drbd.kernelModule : false,
      source: config.drbd.kernelModule.mode === "source" ? config.drbd.kernelModule : false,
      wipeConfirmed: config.drbd.confirmWipe.includes(`${node.name}:${node.drbdDisk}`),
      confirmIndex: config.drbd.confirmWipe.length,
    };
    const script = (name: string) => renderTemplate(`steps/${name}.sh.mustache`, view);
    const authkeysFile = byId("authkeys")!;

    const sign = fileStep(cluster, node, authkeysFile, "authkeys", {
      id: "authkeys-sign",
      authkeysStage: "sign",
      after: [{ node: peer.name, id: "authkeys-accept" }],
    });

    return [
      makeStep(node, "ssh-ready", "node-base", script("ssh-ready")),
      makeStep(node, "packages", "node-base", script("packages")),
      ...fileSteps(
        ["hosts", "network-script", "network-unit", "timesyncd", "resolv-conf"],
        "node-base",
      ),

      makeStep(node, "drbd-module", "drbd-kernel-module", script("drbd-module")),
      ...fileSteps(["drbd-kernel-hook"], "drbd-kernel-module"),

      ...fileSteps(["drbd-config"], "drbd-resource"),
      makeStep(node, "drbd-metadata", "drbd-resource", script("drbd-metadata")),
      makeStep(node, "drbd-up", "drbd-resource", script("drbd-up")),
      makeStep(node, "mount-point", "drbd-resource", script("mount-point")),
      ...(node.preferred
        ? [
            makeStep(node, "drbd-first-primary", "drbd-resource", script("drbd-first-primary"), {
              after: [{ node: peer.name, id: "drbd-up" }],
            }),
            makeStep(node, "drbd-mkfs", "drbd-resource", script("drbd-mkfs")),
          ]
        : []),

      makeStep(node, "relocate", "replicated-data", script("relocate"), {
        delete: script("unrelocate"),
        after: node.preferred ? [] : [{ node: primary.name, id: "relocate" }],
      }),
      ...cluster.relocations.map((r) => relocatedPathStep(node, r.path, config.drbd.mountPoint)),
      // After `relocate`: a path dropped from the stack is refused there before its rule goes.
      ...fileSteps(
        ["apparmor-named", "apparmor-squid", "squid-apparmor-script"],
        "replicated-data",
      ),
      // squid's profile loads before squid's units name it, and a delete takes the units away
      // before the profile: at no moment does squid.service name a profile that is not loaded.
      ...(cluster.squidConfined
        ? [
            makeStep(
              node,
              "apparmor-squid-enforce",
              "replicated-data",
              script("apparmor-squid-enforce"),
              { delete: script("apparmor-squid-enforce-remove") },
            ),
          ]
        : []),
      ...fileSteps(["squid-apparmor-loader", "squid-apparmor-unit"], "replicated-data"),
      ...volumeFiles.map((file) => fileStep(cluster, node, file, "replicated-data")),

      makeStep(node, "dopd-permissions", "heartbeat", script("dopd-permissions"), {
        delete: script("dopd-permissions-remove"),
      }),
      // Switching plugins: heartbeat's environment first; the new plugin's file before ha.cf
      // names it; ha.cf before any other file whose change would reload heartbeat, so that no
      // reload parses the outgoing plugin with the plan's reread (external/ipmi needs its
      // environment, which the other plugins' reread does not give). The ipmi file comes before
      // stonith.cfg: a node written by an earlier release still names stonith.cfg as the ipmi
      // file until ha.cf is rewritten.
      ...fileSteps(
        [
          "heartbeat-unit-env",
          "heartbeat-defaults",
          "stonith-ipmi-cfg",
          "stonith-cfg",
          "ha-cf",
          "resource-script",
          "haresources",
        ],
        "heartbeat",
      ),
      // A rotation, each stage on both nodes before the next: accept the new key, sign with it,
      // drop the others. Heartbeat 3.0.6 takes the peer's new key only once it signs with it
      // itself: links may drop between the two nodes' sign stages (README, rotation).
      fileStep(cluster, node, authkeysFile, "authkeys", {
        id: "authkeys-accept",
        authkeysStage: "accept",
      }),
      sign,
      fileStep(cluster, node, authkeysFile, "authkeys", {
        after: [{ node: peer.name, id: "authkeys-sign" }],
        afterSignVersion: sign.version,
      }),
      makeStep(node, "heartbeat-start", "heartbeat", script("heartbeat-start"), {
        after: node === other ? [{ node: primary.name, id: "heartbeat-start" }] : [],
      }),

      ...fileSteps(["log-backup", "drbd-reconnect", "cron", "logrotate"], "cron-jobs"),
    ];
  });
}
