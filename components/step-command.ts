import { remote, types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { remoteCommand, Step } from "../render/step";
import type { StepRegistry } from "./step-registry";

/** What every step of one node shares. */
export interface NodeSteps {
  readonly user: string;
  readonly connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  /** The first step's connection waits longer for SSH to come up. */
  readonly firstConnection: pulumi.Input<types.input.remote.ConnectionArgs>;
  readonly registry: StepRegistry;
  /** The step before each step on the same node: steps to one node run one at a time. */
  readonly previous: ReadonlyMap<string, Step | undefined>;
}

/** A step as a remote command, chained after the step before it on the same node. */
export function stepCommand(
  step: Step,
  nodeSteps: NodeSteps,
  parent: pulumi.Resource,
  secretStdin?: pulumi.Output<string>,
): remote.Command {
  if (step.secret && secretStdin === undefined) {
    throw new Error(`step ${step.node}/${step.id} holds a secret and was given none`);
  }
  const previous = nodeSteps.previous.get(step.id);
  const after = [...(previous ? [previous] : []), ...step.after];
  const command = remoteCommand(step.create, nodeSteps.user);
  const resource = new remote.Command(
    `${step.node}-${step.id}`,
    {
      connection: previous ? nodeSteps.connection : nodeSteps.firstConnection,
      create: command,
      update: command,
      delete: step.delete === undefined ? undefined : remoteCommand(step.delete, nodeSteps.user),
      stdin: step.secret ? pulumi.secret(secretStdin!) : step.stdin,
      // Output of a secret step could echo it; the others show what they changed.
      logging: step.secret ? "none" : "stdoutAndStderr",
      addPreviousOutputInEnv: false,
    },
    {
      parent,
      dependsOn: Promise.all(after.map((ref) => nodeSteps.registry.get(ref))),
      additionalSecretOutputs: step.secret ? ["stdout", "stderr"] : [],
      // The lifecycle rule of render/step.ts. Steps have no triggers; stacks applied by earlier
      // versions, which kept script hashes there, must update, not replace (and so run the
      // old deletes those versions wrote).
      ignoreChanges: ["triggers"],
      deleteBeforeReplace: step.deleteBeforeReplace,
    },
  );
  nodeSteps.registry.add(step, resource);
  return resource;
}
