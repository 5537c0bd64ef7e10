import type { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Step } from "../render/step";
import { NodeSteps, stepCommand } from "./step-command";

export interface StepGroupArgs {
  /** This component's steps on one node, in the order they run. */
  readonly steps: readonly Step[];
  readonly nodeSteps: NodeSteps;
}

/** A component whose children are remote steps on one node. */
export abstract class StepGroup extends pulumi.ComponentResource {
  /** The steps' commands, in order. */
  public readonly commands: remote.Command[];
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
    this.commands = args.steps.map((step) => stepCommand(step, args.nodeSteps, this));
    this.results = pulumi.all(this.commands.map((c) => c.stdout.apply(lastLine)));
  }
}

function lastLine(text: string): string {
  return text.trimEnd().split("\n").pop() ?? "";
}
