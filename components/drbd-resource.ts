import * as pulumi from "@pulumi/pulumi";
import type { ClusterNode } from "../model/cluster";
import type { StackConfig } from "../model/schema";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface DrbdResourceArgs extends StepGroupArgs {
  readonly node: ClusterNode;
  readonly drbd: StackConfig["drbd"];
}

/**
 * One node's side of the DRBD resource: its config, metadata created only on a disk that holds
 * nothing (or one named in `drbd.confirmWipe`), up and enabled at boot; on the preferred node,
 * the first primary (forced only while both sides are Inconsistent) and its filesystem.
 */
export class DrbdResource extends StepGroup {
  public readonly resource: string;
  public readonly device: string;
  /** The backing partition on this node. */
  public readonly disk: string;
  public readonly mountPoint: string;

  constructor(name: string, args: DrbdResourceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:drbd:DrbdResource", name, args, opts);
    this.resource = args.drbd.resource;
    this.device = args.drbd.device;
    this.disk = args.node.drbdDisk;
    this.mountPoint = args.drbd.mountPoint;
    this.registerOutputs({
      resource: this.resource,
      device: this.device,
      disk: this.disk,
      mountPoint: this.mountPoint,
      results: this.results,
    });
  }
}
