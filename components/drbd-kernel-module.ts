import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../model/schema";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface DrbdKernelModuleArgs extends StepGroupArgs {
  readonly module: StackConfig["drbd"]["kernelModule"];
}

/**
 * One node's DRBD kernel module: the kernel's own (in-tree), a DKMS package, or built from a
 * pinned source tarball; checked with `modinfo`, loaded now and at boot.
 */
export class DrbdKernelModule extends StepGroup {
  public readonly mode: string;
  /** The version `modinfo -F version drbd` must start with. */
  public readonly version: string;

  constructor(name: string, args: DrbdKernelModuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:drbd:DrbdKernelModule", name, args, opts);
    this.mode = args.module.mode;
    this.version = args.module.version;
    this.registerOutputs({ mode: this.mode, version: this.version, results: this.results });
  }
}
