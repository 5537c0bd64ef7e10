import { renderTemplate } from "./templates";

/** The node-side scripts of a relocated path. */
export interface RelocatedPathScripts {
  /** One line: `symlink <target>`, `directory`, `missing`, or the type stat names. */
  readonly read: string;
  /** Links the path to the volume again, keeping aside whatever stood in its place. */
  readonly repair: string;
}

/** Where a relocated path's data lives: the same path under the volume's mount point. */
export function relocationTarget(path: string, mountPoint: string): string {
  return `${mountPoint}${path}`;
}

export function relocatedPathScripts(path: string, mountPoint: string): RelocatedPathScripts {
  const view = { path, mountPoint, target: relocationTarget(path, mountPoint) };
  return {
    read: renderTemplate("remote-file/read-relocated-path.sh.mustache", view),
    repair: renderTemplate("remote-file/repair-relocated-path.sh.mustache", view),
  };
}
