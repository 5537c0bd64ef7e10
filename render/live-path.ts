/** A relocated path as its read script found it on the node. */
export interface LivePath {
  /** `symlink`, `directory`, `missing`, or the type stat names (`regular file`). */
  readonly found: string;
  /** Where the symlink points; empty when the path is no symlink. */
  readonly linkTarget: string;
}

export function parsePathReading(line: string): LivePath {
  const text = line.trim();
  if (text.startsWith("symlink ")) return { found: "symlink", linkTarget: text.slice(8) };
  if (text === "") throw new Error("the node's read script said nothing");
  return { found: text, linkTarget: "" };
}

/** The properties in which the path differs from a symlink to `target`. */
export function pathDrift(target: string, live: LivePath): (keyof LivePath)[] {
  if (live.found !== "symlink") return ["found"];
  return live.linkTarget === target ? [] : ["linkTarget"];
}

/** What a repair kept aside, from its `changed: kept <path> as <aside>; ...` line. */
export function keptAsideBy(said: string): string {
  return / kept \S+ as (\S+);/.exec(said)?.[1] ?? "";
}
