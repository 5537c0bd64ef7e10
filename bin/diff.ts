import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { diffStacks } from "../render/plan-diff";
import { diffAsMarkdown } from "../render/plan-diff-markdown";
import { diffAsText } from "../render/plan-diff-text";
import { renderStack } from "../render/rendered-stack";
import { resolveBase, UsageError, withBaseTree } from "./base-tree";

const usage =
  "usage: npm run diff -- --stack STACK --base GIT_REF [--format text|markdown] [--project DIR]";

/**
 * Exit codes: 0 with the diff or "no changes" (a change is not an error); 1 when the working
 * tree's stack cannot be rendered (it could not be deployed either); 2 on a usage error.
 */
async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        base: { type: "string" },
        format: { type: "string", default: "text" },
        project: { type: "string", default: process.cwd() },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const { stack, base, format } = args;
  if (!stack || !base || (format !== "text" && format !== "markdown")) {
    console.error(usage);
    return 2;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) {
    console.error(`error: "${stack}" is not a stack name\n${usage}`);
    return 2;
  }
  const project = resolve(args.project ?? ".");

  try {
    const commit = resolveBase(project, base);
    const before = await withBaseTree(project, commit.sha, (baseProject) =>
      renderStack(baseProject, baseProject, stack),
    );
    const after = await renderStack(project, project, stack);
    if (after.state === "absent" && before.state === "absent") {
      throw new UsageError(`no stack "${stack}": Pulumi.${stack}.yaml is in neither tree`);
    }
    if (after.state !== "rendered") {
      console.error(
        after.state === "absent"
          ? `stack "${stack}": Pulumi.${stack}.yaml is gone from the working tree; nothing to compare`
          : `stack "${stack}" cannot be rendered in the working tree:\n${after.problems}`,
      );
      return 1;
    }
    const label = commit.sha.startsWith(base) ? commit.short : `${base} (${commit.short})`;
    const sides = { stack, base: label, head: "the working tree" };
    const diff = diffStacks(before, after);
    process.stdout.write(
      format === "markdown" ? diffAsMarkdown(diff, sides) : diffAsText(diff, sides),
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${usage}`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
