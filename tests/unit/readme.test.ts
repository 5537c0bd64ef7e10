import { readFileSync } from "node:fs";
import { join } from "node:path";
import { secretKeys, stackConfigSchema } from "../../model/schema";
import { SchemaNode, unwrapSchema } from "../../model/schema-walk";
import { projectDir } from "../support/stacks";
import { runbook, runbookNames } from "../vm/runbook";

/** Every key a user can set, as the README writes it: `heartbeat.deadtime`, `nodes[i].name`. */
function keysOf(schema: SchemaNode, prefix: string): string[] {
  const inner = unwrapSchema(schema);
  if (inner.shape) {
    return Object.entries(inner.shape).flatMap(([k, v]) =>
      keysOf(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  // The node list is documented field by field; other lists as a whole.
  if (inner.def?.type === "array" && prefix === "nodes")
    return keysOf(inner.def.element!, "nodes[i]");
  return [prefix];
}

describe("the README's configuration reference", () => {
  const readme = readFileSync(join(projectDir, "README.md"), "utf8");
  const keys = [...keysOf(stackConfigSchema as unknown as SchemaNode, ""), ...secretKeys];

  it("documents every key the program accepts", () => {
    expect(keys.length).toBeGreaterThan(60);
    expect(keys.filter((key) => !readme.includes(`| \`${key}\` |`))).toEqual([]);
  });
});

describe("the README's recovery runbooks", () => {
  it("holds every runbook the VM lab runs, each a non-empty sh block", () => {
    const suite = readFileSync(join(projectDir, "tests", "vm", "cluster-suite.ts"), "utf8");
    const used = [...new Set([...suite.matchAll(/runbook\("([a-z0-9-]+)"\)/g)].map((m) => m[1]))];
    expect(used.length).toBeGreaterThan(3);
    expect(runbookNames().sort()).toEqual(used.sort());
    for (const name of used) expect(runbook(name).trim()).not.toBe("");
  });
});
