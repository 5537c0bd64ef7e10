import { maskAuthkeys } from "./engine-secret";
import { PlannedStep, RenderedFile, RenderedStack } from "./rendered-stack";
import { runOrder } from "./run-order";
import { stepKey } from "./step";
import { impactOf } from "./step-impact";
import { Hunk, unifiedDiff } from "./unified-diff";

/** One file of one node that differs between the base and the working tree. */
export interface FileChange {
  readonly node: string;
  readonly path: string;
  readonly change: "added" | "removed" | "changed";
  /** `mode owner:group` before and after, when they differ. */
  readonly attributes?: { readonly before: string; readonly after: string };
  readonly hunks: readonly Hunk[];
}

/**
 * What the engine does with a step, in its preview's words: `create` a new one, `update` one
 * whose inputs changed (its create runs again), `replace` one whose triggers changed (the new
 * one is created; the old one's delete runs at the end, `delete-replaced`, or right before it
 * when the step deletes before replacing, `delete-before-replace`), `delete` one gone from the
 * plan (its delete runs).
 */
export type StepAction =
  "create" | "update" | "replace" | "delete-before-replace" | "delete-replaced" | "delete";

export interface StepRun {
  readonly node: string;
  readonly id: string;
  readonly action: StepAction;
  /** Why the step runs: which of its inputs changed. */
  readonly because: readonly string[];
  /** False for a delete of a step that has nothing to undo: the engine forgets it, nothing runs. */
  readonly runs: boolean;
  /** What it does to the running cluster beyond writing a file; see `render/step-impact.ts`. */
  readonly impact?: string;
  /** The path of the file or relocated path the step's resource reads back, if any. */
  readonly livePath?: string;
}

export interface StackDiff {
  /** Why the base is compared as if nothing had been deployed, when it is. */
  readonly baseNote?: { readonly state: "absent" | "invalid"; readonly text: string };
  readonly files: readonly FileChange[];
  /** In an order the engine could run them. */
  readonly steps: readonly StepRun[];
}

const empty = { nodes: [], plan: [] } as const;

/** How the working tree's stack differs from the base's, file by file and step by step. */
export function diffStacks(
  base: RenderedStack,
  head: Extract<RenderedStack, { state: "rendered" }>,
): StackDiff {
  const before = base.state === "rendered" ? base : empty;
  return {
    baseNote:
      base.state === "absent"
        ? { state: "absent", text: base.why }
        : base.state === "invalid"
          ? { state: "invalid", text: base.problems }
          : undefined,
    files: fileChanges(before.nodes, head.nodes),
    steps: stepRuns(before.plan, head.plan),
  };
}

export const hasChanges = (diff: StackDiff): boolean =>
  diff.files.length > 0 || diff.steps.length > 0;

type Nodes = readonly { readonly name: string; readonly files: readonly RenderedFile[] }[];

function fileChanges(before: Nodes, after: Nodes): FileChange[] {
  const names = unique([...after.map((n) => n.name), ...before.map((n) => n.name)]);
  return names.flatMap((node) => {
    const old = before.find((n) => n.name === node)?.files ?? [];
    const now = after.find((n) => n.name === node)?.files ?? [];
    const paths = unique([...now.map((f) => f.path), ...old.map((f) => f.path)]);
    return paths.flatMap((path): FileChange[] => {
      const a = old.find((f) => f.path === path);
      const b = now.find((f) => f.path === path);
      const hunks = unifiedDiff(shown(a), shown(b));
      const attributes =
        a && b && attributesOf(a) !== attributesOf(b)
          ? { before: attributesOf(a), after: attributesOf(b) }
          : undefined;
      if (a && b && hunks.length === 0 && !attributes) return [];
      const change = !a ? "added" : !b ? "removed" : "changed";
      return [{ node, path, change, hunks, ...(attributes ? { attributes } : {}) }];
    });
  });
}

/** A file's text as a diff may show it: a secret file's keys masked, whoever rendered it. */
function shown(file: RenderedFile | undefined): string {
  if (!file) return "";
  return file.secret ? maskAuthkeys(file.content) : file.content;
}

const attributesOf = (f: RenderedFile) => `${f.mode} ${f.owner}:${f.group}`;

function stepRuns(
  before: readonly (readonly PlannedStep[])[],
  after: readonly (readonly PlannedStep[])[],
): StepRun[] {
  const old = new Map(before.flat().map((s) => [stepKey(s), s]));
  const runs: StepRun[] = [];
  const pendingDeletes = new Set<string>();
  for (const step of orderOf(after)) {
    const previous = old.get(stepKey(step));
    const run = (action: StepAction, because: string[], from = step): StepRun => ({
      node: step.node,
      id: step.id,
      action,
      because,
      runs: action.startsWith("delete") ? from.delete !== undefined : true,
      impact: impactOf(from, action.startsWith("delete") ? "delete" : "run"),
      livePath: livePathOf(from),
    });
    if (!previous) {
      runs.push(run("create", ["new step"]));
      continue;
    }
    const because = changedInputs(previous, step);
    if (because.length === 0) continue;
    if (!replaces(previous, step)) {
      runs.push(run("update", because));
    } else if (step.deleteBeforeReplace) {
      if (previous.delete !== undefined) runs.push(run("delete-before-replace", because, previous));
      runs.push(run("replace", because));
    } else {
      runs.push(run("replace", because));
      if (previous.delete !== undefined) pendingDeletes.add(stepKey(previous));
    }
  }
  // The engine deletes last, in the reverse of the order the old steps ran in.
  const planned = new Set(after.flat().map(stepKey));
  for (const step of orderOf(before).reverse()) {
    const key = stepKey(step);
    const gone = !planned.has(key);
    if (!gone && !pendingDeletes.has(key)) continue;
    runs.push({
      node: step.node,
      id: step.id,
      action: gone ? "delete" : "delete-replaced",
      because: [gone ? "no longer in the plan" : "replaced above"],
      runs: step.delete !== undefined,
      impact: impactOf(step, "delete"),
      livePath: livePathOf(step),
    });
  }
  return runs;
}

const livePathOf = (step: PlannedStep): string | undefined =>
  step.resource?.file?.path ?? step.resource?.path;

/** The steps in run order; a plan whose order cannot be made is taken node by node. */
function orderOf(plan: readonly (readonly PlannedStep[])[]): PlannedStep[] {
  try {
    return runOrder(plan);
  } catch {
    return plan.flat();
  }
}

/**
 * A change to `triggers` replaces a remote command; any other input change updates it. A plan
 * whose steps have no triggers registers them with `ignoreChanges: ["triggers"]`
 * (`components/step-command.ts`): the triggers an older release left in the state replace
 * nothing.
 */
function replaces(before: PlannedStep, after: PlannedStep): boolean {
  return triggersChanged(before, after) || before.component !== after.component;
}

const triggersChanged = (before: PlannedStep, after: PlannedStep) =>
  after.triggers !== undefined &&
  JSON.stringify(before.triggers ?? null) !== JSON.stringify(after.triggers);

/**
 * Which inputs of a step changed, in words. A script whose only change is a hash (the version
 * or the fingerprint of the file it writes) changed because its file did: it is not named twice.
 */
function changedInputs(before: PlannedStep, after: PlannedStep): string[] {
  const fileChanged = before.stdin !== after.stdin;
  const scriptChanged = (a?: string, b?: string) =>
    a !== b && (!fileChanged || withoutHashes(a) !== withoutHashes(b));
  return [
    ...(fileChanged ? [after.secret ? "secret file changed" : "file changed"] : []),
    ...(scriptChanged(before.create, after.create) ? ["script changed"] : []),
    ...(scriptChanged(before.update, after.update) ? ["update script changed"] : []),
    ...(scriptChanged(before.delete, after.delete) ? ["delete script changed"] : []),
    ...(triggersChanged(before, after) ? ["triggers changed"] : []),
    ...(before.component !== after.component
      ? [`moved from ${before.component} to ${after.component}`]
      : []),
  ];
}

const withoutHashes = (text?: string) => text?.replace(/\b[0-9a-f]{32,64}\b/g, "<hash>");

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}
