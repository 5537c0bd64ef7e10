import * as pulumi from "@pulumi/pulumi";
import type { RelocatedPath } from "../model/schema";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface ReplicatedDataArgs extends StepGroupArgs {
  readonly mountPoint: string;
  readonly relocate: readonly RelocatedPath[];
}

/**
 * One node's services moved onto the replicated volume: copied (owners and modes kept), checked,
 * the original kept aside with a timestamp, then replaced by a symlink; AppArmor overrides; the
 * managed squid.conf and named.conf, written by the node that holds the volume.
 */
export class ReplicatedData extends StepGroup {
  /** Each relocated path and where it lives now. */
  public readonly links: Record<string, string>;

  constructor(name: string, args: ReplicatedDataArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:data:ReplicatedData", name, args, opts);
    this.links = Object.fromEntries(
      args.relocate.map((r) => [r.path, `${args.mountPoint}${r.path}`]),
    );
    this.registerOutputs({ links: this.links, results: this.results });
  }
}
