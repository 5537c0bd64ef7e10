import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

/** A mistake in how the command was called: reported with the usage, exit 2. */
export class UsageError extends Error {}

function git(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const run = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (run.error) throw new UsageError(`git could not be run: ${run.error.message}`);
  return { ok: run.status === 0, out: run.stdout.trim(), err: run.stderr.trim() };
}

/** The commit a ref names, in the repository that holds `projectDir`. */
export function resolveBase(projectDir: string, ref: string): { sha: string; short: string } {
  const top = git(projectDir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new UsageError(`${projectDir} is not in a git repository: ${top.err}`);
  const sha = git(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!sha.ok) {
    throw new UsageError(
      `git ref "${ref}" names no commit here (in CI, fetch it first: git fetch origin main)`,
    );
  }
  return { sha: sha.out, short: git(projectDir, ["rev-parse", "--short", sha.out]).out };
}

/**
 * Runs `use` on a temporary worktree of `sha`: the base's own code and stack files, with this
 * tree's node_modules linked in (the base is rendered, not installed). The worktree is removed
 * afterwards, whatever happens, also on Ctrl-C.
 */
export async function withBaseTree<T>(
  projectDir: string,
  sha: string,
  use: (baseProjectDir: string) => Promise<T>,
): Promise<T> {
  const top = realpathSync(git(projectDir, ["rev-parse", "--show-toplevel"]).out);
  const place = mkdtempSync(join(tmpdir(), "hacluster-base-"));
  const tree = join(place, "tree");
  const modules = join(tree, relative(top, realpathSync(projectDir)), "node_modules");
  const cleanUp = () => {
    // The link first: removing the worktree must never reach into the shared node_modules.
    if (lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(modules);
    git(top, ["worktree", "remove", "--force", tree]);
    rmSync(place, { recursive: true, force: true });
    git(top, ["worktree", "prune"]);
  };
  const interrupted = () => {
    cleanUp();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const added = git(top, ["worktree", "add", "--detach", "--quiet", tree, sha]);
    if (!added.ok) throw new Error(`git worktree add failed: ${added.err}`);
    const baseProject = join(tree, relative(top, realpathSync(projectDir)));
    const ours = join(projectDir, "node_modules");
    if (
      existsSync(baseProject) &&
      existsSync(ours) &&
      !lstatSync(modules, { throwIfNoEntry: false })
    ) {
      symlinkSync(realpathSync(ours), modules, "dir");
    }
    return await use(baseProject);
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    cleanUp();
  }
}
