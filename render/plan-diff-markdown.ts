import { FileChange, hasChanges, StackDiff } from "./plan-diff";
import {
  actionWords,
  attributesWords,
  baseNoteWords,
  count,
  DiffSides,
  fileHeader,
  resourceName,
  secretsNote,
  stepWhy,
  summaryWords,
} from "./plan-diff-words";

/** GitHub refuses a comment over 65536 characters; what is left is for the comment's marker. */
const commentLimit = 60_000;

/** The marker a workflow finds its earlier comment by, one per stack. */
export const commentMarker = (stack: string) => `<!-- hacluster-diff stack=${stack} -->`;

/**
 * The diff as a pull-request comment: a summary, each node's unified diff collapsed under its
 * name, then the steps in run order as a table. Diffs too long for a comment are cut, longest
 * first, with a word on how to see them whole. Past that (thousands of files or steps), each node
 * is a line and the table keeps the rows that fit: a cut never falls inside a block, which would
 * leave the rest of the page collapsed or fenced.
 */
export function diffAsMarkdown(diff: StackDiff, sides: DiffSides): string {
  for (const linesPerFile of [Infinity, 200, 40, 0]) {
    const text = render(diff, sides, { linesPerFile, nodeDiffs: true });
    if (text.length <= commentLimit) return text;
  }
  const steps = diff.steps.length;
  let fitting = steps;
  let text = render(diff, sides, { linesPerFile: 0, nodeDiffs: false, steps: fitting });
  while (text.length > commentLimit && fitting > 0) {
    // Rows are of like length: the share that fits, less one so that the loop ends.
    fitting = Math.min(fitting - 1, Math.floor((fitting * commentLimit) / text.length));
    text = render(diff, sides, { linesPerFile: 0, nodeDiffs: false, steps: fitting });
  }
  return text;
}

interface Fit {
  /** Lines of each file's diff shown; the rest is counted. */
  readonly linesPerFile: number;
  /** Each node's diff collapsed under its name, or only a line per node. */
  readonly nodeDiffs: boolean;
  /** Rows of the steps' table shown; the rest is counted. */
  readonly steps?: number;
}

function render(diff: StackDiff, sides: DiffSides, fit: Fit): string {
  const { linesPerFile } = fit;
  const title = hasChanges(diff) ? summaryWords(diff) : "no changes";
  const out = [
    commentMarker(sides.stack),
    `### Stack \`${sides.stack}\`: ${title}`,
    "",
    `Base \`${sides.base}\` → ${sides.head}, by \`npm run diff\` (no engine, backend or node). ${secretsNote}`,
    "",
  ];
  const note = baseNoteWords(diff, sides);
  if (note) {
    const [first, ...rest] = note.split("\n");
    out.push(`**${first}**`, "");
    if (rest.length > 0) out.push(...fenced("text", rest), "");
  }
  const nodes = [...new Set(diff.files.map((f) => f.node))];
  for (const node of nodes) {
    const changes = diff.files.filter((f) => f.node === node);
    if (!fit.nodeDiffs) {
      out.push(
        `- **${escapeHtml(node)}**: ${count(changes.length, "file")}, too many to show here: run \`npm run diff -- --stack ${sides.stack}\``,
      );
      continue;
    }
    const paths = changes.map((c) => `<code>${escapeHtml(c.path)}</code>`).join(", ");
    out.push(
      `<details><summary><b>${escapeHtml(node)}</b>: ${count(changes.length, "file")} (${paths})</summary>`,
      "",
      ...fenced(
        "diff",
        changes.flatMap((c) => fileLines(c, linesPerFile)),
      ),
      "",
      "</details>",
      "",
    );
  }
  if (!fit.nodeDiffs && nodes.length > 0) out.push("");
  if (diff.steps.length > 0) {
    const shown = diff.steps.slice(0, fit.steps ?? diff.steps.length);
    out.push(
      "**Steps that will run**, in an order the engine could run them:",
      "",
      "| # | action | step | why | what it does to the running cluster |",
      "| ---: | --- | --- | --- | --- |",
      ...shown.map(
        (run, i) =>
          `| ${i + 1} | \`${actionWords[run.action]}\` | \`${resourceName(run)}\` | ${cell(stepWhy(run))} | ${run.impact && run.runs ? `⚠️ ${cell(run.impact)}` : ""} |`,
      ),
      "",
      ...(shown.length < diff.steps.length
        ? [
            `… ${count(diff.steps.length - shown.length, "more step")}: run \`npm run diff -- --stack ${sides.stack}\` to see them all`,
            "",
          ]
        : []),
    );
  }
  return out.join("\n");
}

function fileLines(change: FileChange, limit: number): string[] {
  const attributes = attributesWords(change);
  const body = change.hunks.flatMap((h) => [h.header, ...h.lines]);
  const kept = body.slice(0, limit);
  return [
    ...fileHeader(change),
    ...(attributes ? [attributes] : []),
    ...kept,
    ...(kept.length < body.length
      ? [`… ${body.length - kept.length} more lines: run \`npm run diff\` to see them all`]
      : []),
  ];
}

/** A code block whose fence is longer than any run of backticks inside it. */
function fenced(language: string, lines: readonly string[]): string[] {
  const longest = Math.max(
    0,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))),
  );
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, ...lines, fence];
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
