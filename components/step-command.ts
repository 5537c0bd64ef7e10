import { remote, types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { remoteCommand, Step } from "../render/step";
import { renderTemplate } from "../render/templates";
import { RelocatedPath } from "./remote-file/relocated-path";
import { RemoteFile } from "./remote-file/remote-file";
import type { NodeAddress } from "./remote-file/ssh-session";
import type { StepRegistry } from "./step-registry";

/** What every step of one node shares. */
export interface NodeSteps {
  readonly user: string;
  readonly connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  /** The first step's connection waits longer for SSH to come up. */
  readonly firstConnection: pulumi.Input<types.input.remote.ConnectionArgs>;
  /** How the dynamic resources reach the node: no key, only the config key that holds it. */
  readonly address: NodeAddress;
  readonly registry: StepRegistry;
  /** The step before each step on the same node: steps to one node run one at a time. */
  readonly previous: ReadonlyMap<string, Step | undefined>;
}

/** A step's resource, and what it said the last time it ran. */
export interface StepResource {
  readonly resource: pulumi.Resource;
  readonly said: pulumi.Output<string>;
}

/**
 * A step as a resource, chained after the step before it on the same node: a file as a
 * RemoteFile and a relocated path as a RelocatedPath, which a refresh reads back; any other step
 * as a remote command. Every one follows the lifecycle rule of render/step.ts.
 */
export function stepResource(
  step: Step,
  nodeSteps: NodeSteps,
  parent: pulumi.Resource,
  secretStdin?: pulumi.Output<string>,
): StepResource {
  if (step.secret && secretStdin === undefined) {
    throw new Error(`step ${step.node}/${step.id} holds a secret and was given none`);
  }
  const previous = nodeSteps.previous.get(step.id);
  const after = [...(previous ? [previous] : []), ...step.after];
  const dependsOn = Promise.all(after.map((ref) => nodeSteps.registry.get(ref)));
  const connection = previous ? nodeSteps.connection : nodeSteps.firstConnection;
  let made: StepResource;
  if (step.resource?.kind === "file") {
    const file = new RemoteFile(
      { step, connection: nodeSteps.address, content: step.secret ? secretStdin! : step.stdin! },
      { parent, dependsOn },
    );
    handedOver(step, connection, parent, file);
    made = { resource: file, said: file.lastWrite };
  } else if (step.resource?.kind === "relocated-path") {
    const path = new RelocatedPath({ step, connection: nodeSteps.address }, { parent, dependsOn });
    made = { resource: path, said: path.lastRepair };
  } else {
    const command = new remote.Command(
      `${step.node}-${step.id}`,
      {
        connection,
        create: remoteCommand(step.create, nodeSteps.user),
        update: remoteCommand(step.create, nodeSteps.user),
        delete: step.delete === undefined ? undefined : remoteCommand(step.delete, nodeSteps.user),
        stdin: step.secret ? pulumi.secret(secretStdin!) : step.stdin,
        // Output of a secret step could echo it; the others show what they changed.
        logging: step.secret ? "none" : "stdoutAndStderr",
        addPreviousOutputInEnv: false,
      },
      {
        parent,
        dependsOn,
        additionalSecretOutputs: step.secret ? ["stdout", "stderr"] : [],
        ...lifecycle(step),
      },
    );
    made = { resource: command, said: command.stdout.apply(lastLine) };
  }
  nodeSteps.registry.add(step, made.resource);
  return made;
}

/**
 * The lifecycle rule of render/step.ts for a remote command. Steps have no triggers; stacks
 * applied by earlier versions, which kept script hashes there, must update, not replace (and so
 * run the old deletes those versions wrote).
 */
function lifecycle(step: Step): pulumi.CustomResourceOptions {
  return { ignoreChanges: ["triggers"], deleteBeforeReplace: step.deleteBeforeReplace };
}

/**
 * The remote command that wrote a file before it became a RemoteFile, kept under its old name
 * doing nothing: removed from the program, its old delete (in the state) would run after the
 * RemoteFile wrote the file, and remove it. Updated once, its state holds no delete any more.
 */
function handedOver(
  step: Step,
  connection: pulumi.Input<types.input.remote.ConnectionArgs>,
  parent: pulumi.Resource,
  file: RemoteFile,
): remote.Command {
  const path = step.resource?.kind === "file" ? step.resource.file.path : step.target;
  const script = renderTemplate("steps/handed-over.sh.mustache", { node: step.node, path });
  return new remote.Command(
    `${step.node}-${step.id}`,
    { connection, create: script, update: script, addPreviousOutputInEnv: false },
    { parent, dependsOn: [file], ...lifecycle(step) },
  );
}

function lastLine(text: string): string {
  return text.trimEnd().split("\n").pop() ?? "";
}
