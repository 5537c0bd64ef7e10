/**
 * `npm test` installs node_modules only when it has to: the first run of a fresh clone, and a
 * run after package-lock.json changed. `npm` is a stub here that counts its calls.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../support/scratch";

describe("scripts/node-modules.sh", () => {
  const clone = scratchDir("hacluster-clone-");
  const bin = join(clone, "stub-bin");
  mkdirSync(join(clone, "scripts"));
  mkdirSync(bin);
  cpSync(
    join(__dirname, "..", "..", "scripts", "node-modules.sh"),
    join(clone, "scripts", "node-modules.sh"),
  );
  writeFileSync(join(clone, "package-lock.json"), '{"lockfileVersion": 3}\n');
  writeFileSync(
    join(bin, "npm"),
    `#!/bin/sh\necho "$@" >>"${clone}/npm-calls"\nmkdir -p node_modules\n`,
    { mode: 0o755 },
  );
  const run = () => {
    const result = spawnSync("bash", [join(clone, "scripts", "node-modules.sh")], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(result.status).toBe(0);
    const calls = join(clone, "npm-calls");
    return existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n").length : 0;
  };

  it("runs npm ci once for two runs in a row, and again when the lock file changes", () => {
    expect(run()).toBe(1);
    expect(run()).toBe(1);
    writeFileSync(join(clone, "package-lock.json"), '{"lockfileVersion": 3, "changed": true}\n');
    expect(run()).toBe(2);
    expect(run()).toBe(2);
  });
});
