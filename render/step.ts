import { createHash } from "node:crypto";
import type { FileShape } from "./remote-file-scripts";
import { renderTemplate } from "./templates";

/** The components a step belongs to; each becomes a `pulumi.ComponentResource` per node. */
export type ComponentKind =
  | "node-base"
  | "drbd-kernel-module"
  | "drbd-resource"
  | "replicated-data"
  | "heartbeat"
  | "authkeys"
  | "cron-jobs";

export interface StepRef {
  readonly node: string;
  readonly id: string;
}

/**
 * What a step leaves on the node that a refresh reads back (README, "Drift"): a file, or a
 * relocated path's symlink into the volume. `pulumi up` makes it a dynamic resource named
 * `<node>:<path>`; the lab and `npm run drift` run the same read script over SSH.
 */
export type LiveResource =
  | {
      readonly kind: "file";
      /** The file, its content aside. */
      readonly file: FileShape;
      /** What it must hash to, heartbeat's keys masked (render/file-step.ts's fingerprintOf). */
      readonly sha256: string;
      readonly mountPoint?: string;
      /** What rereads it once it changed. */
      readonly rereads?: string;
    }
  | {
      readonly kind: "relocated-path";
      readonly path: string;
      readonly mountPoint: string;
      /** Where its symlink must lead. */
      readonly target: string;
    };

/**
 * One remote step on one node. Its scripts hold no secret: secret material is on `stdin` only.
 * Every script is idempotent and ends by printing one line starting `changed` or `unchanged`.
 *
 * The lifecycle rule, the same for every step (README, "Reading a preview"):
 * - a step has no `triggers`: any change of its script or of what it writes is an update, which
 *   runs `create` again; `create` checks before it changes, so it changes only what differs;
 * - `delete` runs only for a real removal (`pulumi destroy`, or the step leaving the plan). A
 *   replacement happens only when asked (`pulumi up --replace`), and then the old step is
 *   deleted before the new one is created, never after;
 * - `create` records on the node which version of the step applied its target last, and
 *   `delete` undoes nothing unless that record is its own.
 */
export interface Step extends StepRef {
  readonly component: ComponentKind;
  /** What the step applies on the node: a file's path, or the step's own name. */
  readonly target: string;
  /** The version of the step that `create` records for its target on the node. */
  readonly version: string;
  readonly create: string;
  /** What `pulumi destroy` runs; absent where there is nothing to undo. */
  readonly delete?: string;
  /** File content for file steps. */
  readonly stdin?: string;
  readonly secret: boolean;
  /** Steps that must be done first, besides the step before this one on the same node. */
  readonly after: readonly StepRef[];
  /** Always true: a replacement, when asked for, undoes the old step before the new one runs. */
  readonly deleteBeforeReplace: true;
  /** Prints, in one line, what the node has of the step's live resource. */
  readonly read?: string;
  readonly resource?: LiveResource;
}

export const stepKey = (ref: StepRef): string => `${ref.node}/${ref.id}`;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Where a node keeps which version of a step applied a target last. */
const recordsDir = "/var/lib/hacluster/applied";

function recordPath(target: string): string {
  return target.startsWith("/") ? `${recordsDir}/files${target}` : `${recordsDir}/steps/${target}`;
}

/**
 * The command line that runs a step's script on the node: as root directly, otherwise through
 * password-less sudo. The script travels in the command; stdin stays free for file content.
 */
export function remoteCommand(script: string, user: string): string {
  const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
  return user === "root" ? `sh -c ${quoted}` : `sudo -n sh -c ${quoted}`;
}

export interface StepOptions {
  readonly delete?: string;
  readonly stdin?: string;
  readonly secret?: boolean;
  readonly after?: readonly StepRef[];
  /** A file step's path; other steps apply themselves. */
  readonly target?: string;
  /** What the step writes, when that is not in its script (file content, masked). */
  readonly fingerprint?: string;
}

/** A step, its scripts wrapped in the lifecycle's record and guard. */
export function makeStep(
  node: { readonly name: string },
  id: string,
  component: ComponentKind,
  body: string,
  options: StepOptions = {},
): Step {
  const target = options.target ?? id;
  // Which step it is belongs to the version: a resource renamed by the engine (a node renamed,
  // a step moved) is a new resource, and the old one's delete, run after the new create, must
  // not find its own version in the record the new one just wrote.
  const version = sha256(JSON.stringify([node.name, id, body, options.fingerprint ?? ""])).slice(
    0,
    32,
  );
  const view = { target, version, record: recordPath(target) };
  return {
    node: node.name,
    id,
    component,
    target,
    version,
    create: renderTemplate("steps/lifecycle/create.sh.mustache", { ...view, body }),
    delete:
      options.delete === undefined
        ? undefined
        : renderTemplate("steps/lifecycle/delete.sh.mustache", { ...view, body: options.delete }),
    stdin: options.stdin,
    secret: options.secret ?? false,
    after: options.after ?? [],
    deleteBeforeReplace: true,
  };
}
