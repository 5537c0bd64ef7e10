/** A file as its read script found it on the node. */
export interface LiveFile {
  /** A regular file is there (for a block, the file holds the hacluster block). */
  readonly exists: boolean;
  /** sha256 of what it holds, secrets masked as render/file-step.ts's fingerprintOf does. */
  readonly sha256: string;
  /** Four octal digits, as the program writes modes: "0644". */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
}

/** What a read script says: the file as found, or that the node cannot see it at all. */
export type FileReading =
  { readonly seen: LiveFile; readonly notAFile?: string } | { readonly volumeElsewhere: true };

/** A file that is not there. */
export const absentFile: LiveFile = { exists: false, sha256: "", mode: "", owner: "", group: "" };

/** The read script's line, parsed; anything else is an error naming the line. */
export function parseFileReading(line: string): FileReading {
  const [word, ...rest] = line.trim().split(" ");
  if (word === "volume-elsewhere") return { volumeElsewhere: true };
  if (word === "missing") return { seen: absentFile };
  if (word === "not-a-file") return { seen: absentFile, notAFile: rest.join(" ") };
  if (word === "present" && rest.length === 4 && /^[0-7]{3,4}$/.test(rest[0])) {
    const [mode, owner, group, sha256] = rest;
    return { seen: { exists: true, sha256, mode: mode.padStart(4, "0"), owner, group } };
  }
  throw new Error(`the node's read script said ${JSON.stringify(line)}`);
}

/** What a file should be: the same names as LiveFile, so that state and preview line up. */
export type WantedFile = Pick<LiveFile, "sha256" | "mode" | "owner" | "group">;

/** The properties in which the file on the node differs from the wanted one. */
export function fileDrift(wanted: WantedFile, live: LiveFile): (keyof LiveFile)[] {
  if (!live.exists) return ["exists"];
  return (["sha256", "mode", "owner", "group"] as const).filter((k) => wanted[k] !== live[k]);
}
