/** One thing wrong with a stack's config, said so that the user can fix it without reading code. */
export interface ConfigProblem {
  /** The key as typed after `pulumi config set --path`, such as `nodes[1].drbdDisk`. */
  readonly key: string;
  /** What is wrong, with the bad value. */
  readonly problem: string;
  /** What to do: a command or a change, concrete. */
  readonly fix: string;
}

/** `nodes[1].drbdDisk` from zod's path `["nodes", 1, "drbdDisk"]`. */
export function keyOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
    )
    .join("");
}

/** The command that sets a key: `--path` only where the key is nested. */
export function setCommand(key: string, value: string, secret = false): string {
  const nested = /[.[]/.test(key);
  const quoted = /^[A-Za-z0-9._:/@-]+$/.test(value) ? value : `'${value}'`;
  return `pulumi config set${secret ? " --secret" : ""}${nested ? " --path" : ""} '${key}' ${quoted}`;
}

export class ConfigError extends Error {
  constructor(
    // Not `stack`: that would hide Error's own `stack`, which Pulumi prints.
    readonly stackName: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(stackName, problems, "nothing was changed on any node"));
    this.name = "ConfigError";
  }

  /** The problems, headed by what the refusal left undone where it was raised. */
  report(outcome: string): string {
    return formatProblems(this.stackName, this.problems, outcome);
  }
}

function formatProblems(
  stack: string,
  problems: readonly ConfigProblem[],
  outcome: string,
): string {
  const lines = problems.map((p) => `  - hacluster:${p.key}: ${p.problem}\n    fix: ${p.fix}`);
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `stack "${stack}" config has ${count}; ${outcome}:\n${lines.join("\n")}`;
}
