import { createHash } from "node:crypto";

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
 * One remote step on one node. Its scripts hold no secret: secret material is on `stdin` only.
 * Every script is idempotent and ends by printing one line starting `changed` or `unchanged`.
 */
export interface Step extends StepRef {
  readonly component: ComponentKind;
  readonly create: string;
  /** What `pulumi destroy` runs; absent where there is nothing to undo. */
  readonly delete?: string;
  /** File content for file steps. */
  readonly stdin?: string;
  readonly secret: boolean;
  /** A change here replaces the step, which runs `create` again. Never derived from a secret. */
  readonly triggers: readonly string[];
  /** Steps that must be done first, besides the step before this one on the same node. */
  readonly after: readonly StepRef[];
}

export const stepKey = (ref: StepRef): string => `${ref.node}/${ref.id}`;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * The command line that runs a step's script on the node: as root directly, otherwise through
 * password-less sudo. The script travels in the command; stdin stays free for file content.
 */
export function remoteCommand(script: string, user: string): string {
  const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
  return user === "root" ? `sh -c ${quoted}` : `sudo -n sh -c ${quoted}`;
}

/** A step; its triggers are the hash of its script and, for a file, of what it writes. */
export function makeStep(
  node: { readonly name: string },
  id: string,
  component: ComponentKind,
  create: string,
  extra: Partial<Pick<Step, "delete" | "stdin" | "secret" | "after">> & {
    fingerprint?: string;
  } = {},
): Step {
  const { fingerprint, ...rest } = extra;
  return {
    node: node.name,
    id,
    component,
    create,
    secret: false,
    after: [],
    ...rest,
    triggers: [sha256(create), ...(fingerprint ? [fingerprint] : [])],
  };
}
