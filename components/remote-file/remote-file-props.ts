import type { LiveFile } from "../../render/live-file";
import type { NodeAddress } from "./ssh-session";

/**
 * What the engine hands the provider on check, create and update: the program's inputs. The
 * engine keeps them in the state too; `content` is registered as a secret, so the state holds it
 * encrypted, and the provider (which accepts no secrets) gets it in clear on stdin's way only.
 */
export interface RemoteFileInputs {
  readonly node: string;
  readonly path: string;
  readonly connection: NodeAddress;
  readonly secret: boolean;
  readonly onReplicatedVolume: boolean;
  readonly content: string;
  /** The wanted file, named as the live one is in the outputs. */
  readonly sha256: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly scripts: { readonly write: string; readonly read: string; readonly remove: string };
  readonly version: string;
  /**
   * sha256 of the whole content, secrets included, for a file whose secret can change while
   * nothing else in it does (render/node-file.ts's secretDigest). Registered as a secret, and
   * kept as an output of the same name, which the engine keeps secret too.
   */
  readonly contentDigest?: string;
}

/**
 * What the provider returns and the state keeps as outputs: the file as last seen on the node,
 * and all that a refresh or a destroy needs to reach it, for those get the outputs only. Never
 * the content, nor anything secret.
 */
export interface RemoteFileOutputs extends LiveFile {
  readonly node: string;
  readonly path: string;
  readonly connection: NodeAddress;
  readonly secret: boolean;
  readonly onReplicatedVolume: boolean;
  /** The scripts of the release that wrote the file: a destroy undoes only its own version. */
  readonly scripts: { readonly read: string; readonly remove: string };
  readonly version: string;
  /** What the last write said: `changed: /etc/ha.d/ha.cf (heartbeat reloaded)`. */
  readonly lastWrite: string;
  /** For a file on the replicated volume: false when the node did not hold it at the last write. */
  readonly volumeHeld?: boolean;
  /**
   * The inputs' contentDigest as last written: secret. Absent from the state of a file written
   * before it existed, and then never compared (the content is not known to have changed).
   */
  readonly contentDigest?: string;
}
