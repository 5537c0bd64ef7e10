/**
 * The README's recovery runbooks, as the lab runs them: each is a fenced `sh` block right after
 * a `<!-- runbook: NAME -->` line, and the lab runs that block as it stands, on the node the
 * runbook names. A runbook edited in the README is the runbook the lab tests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const readme = () => readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

/** The commands of the README's runbook `name`, exactly as printed there. */
export function runbook(name: string): string {
  const text = readme();
  const marker = `<!-- runbook: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no runbook "${name}" (${marker})`);
  // The block may sit in a list item: its fence's indent is taken off every line.
  const block = /^( *)```sh\n([\s\S]*?)^ *```$/m.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`README.md's runbook "${name}" has no sh block after its marker`);
  const indent = block[1].length;
  return block[2]
    .split("\n")
    .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
    .join("\n");
}

/** The names of every runbook in the README. */
export const runbookNames = () =>
  [...readme().matchAll(/<!-- runbook: ([a-z0-9-]+) -->/g)].map((m) => m[1]);
