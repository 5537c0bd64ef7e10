import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../model/cluster";
import { renderNodeFiles } from "../render/node-files";
import { fingerprintOf } from "../render/file-step";
import { takesBmcPassword, withBmcPassword } from "../render/engine-secret";
import { finalAuthkeys } from "../render/node-file";
import { planSteps } from "../render/plan";
import type { ComponentKind, Step } from "../render/step";
import { AuthKeys } from "./auth-keys";
import { addressOf, checkHostKeys, connectionTo, SshCredentials } from "./connection";
import { CronJobs } from "./cron-jobs";
import { DrbdKernelModule } from "./drbd-kernel-module";
import { DrbdResource } from "./drbd-resource";
import { Heartbeat } from "./heartbeat";
import { NodeBase } from "./node-base";
import { ReplicatedData } from "./replicated-data";
import { NodeSteps } from "./step-command";
import { StepRegistry } from "./step-registry";

export interface HaClusterArgs {
  /** The validated cluster (`loadClusterFromFiles` or `clusterFromEngine`). */
  readonly cluster: Cluster;
  readonly credentials: SshCredentials;
  /**
   * Each node's BMC password, by node name, for stonith.type external/ipmi: its peer's
   * stonith-ipmi.cfg holds it. Secret; required only with external/ipmi.
   */
  readonly bmcPasswords?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * The whole cluster: per node, the components that bring it from a fresh Debian install to its
 * place in a running DRBD + Heartbeat cluster, and the heartbeat key they share.
 */
export class HaCluster extends pulumi.ComponentResource {
  public readonly nodes: { name: string; publicAddress: string; privateAddress: string }[];
  /** The service address, with its prefix. */
  public readonly vip: string;
  public readonly preferredPrimary: string;
  public readonly drbdDevice: string;
  public readonly mountPoint: string;
  /** Services heartbeat runs from the VIP. */
  public readonly services: string[];
  /** sha256 of each file each node receives (heartbeat's keys masked), to compare with a node. */
  public readonly fileChecksums: Record<string, Record<string, string>>;

  constructor(name: string, args: HaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super(): a refused stack registers nothing, not even this component.
    checkHostKeys(args.cluster);
    super("hacluster:index:HaCluster", name, {}, opts);
    const { cluster, credentials } = args;
    const { config } = cluster;

    // The plan's structure never depends on the keys: their place holds a marker here, and
    // AuthKeys fills in the engine's keys for its own steps.
    const marker = "<secret>";
    const plan = planSteps(cluster, marker);
    const registry = new StepRegistry(plan.flat());
    const nodeSteps = new Map<string, NodeSteps>(
      cluster.nodes.map((node, i) => [
        node.name,
        {
          user: node.ssh.user,
          connection: connectionTo(node, credentials, false),
          firstConnection: connectionTo(node, credentials, true),
          address: addressOf(node, credentials, config.skipHostKeyCheck !== undefined),
          registry,
          previous: new Map(plan[i].map((step, j) => [step.id, plan[i][j - 1]])),
        },
      ]),
    );

    cluster.nodes.forEach((node, i) => {
      const steps = (kind: ComponentKind) => ({
        steps: plan[i].filter((s) => s.component === kind),
        nodeSteps: nodeSteps.get(node.name)!,
      });
      const child = (kind: ComponentKind) => `${node.name}-${kind}`;
      const opts = { parent: this };
      new NodeBase(child("node-base"), { ...steps("node-base"), node }, opts);
      new DrbdKernelModule(
        child("drbd-kernel-module"),
        { ...steps("drbd-kernel-module"), module: config.drbd.kernelModule },
        opts,
      );
      new DrbdResource(
        child("drbd-resource"),
        { ...steps("drbd-resource"), node, drbd: config.drbd },
        opts,
      );
      new ReplicatedData(
        child("replicated-data"),
        {
          ...steps("replicated-data"),
          mountPoint: config.drbd.mountPoint,
          relocate: cluster.relocations,
        },
        opts,
      );
      const heartbeat = steps("heartbeat");
      new Heartbeat(
        child("heartbeat"),
        {
          ...heartbeat,
          cluster,
          secretContent: stonithContent(heartbeat.steps, node.peer.name, args.bmcPasswords),
        },
        opts,
      );
      new CronJobs(
        child("cron-jobs"),
        { ...steps("cron-jobs"), node, drbdReconnect: config.cron.drbdReconnect },
        opts,
      );
    });
    new AuthKeys(
      `${name}-authkeys`,
      { cluster, steps: plan.flat().filter((s) => s.component === "authkeys"), nodeSteps },
      { parent: this },
    );

    this.nodes = cluster.nodes.map((n) => ({
      name: n.name,
      publicAddress: n.publicAddress,
      privateAddress: n.privateAddress,
    }));
    this.vip = `${config.vip.address}/${config.vip.prefix}`;
    this.preferredPrimary = cluster.primary.name;
    this.drbdDevice = config.drbd.device;
    this.mountPoint = config.drbd.mountPoint;
    this.services = [...cluster.services];
    // The files as the plan's last stage leaves them: authkeys in the current rotation's slot.
    const finalKeys = finalAuthkeys(config.authkeysRotation, marker);
    this.fileChecksums = Object.fromEntries(
      cluster.nodes.map((node) => [
        node.name,
        Object.fromEntries(
          renderNodeFiles(cluster, node, finalKeys).map((f) => [f.path, fingerprintOf(f)]),
        ),
      ]),
    );
    this.registerOutputs({
      nodes: this.nodes,
      vip: this.vip,
      preferredPrimary: this.preferredPrimary,
      drbdDevice: this.drbdDevice,
      mountPoint: this.mountPoint,
      services: this.services,
      fileChecksums: this.fileChecksums,
    });
  }
}

/**
 * A node's stonith-ipmi.cfg with its peer's BMC password in the place the plan leaves for it, as
 * a secret; none where no file holds one (every type but external/ipmi).
 */
function stonithContent(
  steps: readonly Step[],
  peer: string,
  passwords: HaClusterArgs["bmcPasswords"],
): Map<string, pulumi.Output<string>> {
  const step = steps.find(takesBmcPassword);
  if (step === undefined) return new Map();
  const password = passwords?.[peer];
  if (password === undefined) throw new Error(`stonith-ipmi.cfg needs ${peer}'s BMC password`);
  return new Map([
    [step.id, pulumi.secret(pulumi.output(password).apply((p) => withBmcPassword(step.stdin!, p)))],
  ]);
}
