import type { z } from "zod";
import { withoutBmcPasswords } from "./bmc-passwords";
import { crossChecks } from "./cross-checks";
import { ConfigError, ConfigProblem, keyOf, setCommand } from "./problem";
import { secretKeys, StackConfig, stackConfigSchema } from "./schema";
import { SchemaNode, unwrapSchema } from "./schema-walk";
import { fromProgramString } from "./stack-files";

/**
 * A stack's `hacluster:` config as the Pulumi engine hands it to a program: every value a
 * string, structured values as JSON, keys without the `hacluster:` namespace.
 */
export interface RawStackConfig {
  readonly values: Readonly<Record<string, string>>;
  /**
   * Keys whose value is stored encrypted (`pulumi config set --secret`), nested ones by their
   * path (`nodes[0].bmc.password`).
   */
  readonly secretKeys: ReadonlySet<string>;
}

const shape = stackConfigSchema.shape;
type TopKey = keyof typeof shape;
const topKeys = Object.keys(shape) as TopKey[];

/** What to type for a required key that is missing. */
const requiredExamples: Partial<Record<TopKey, string>> = {
  nodes:
    "pulumi config set --path 'nodes[0].name' proxycl1 (and the other node fields; see the README's configuration reference)",
  vip: "pulumi config set --path 'vip.address' 172.16.250.103 && pulumi config set --path 'vip.prefix' 24",
  stonith: "pulumi config set --path 'stonith.type' meatware",
};

/** Validates a stack's config and returns the typed model, or throws one error listing every problem. */
export function parseStackConfig(stack: string, raw: RawStackConfig): StackConfig {
  const problems: ConfigProblem[] = [];
  const parsed: Partial<Record<TopKey, unknown>> = {};

  for (const key of Object.keys(raw.values)) {
    if ((secretKeys as readonly string[]).includes(key)) {
      if (!raw.secretKeys.has(key)) {
        problems.push({
          key,
          problem: "is stored in plain text in the stack file",
          fix: `pulumi config set --secret '${key}' < FILE (this replaces the plain value)`,
        });
      }
    } else if (!(topKeys as string[]).includes(key)) {
      problems.push(unknownKey(key, topKeys));
    } else if (raw.secretKeys.has(key)) {
      problems.push(encryptedWhole(key as TopKey));
    }
  }

  for (const key of topKeys) {
    // Encrypted as a whole: its value cannot be read here (said above).
    if (raw.secretKeys.has(key)) continue;
    const text = raw.values[key];
    let value: unknown = text;
    if (text !== undefined) {
      try {
        value = fromProgramString(text);
      } catch {
        problems.push({
          key,
          problem: "is not valid structured config",
          fix: `rewrite hacluster:${key} in Pulumi.${stack}.yaml`,
        });
        continue;
      }
    }
    if (key === "nodes") {
      // Before anything parses it: no message may quote a BMC password.
      const redacted = withoutBmcPasswords(value, raw.secretKeys);
      value = redacted.nodes;
      problems.push(...redacted.problems);
    }
    const result = shape[key].safeParse(value);
    if (result.success) {
      parsed[key] = result.data;
    } else if (value === undefined) {
      problems.push({
        key,
        problem: "is required and not set",
        fix: requiredExamples[key] ?? setCommand(key, "VALUE"),
      });
    } else {
      problems.push(...result.error.issues.flatMap((issue) => fieldProblems(key, value, issue)));
      // A misspelt key alone should not hide the cross-checks of the rest of its section.
      if (result.error.issues.every((issue) => issue.code === "unrecognized_keys")) {
        const retry = shape[key].safeParse(withoutKeys(value, result.error.issues));
        if (retry.success) parsed[key] = retry.data;
      }
    }
  }

  for (const rule of crossChecks) {
    if (rule.needs.every((k) => k in parsed)) {
      problems.push(...rule.check(parsed as StackConfig));
    }
  }

  if (problems.length > 0) throw new ConfigError(stack, problems);
  return parsed as StackConfig;
}

/**
 * A setting stored encrypted as a whole (`pulumi config set --secret nodes '[...]'`): `render`
 * cannot read it, and it holds no secret but the BMC passwords, which are encrypted one by one.
 */
function encryptedWhole(key: TopKey): ConfigProblem {
  if (key === "nodes") {
    return {
      key,
      problem:
        "is stored encrypted as a whole (pulumi config set --secret nodes): the node list must be readable, and only each BMC password is a secret",
      fix: "pulumi config rm nodes, set the list again without --secret (pulumi config set --path 'nodes[0].name' proxycl1, and so on; see the README's configuration reference), then encrypt each BMC password alone: pulumi config set --secret --path 'nodes[i].bmc.password' < FILE",
    };
  }
  return {
    key,
    problem:
      "is stored encrypted (pulumi config set --secret), but holds no secret and must be readable",
    fix: `pulumi config rm ${key}, then set it again without --secret`,
  };
}

function fieldProblems(top: TopKey, value: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = [top, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    const parent = keyOf(path);
    return issue.keys.map((k) => unknownKey(keyOf([...path, k]), nestedKeys(parent) ?? [], parent));
  }
  const key = keyOf(path);
  const bad = valueAt(value, issue.path);
  const shown = bad === undefined ? "is missing" : `${JSON.stringify(bad)}`;
  const message =
    issue.code === "invalid_type" && bad === undefined ? "is required" : issue.message;
  // The project's own rules say what the value is ("is loopback", "must be..."); zod's own
  // messages ("Too big: ...") are not written that way.
  const predicate = issue.code === "custom" || message.startsWith("must");
  // A rule that knows the value to write instead gives it (schema.ts `refuse`).
  const fixValue: unknown = issue.code === "custom" ? issue.params?.fix : undefined;
  return [
    {
      key,
      problem:
        bad === undefined
          ? `${shown}: ${message}`
          : `${shown} ${predicate ? message : `is invalid: ${message}`}`,
      fix:
        typeof fixValue === "string"
          ? setCommand(key, fixValue)
          : setCommand(key, "VALUE") + ` (${message.replace(/^Invalid input: /, "")})`,
    },
  ];
}

function withoutKeys(value: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(value);
  for (const issue of issues) {
    const holder = valueAt(copy, issue.path) as Record<string, unknown>;
    if (issue.code === "unrecognized_keys") for (const k of issue.keys) delete holder[k];
  }
  return copy;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let here: unknown = value;
  for (const part of path) {
    if (here === null || typeof here !== "object") return undefined;
    here = (here as Record<PropertyKey, unknown>)[part];
  }
  return here;
}

function unknownKey(key: string, candidates: readonly string[], parent?: string): ConfigProblem {
  const leaf = key.slice(key.lastIndexOf(".") + 1);
  const near = nearest(leaf, candidates);
  return {
    key,
    problem: `is not a hacluster setting${near ? `; did you mean ${parent ? `${parent}.` : ""}${near}?` : ""}`,
    fix: `pulumi config rm${parent ? " --path" : ""} '${key}'${near ? ` and set ${parent ? `${parent}.` : ""}${near} instead` : ""}`,
  };
}

/** The schema's own key names for a nested object such as `heartbeat` or `nodes[0].ssh`. */
function nestedKeys(parent: string): string[] | undefined {
  let schema: SchemaNode | undefined = stackConfigSchema as unknown as SchemaNode;
  for (const part of parent
    .replace(/\[\d+\]/g, ".[]")
    .split(".")
    .filter(Boolean)) {
    const inner: SchemaNode = unwrapSchema(schema);
    schema = part === "[]" ? inner.def?.element : inner.shape?.[part];
    if (schema === undefined) return undefined;
  }
  const shape = unwrapSchema(schema).shape;
  return shape ? Object.keys(shape) : undefined;
}

function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
