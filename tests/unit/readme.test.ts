import { readFileSync } from "node:fs";
import { join } from "node:path";
import { secretKeys, stackConfigSchema } from "../../model/schema";
import { SchemaNode, unwrapSchema } from "../../model/schema-walk";
import { projectDir } from "../support/stacks";

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
