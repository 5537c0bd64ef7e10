import { hasChanges, StackDiff } from "./plan-diff";
import {
  actionWords,
  attributesWords,
  baseNoteWords,
  DiffSides,
  fileHeader,
  resourceName,
  secretsNote,
  stepWhy,
  summaryWords,
} from "./plan-diff-words";

/** The diff for a terminal: unified diffs per node and path, then the steps in run order. */
export function diffAsText(diff: StackDiff, sides: DiffSides): string {
  const title = `stack "${sides.stack}": base ${sides.base} → ${sides.head}`;
  const note = baseNoteWords(diff, sides);
  if (!hasChanges(diff)) return [title, ...(note ? [note] : []), "no changes", ""].join("\n");
  const out: string[] = [title, ...(note ? [note] : []), secretsNote, summaryWords(diff)];
  if (diff.files.length > 0) out.push("");
  for (const change of diff.files) {
    out.push(...fileHeader(change));
    const attributes = attributesWords(change);
    if (attributes) out.push(attributes);
    for (const hunk of change.hunks) out.push(hunk.header, ...hunk.lines);
  }
  if (diff.steps.length > 0) {
    out.push(
      "",
      "steps that will run, in an order the engine could run them (! moves resources or restarts services):",
    );
    const width = Math.max(...diff.steps.map((s) => actionWords[s.action].length));
    diff.steps.forEach((run, i) => {
      out.push(
        `${String(i + 1).padStart(4)}. ${actionWords[run.action].padEnd(width)}  ${resourceName(run)}  (${stepWhy(run)})`,
      );
      if (run.impact && run.runs) out.push(`${" ".repeat(6)}! ${run.impact}`);
    });
  }
  out.push("");
  return out.join("\n");
}
