import * as pulumi from "@pulumi/pulumi";
import type { Step } from "../render/step";
import { NodeSteps, stepResource } from "./step-command";

export interface StepGroupArgs {
  /** This component's steps on one node, in the order they run. */
  readonly steps: readonly Step[];
  readonly nodeSteps: NodeSteps;
  /** The content of each secret file step, by step id: the secret is the engine's, not the plan's. */
  readonly secretContent?: ReadonlyMap<string, pulumi.Output<string>>;
}

/** A component whose children are remote steps on one node. */
export abstract class StepGroup extends pulumi.ComponentResource {
  /** The steps' resources (remote commands, files, relocated paths), in order. */
  public readonly resources: pulumi.Resource[];
  /** What each step said the last time it ran: `changed: ...` or `unchanged: ...`. */
  public readonly results: pulumi.Output<string[]>;

  protected constructor(
    type: string,
    name: string,
    args: StepGroupArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Args carry secrets and whole scripts: not recorded as the component's inputs.
    super(type, name, {}, opts);
    const made = args.steps.map((step) =>
      stepResource(step, args.nodeSteps, this, args.secretContent?.get(step.id)),
    );
    this.resources = made.map((m) => m.resource);
    this.results = pulumi.all(made.map((m) => m.said));
  }
}
