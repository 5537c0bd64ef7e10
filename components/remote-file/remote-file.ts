import * as pulumi from "@pulumi/pulumi";
import { sha256, Step } from "../../render/step";
import { RemoteFileProvider } from "./provider";
import type { NodeAddress } from "./ssh-session";

export interface RemoteFileArgs {
  /** A file step of the plan: its scripts, and the file it leaves on the node. */
  readonly step: Step;
  /** How to reach the node. Holds no key: the provider reads the one named here from the config. */
  readonly connection: NodeAddress;
  /** What the file holds. Registered as a secret whatever the file: the state never has it clear. */
  readonly content: pulumi.Input<string>;
}

/** One object for every file: Pulumi serializes a provider once per object, into each resource. */
const provider = new RemoteFileProvider();

/**
 * A file on a node whose live state a refresh reads back: checksum (heartbeat's keys masked),
 * mode, owner, group, whether it is there. Named `<node>:<path>` (`proxycl2:/etc/ha.d/ha.cf`):
 * a second resource for the same file on the same node is refused by the engine.
 *
 * It runs its step's scripts: the file steps' write (backup once, atomic move, reread hook only
 * when the file changed) and removal (only its own version, only if unchanged since).
 */
export class RemoteFile extends pulumi.dynamic.Resource {
  /** As last seen on the node: sha256 of the content, secrets masked. */
  declare public readonly sha256: pulumi.Output<string>;
  declare public readonly mode: pulumi.Output<string>;
  declare public readonly owner: pulumi.Output<string>;
  declare public readonly group: pulumi.Output<string>;
  declare public readonly exists: pulumi.Output<boolean>;
  /** What the last write said, such as `changed: /etc/ha.d/ha.cf (heartbeat reloaded)`. */
  declare public readonly lastWrite: pulumi.Output<string>;

  constructor(args: RemoteFileArgs, opts?: pulumi.CustomResourceOptions) {
    const { step, connection } = args;
    if (step.resource?.kind !== "file" || step.read === undefined || step.delete === undefined) {
      throw new Error(`step ${step.node}/${step.id} writes no file a refresh can read`);
    }
    const { file } = step.resource;
    const content = pulumi.secret(args.content);
    super(
      provider,
      `${step.node}:${file.path}`,
      {
        node: step.node,
        path: file.path,
        connection,
        secret: file.secret,
        onReplicatedVolume: file.onReplicatedVolume,
        // The engine keeps inputs in the state, a secret one encrypted. The provider takes no
        // secrets (its host answers Configure with acceptSecrets false): the engine hands it the
        // content in clear, then marks `content` secret again in what Check returns (a property
        // named like a secret input stays secret). The provider's outputs have no `content`.
        content,
        // Of the masked content: not secret.
        sha256: step.resource.sha256,
        // Of the whole content, where its secret can change alone: secret, as its output of the
        // same name (a property named like a secret input stays secret, and is listed below).
        ...(file.secretDigest ? { contentDigest: content.apply(sha256) } : {}),
        mode: file.mode,
        owner: file.owner,
        group: file.group,
        scripts: { write: step.create, read: step.read, remove: step.delete },
        version: step.version,
        // Outputs only: named here so that the resource has them as properties.
        exists: undefined,
        lastWrite: undefined,
        volumeHeld: undefined,
      },
      {
        ...opts,
        deleteBeforeReplace: true,
        ...(file.secretDigest ? { additionalSecretOutputs: ["contentDigest"] } : {}),
      },
      "hacluster",
      "RemoteFile",
    );
  }
}
