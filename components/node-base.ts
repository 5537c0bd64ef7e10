import * as pulumi from "@pulumi/pulumi";
import type { ClusterNode } from "../model/cluster";
import { StepGroup, StepGroupArgs } from "./step-group";

export interface NodeBaseArgs extends StepGroupArgs {
  readonly node: ClusterNode;
}

/** One node's packages, /etc/hosts block, private link MTU and routes, time sync and resolv.conf. */
export class NodeBase extends StepGroup {
  /** The node's name, as `uname -n` prints it. */
  public readonly node: string;
  public readonly publicAddress: string;
  public readonly privateAddress: string;
  /** MTU of the private link, now and after a reboot. */
  public readonly privateMtu: number;

  constructor(name: string, args: NodeBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hacluster:node:NodeBase", name, args, opts);
    this.node = args.node.name;
    this.publicAddress = args.node.publicAddress;
    this.privateAddress = args.node.privateAddress;
    this.privateMtu = args.node.privateMtu;
    this.registerOutputs({
      node: this.node,
      publicAddress: this.publicAddress,
      privateAddress: this.privateAddress,
      privateMtu: this.privateMtu,
      results: this.results,
    });
  }
}
