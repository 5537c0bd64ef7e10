import * as pulumi from "@pulumi/pulumi";
import type { Step } from "../../render/step";
import { RelocatedPathProvider } from "./relocated-path-provider";
import type { NodeAddress } from "./ssh-session";

export interface RelocatedPathArgs {
  /** A relocated-path step of the plan: its read and repair scripts, and the link it checks. */
  readonly step: Step;
  readonly connection: NodeAddress;
}

const provider = new RelocatedPathProvider();

/**
 * A relocated path whose live state a refresh reads back: still a symlink to
 * `<mountPoint><path>`, or what stands there instead. Named `<node>:<path>`.
 */
export class RelocatedPath extends pulumi.dynamic.Resource {
  /** `symlink`, `directory`, `missing`... as last seen on the node. */
  declare public readonly found: pulumi.Output<string>;
  declare public readonly linkTarget: pulumi.Output<string>;
  /** Where the last repair kept what stood in the link's place; empty when it kept nothing. */
  declare public readonly keptAside: pulumi.Output<string>;
  /** What the last repair said, such as `unchanged: /etc/squid links to /replicated/etc/squid`. */
  declare public readonly lastRepair: pulumi.Output<string>;

  constructor(args: RelocatedPathArgs, opts?: pulumi.CustomResourceOptions) {
    const { step, connection } = args;
    if (step.resource?.kind !== "relocated-path" || step.read === undefined) {
      throw new Error(`step ${step.node}/${step.id} checks no relocated path`);
    }
    const { path, mountPoint, target } = step.resource;
    super(
      provider,
      `${step.node}:${path}`,
      {
        node: step.node,
        path,
        mountPoint,
        target,
        connection,
        scripts: { read: step.read, repair: step.create },
        found: undefined,
        linkTarget: undefined,
        keptAside: undefined,
        lastRepair: undefined,
      },
      { ...opts, deleteBeforeReplace: true },
      "hacluster",
      "RelocatedPath",
    );
  }
}
