import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { secretMarker } from "./schema";
import type { RawStackConfig } from "./stack-config";

const namespace = "hacluster";

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi engine does before it starts
 * the program: project defaults first, the stack's values over them, every value turned into the
 * string the program would receive. Encrypted values stay encrypted: only their keys are known.
 */
export function readStackFiles(projectDir: string, stack: string): RawStackConfig {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();

  const project = parse(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, unknown>;
  };
  for (const [rawKey, declared] of Object.entries(project.config ?? {})) {
    const key = stripNamespace(rawKey);
    if (key === undefined) continue;
    const isDeclaration =
      declared !== null && typeof declared === "object" && !Array.isArray(declared);
    const value = isDeclaration ? (declared as { default?: unknown }).default : declared;
    if (value !== undefined) values[key] = asProgramString(value);
  }

  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    throw new Error(`no stack file ${stackFile}: create it with \`pulumi stack init ${stack}\``);
  }
  const stackDoc = parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> };
  for (const [rawKey, value] of Object.entries(stackDoc.config ?? {})) {
    const key = stripNamespace(rawKey);
    if (key === undefined) continue;
    if (value !== null && typeof value === "object" && "secure" in value) {
      secretKeys.add(key);
      values[key] = secretMarker;
    } else {
      // A secret set with --path (`nodes[0].bmc.password`) sits encrypted inside its key.
      values[key] = asProgramString(withoutNestedSecrets(value, key, secretKeys));
    }
  }
  return { values, secretKeys };
}

/** `value` with each nested `{ secure: ... }` as the marker, its key (`nodes[0].bmc.password`) noted. */
function withoutNestedSecrets(value: unknown, key: string, secretKeys: Set<string>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (!Array.isArray(value) && "secure" in value) {
    secretKeys.add(key);
    return secretMarker;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => withoutNestedSecrets(v, `${key}[${i}]`, secretKeys));
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, withoutNestedSecrets(v, `${key}.${k}`, secretKeys)]),
  );
}

/** `hacluster:nodes` → `nodes`; keys of other namespaces (providers' settings) are not ours. */
function stripNamespace(key: string): string | undefined {
  if (!key.includes(":")) return key;
  return key.startsWith(`${namespace}:`) ? key.slice(namespace.length + 1) : undefined;
}

/** Turns a config value into the string the Pulumi engine hands the program. */
export function asProgramString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The value inside such a string: structured values are JSON, anything else is kept as text. */
export function fromProgramString(text: string): unknown {
  return /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
}
