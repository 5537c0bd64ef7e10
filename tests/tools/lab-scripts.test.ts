/**
 * The shell that runs the suite and the labs (scripts/, tests/lab, tests/vm) passes shellcheck
 * at its strictest: it creates namespaces, VMs and tmpfs mounts as root, and takes them down.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { projectDir } from "../support/stacks";

function shellScripts(dir: string): string[] {
  return readdirSync(join(projectDir, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? shellScripts(join(dir, entry.name))
      : entry.name.endsWith(".sh")
        ? [join(dir, entry.name)]
        : [],
  );
}

describe("the suite's and the labs' own scripts", () => {
  const scripts = ["scripts", "tests/lab", "tests/vm"].flatMap(shellScripts);

  it("are found: the suite's runner, its streams, the VM lab and the namespace lab", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "scripts/test.sh",
        "scripts/test-stream.sh",
        "tests/vm/vm.sh",
        "tests/vm/build-image.sh",
        "tests/lab/topology.sh",
      ]),
    );
  });

  it("pass shellcheck", () => {
    const run = spawnSync("shellcheck", ["-x", "--severity=style", ...scripts], {
      cwd: projectDir,
      encoding: "utf8",
    });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: "",
    });
  });
});
