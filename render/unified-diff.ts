/** One hunk of a unified diff: its `@@` header and its lines, each starting ` `, `-` or `+`. */
export interface Hunk {
  readonly header: string;
  readonly lines: readonly string[];
}

type Edit = { readonly op: " " | "-" | "+"; readonly text: string };

/** Cells of the longest-common-subsequence table, at most: 16 MB. */
const tableLimit = 4_000_000;

/** The lines of a text; a last line without its newline is a line all the same. */
function linesOf(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The edits that turn `a` into `b`, by longest common subsequence. The common head and tail are
 * taken off first: a change to a rendered config file is a few lines, so the table stays small.
 */
function edits(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // A rewrite too large for the table is shown as all removed, then all added: still exact.
  if (x.length * y.length > tableLimit) {
    return [
      ...a.slice(0, head).map((text): Edit => ({ op: " ", text })),
      ...x.map((text): Edit => ({ op: "-", text })),
      ...y.map((text): Edit => ({ op: "+", text })),
      ...a.slice(a.length - tail).map((text): Edit => ({ op: " ", text })),
    ];
  }
  const width = y.length + 1;
  // common[i * width + j]: length of the longest common subsequence of x[i..] and y[j..].
  const common = new Uint32Array((x.length + 1) * width);
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      common[i * width + j] =
        x[i] === y[j]
          ? common[(i + 1) * width + j + 1] + 1
          : Math.max(common[(i + 1) * width + j], common[i * width + j + 1]);
    }
  }
  const middle: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      middle.push({ op: " ", text: x[i++] });
      j++;
    } else if (
      j < y.length &&
      (i === x.length || common[i * width + j + 1] >= common[(i + 1) * width + j])
    ) {
      middle.push({ op: "+", text: y[j++] });
    } else {
      middle.push({ op: "-", text: x[i++] });
    }
  }
  return [
    ...a.slice(0, head).map((text): Edit => ({ op: " ", text })),
    ...sortRemovalsFirst(middle),
    ...a.slice(a.length - tail).map((text): Edit => ({ op: " ", text })),
  ];
}

/** Within each run of changed lines, the removed lines come before the added ones, as diff prints them. */
function sortRemovalsFirst(list: Edit[]): Edit[] {
  const out: Edit[] = [];
  let run: Edit[] = [];
  const flush = () => {
    out.push(...run.filter((e) => e.op === "-"), ...run.filter((e) => e.op === "+"));
    run = [];
  };
  for (const edit of list) {
    if (edit.op === " ") {
      flush();
      out.push(edit);
    } else {
      run.push(edit);
    }
  }
  flush();
  return out;
}

/** `start,count` of a hunk's side, as diff writes it: no count for one line, the line before for none. */
function range(start: number, count: number): string {
  if (count === 1) return String(start);
  return `${count === 0 ? start - 1 : start},${count}`;
}

/** The hunks of a unified diff of two texts, with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, context = 3): Hunk[] {
  const list = edits(linesOf(before), linesOf(after));
  const changed = list.flatMap((e, index) => (e.op === " " ? [] : [index]));
  const hunks: Hunk[] = [];
  let k = 0;
  while (k < changed.length) {
    const first = changed[k];
    let last = first;
    // Changes closer than twice the context share one hunk, as in diff -u.
    while (k + 1 < changed.length && changed[k + 1] - last <= 2 * context + 1) last = changed[++k];
    k++;
    const from = Math.max(0, first - context);
    const to = Math.min(list.length, last + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (const e of list.slice(0, from)) {
      if (e.op !== "+") oldStart++;
      if (e.op !== "-") newStart++;
    }
    const part = list.slice(from, to);
    const oldCount = part.filter((e) => e.op !== "+").length;
    const newCount = part.filter((e) => e.op !== "-").length;
    hunks.push({
      header: `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`,
      lines: part.map((e) => `${e.op}${e.text}`),
    });
  }
  return hunks;
}
