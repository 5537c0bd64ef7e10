import { fileDrift, parseFileReading } from "./live-file";
import { parsePathReading, pathDrift } from "./live-path";
import type { Step } from "./step";

/** One thing on one node that is not as the stack says: `proxycl2:/etc/ha.d/ha.cf checksum`. */
export interface Drift {
  readonly node: string;
  readonly path: string;
  /** What differs, said for a person: `mode 0644, want 0600`. */
  readonly differs: string;
}

/** The steps a refresh reads back: files and relocated paths. */
export function liveSteps(plan: readonly Step[][]): Step[] {
  return plan.flat().filter((s) => s.read !== undefined && s.resource !== undefined);
}

/**
 * What differs between what a step's read script said on its node and what the stack wants:
 * nothing (undefined) when it matches, or when the node cannot see it (a file on the replicated
 * volume, on the node that does not hold it). The same comparison as the dynamic providers'.
 */
export function driftOf(step: Step, readLine: string): Drift | undefined {
  const resource = step.resource;
  if (resource === undefined) return undefined;
  if (resource.kind === "relocated-path") {
    const live = parsePathReading(readLine);
    if (pathDrift(resource.target, live).length === 0) return undefined;
    const found = live.found === "symlink" ? `a symlink to ${live.linkTarget}` : `${live.found}`;
    return {
      node: step.node,
      path: resource.path,
      differs: `${found}, want a symlink to ${resource.target}`,
    };
  }
  const reading = parseFileReading(readLine);
  if ("volumeElsewhere" in reading) return undefined;
  const { file, sha256 } = resource;
  const wanted = { sha256, mode: file.mode, owner: file.owner, group: file.group };
  const differs = fileDrift(wanted, reading.seen);
  if (differs.length === 0) return undefined;
  const said = differs.map((k) => {
    if (k === "exists") return reading.notAFile ? `a ${reading.notAFile}, want a file` : "missing";
    if (k === "sha256")
      return file.secret ? "content changed (secret: not shown)" : "content changed";
    return `${k} ${reading.seen[k]}, want ${wanted[k]}`;
  });
  return { node: step.node, path: file.path, differs: said.join(", ") };
}

export const driftLine = (d: Drift): string => `${d.node}:${d.path} ${d.differs}`;
