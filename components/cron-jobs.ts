import * as pulumi from "@pulumi/pulumi";
import type { ClusterNode } from "../model/cluster";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface CronJobsArgs extends StepGroupArgs {
  readonly node: ClusterNode;
  readonly drbdReconnect: string;
}

/** One node's /etc/cron.d jobs (DRBD reconnect, log backup) and heartbeat's log rotation. */
export class CronJobs extends StepGroup {
  public readonly drbdReconnect: string;
  /** This node's time for the log backup: the preferred primary runs first. */
  public readonly logBackup: string;

  constructor(name: string, args: CronJobsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:cron:CronJobs", name, args, opts);
    this.drbdReconnect = args.drbdReconnect;
    this.logBackup = args.node.logBackupSchedule;
    this.registerOutputs({
      drbdReconnect: this.drbdReconnect,
      logBackup: this.logBackup,
      results: this.results,
    });
  }
}
