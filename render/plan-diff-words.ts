/** What the text and the markdown report both say, in the same words. */
import type { FileChange, StackDiff, StepAction, StepRun } from "./plan-diff";

/** Which two trees are compared: labels for the reader, not for git. */
export interface DiffSides {
  readonly stack: string;
  /** Such as `origin/main (1a2b3c4)`. */
  readonly base: string;
  readonly head: string;
}

/** The engine's preview symbols, so that the list reads like `pulumi preview`. */
export const actionWords: Readonly<Record<StepAction, string>> = {
  create: "+ create",
  update: "~ update",
  replace: "+- replace",
  "delete-before-replace": "-- delete, before its replacement",
  "delete-replaced": "-- delete the replaced one",
  delete: "- delete",
};

/**
 * A step's resource name in the preview: `<node>:<path>` for a file or relocated path read back
 * on refresh, `<node>-<step>` for a remote command.
 */
export const resourceName = (run: {
  readonly node: string;
  readonly id: string;
  readonly livePath?: string;
}) => (run.livePath === undefined ? `${run.node}-${run.id}` : `${run.node}:${run.livePath}`);

export const secretsNote =
  "Rendered without the Pulumi engine: the heartbeat key is a placeholder, never key material.";

export function baseNoteWords(diff: StackDiff, sides: DiffSides): string | undefined {
  const note = diff.baseNote;
  if (!note) return undefined;
  return note.state === "absent"
    ? `base ${sides.base} has no stack "${sides.stack}" (${note.text}): everything is new`
    : `base ${sides.base} is invalid, so the working tree is compared with nothing:\n${note.text}`;
}

export function summaryWords(diff: StackDiff): string {
  const nodes = new Set(diff.files.map((f) => f.node)).size;
  const running = diff.steps.filter((s) => s.runs);
  const impacting = running.filter((s) => s.impact !== undefined).length;
  return [
    diff.files.length === 0
      ? "no file changed"
      : `${count(diff.files.length, "file")} changed on ${count(nodes, "node")}`,
    `${count(running.length, "step")} will run` +
      (impacting > 0 ? `, ${impacting} of them move resources or restart services` : ""),
  ].join("; ");
}

export function fileHeader(change: FileChange): readonly [string, string] {
  const label = `${change.node}${change.path}`;
  return [
    change.change === "added" ? "--- /dev/null" : `--- a/${label}`,
    change.change === "removed" ? "+++ /dev/null" : `+++ b/${label}`,
  ];
}

export function attributesWords(change: FileChange): string | undefined {
  return change.attributes && `mode ${change.attributes.before} → ${change.attributes.after}`;
}

export function stepWhy(run: StepRun): string {
  return run.runs
    ? run.because.join(", ")
    : `${run.because.join(", ")}; nothing to undo, nothing runs`;
}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
