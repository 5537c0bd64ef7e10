import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../model/cluster";
import { seconds } from "../model/duration";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface HeartbeatArgs extends StepGroupArgs {
  readonly cluster: Cluster;
}

/**
 * One node's heartbeat: ha.cf, haresources, the resource script, the STONITH config, dopd's
 * rights; started at boot, and for the first time on the preferred node first. A config change
 * reloads heartbeat, which keeps its resources where they are.
 */
export class Heartbeat extends StepGroup {
  public readonly preferredPrimary: string;
  public readonly deadtime: string;
  public readonly stonith: string;

  constructor(name: string, args: HeartbeatArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:heartbeat:Heartbeat", name, args, opts);
    this.preferredPrimary = args.cluster.primary.name;
    this.deadtime = seconds(args.cluster.config.heartbeat.deadtime);
    this.stonith = args.cluster.config.stonith.type;
    this.registerOutputs({
      preferredPrimary: this.preferredPrimary,
      deadtime: this.deadtime,
      stonith: this.stonith,
      results: this.results,
    });
  }
}
