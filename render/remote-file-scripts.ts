import type { NodeFile } from "./node-file";
import { makeStep } from "./step";
import { renderTemplate } from "./templates";
import { fingerprintCommand, keepsPrevious } from "./file-step";

/** What a file is on its node, its content aside. */
export type FileShape = Pick<
  NodeFile,
  | "path"
  | "mode"
  | "owner"
  | "group"
  | "secret"
  | "secretMask"
  | "secretDigest"
  | "keepPrevious"
  | "kind"
  | "onReplicatedVolume"
  | "supersedes"
>;

export interface FileWriting {
  /** Where the replicated volume is mounted: required for a file that lives on it. */
  readonly mountPoint?: string;
  /** Run on the node once the file changed, and only then (render/file-step.ts's rereads). */
  readonly rereads?: string;
  /** Run on the node once a delete removed the file (or gave back the node's own). */
  readonly afterRemove?: string;
  /** For authkeys: its rotation's last stage, which drops keys only after the sign stage. */
  readonly authkeysFinal?: {
    readonly signVersion: string;
    readonly slot: number;
    readonly nextRotation: number;
  };
}

/** The node-side scripts of one file. None holds its content: that travels on stdin. */
export interface RemoteFileScripts {
  /** install-file.sh in the step lifecycle's wrapper: backup once, atomic move, record. */
  readonly write: string;
  /** One line: `present <mode> <owner> <group> <sha256>`, `missing`, `not-a-file <type>`... */
  readonly read: string;
  /** remove-file.sh in the lifecycle's guard: only its own version, only an unchanged file. */
  readonly remove: string;
  /** What `write` records on the node as having applied the file. */
  readonly version: string;
}

/**
 * The scripts a RemoteFile runs, from the templates the file steps use (one rule for both), and
 * recording on the node in the same place. Its version is never the file step's for the same
 * file and content: when a stack moves a file from its step to a RemoteFile, the step's delete,
 * which runs after the RemoteFile wrote the file, finds another version recorded and leaves it.
 */
export function remoteFileScripts(
  node: string,
  file: FileShape,
  writing: FileWriting,
  fingerprint: string,
): RemoteFileScripts {
  if (file.onReplicatedVolume && writing.mountPoint === undefined) {
    throw new Error(`${node}:${file.path} lives on the replicated volume: give its mountPoint`);
  }
  // Field by field: a NodeFile given as the shape must not bring its content along.
  const view = {
    path: file.path,
    mode: file.mode,
    owner: file.owner,
    group: file.group,
    onReplicatedVolume: file.onReplicatedVolume,
    secret: file.secret,
    keepPrevious: keepsPrevious(file),
    supersedes: file.supersedes,
    block: file.kind === "block",
    mountPoint: writing.mountPoint,
    modeDigits: file.mode.replace(/^0/, ""),
    stepId: `remote-file${file.path}`,
    afterWrite: writing.rereads,
    afterRemove: writing.afterRemove,
    authkeysStage: false,
    authkeysFinal: writing.authkeysFinal ?? false,
    authkeysWrite: writing.authkeysFinal !== undefined,
    fingerprint,
    fingerprintCommand: fingerprintCommand(file),
  };
  // The component only matters to a step that becomes a remote.Command; a RemoteFile is none.
  const step = makeStep(
    { name: node },
    "remote-file",
    "node-base",
    renderTemplate("steps/install-file.sh.mustache", view),
    {
      delete: renderTemplate("steps/remove-file.sh.mustache", view),
      target: file.path,
      fingerprint: `${fingerprint}:remote-file`,
    },
  );
  return {
    write: step.create,
    read: renderTemplate("remote-file/read-file.sh.mustache", view),
    remove: step.delete!,
    version: step.version,
  };
}
