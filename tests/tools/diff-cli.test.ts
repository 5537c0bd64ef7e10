import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineSecretPlaceholder } from "../../render/engine-secret";
import { projectDir } from "../support/stacks";

/** What `npm run diff` needs of this repository, copied into a throwaway one. */
const copied = [
  "model",
  "render",
  "templates",
  "bin",
  "Pulumi.yaml",
  "Pulumi.prod.yaml",
  "Pulumi.lab.yaml",
  "package.json",
  "tsconfig.json",
];

let repo: string;

function git(...args: string[]) {
  const run = spawnSync(
    "git",
    ["-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args],
    { cwd: repo, encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

function diff(...args: string[]) {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(repo, "bin", "diff.ts"), ...args],
    { cwd: repo, encoding: "utf8" },
  );
}

const prodFile = () => join(repo, "Pulumi.prod.yaml");
const editProd = (edit: (text: string) => string) =>
  writeFileSync(prodFile(), edit(readFileSync(prodFile(), "utf8")));

/** The lines of one file's diff in the text output, from its `---` line to the next file's. */
function section(output: string, nodeAndPath: string): string[] {
  const lines = output.split("\n");
  const start = lines.indexOf(`--- a/${nodeAndPath}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start + 1 && (l.startsWith("--- ") || l === ""));
  return lines.slice(start, end);
}

describe("npm run diff on a git repository", () => {
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "diff-repo-"));
    for (const entry of copied)
      cpSync(join(projectDir, entry), join(repo, entry), { recursive: true });
    symlinkSync(join(projectDir, "node_modules"), join(repo, "node_modules"), "dir");
    writeFileSync(join(repo, ".gitignore"), "node_modules\n");
    git("init", "--quiet", "--initial-branch=main");
    git("add", "--all");
    git("commit", "--quiet", "--message", "base");
  });

  afterEach(() => {
    git("checkout", "--quiet", "main");
    git("checkout", "--quiet", "--", ".");
  });

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("prints no changes and exits 0 for an unchanged tree, and leaves no worktree", () => {
    const result = diff("--stack", "prod", "--base", "main");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^stack "prod": base main \([0-9a-f]+\) → the working tree\n/);
    expect(result.stdout).toContain("\nno changes\n");
    expect(git("worktree", "list").trim().split("\n")).toHaveLength(1);
  }, 30000);

  it("shows a deadtime change as the ha.cf hunk on both nodes and names the steps it re-runs", () => {
    editProd((text) => text.replace("deadtime: 40", "deadtime: 45"));
    const result = diff("--stack", "prod", "--base", "main");
    expect(result.status).toBe(0);
    for (const node of ["proxycl1", "proxycl2"]) {
      expect(section(result.stdout, `${node}/etc/ha.d/ha.cf`)).toEqual([
        `--- a/${node}/etc/ha.d/ha.cf`,
        `+++ b/${node}/etc/ha.d/ha.cf`,
        "@@ -5,7 +5,7 @@",
        " debugfile /var/log/hadebug",
        " keepalive 1",
        " warntime 7",
        "-deadtime 40",
        "+deadtime 45",
        " initdead 120",
        " # udpport before the links, baud before serial: heartbeat reads them in order.",
        " udpport 694",
      ]);
    }
    const steps = result.stdout.split("steps that will run")[1];
    expect(steps.match(/ ~ update +\S+/g)?.map((s) => s.trim().split(/ +/).pop())).toEqual([
      "proxycl1:/etc/ha.d/ha.cf",
      "proxycl2:/etc/ha.d/ha.cf",
    ]);
    expect(steps).toContain("! heartbeat rereads its configuration");
  }, 30000);

  it("shows a rotation as the authkeys steps, and no key material", () => {
    editProd((text) =>
      text.replace("hacluster:preferredPrimary: proxycl1", "$&\n  hacluster:authkeysRotation: 1"),
    );
    for (const format of ["text", "markdown"]) {
      const result = diff("--stack", "prod", "--base", "main", "--format", format);
      expect(result.status).toBe(0);
      const named = [...result.stdout.matchAll(/proxycl\d[-:][a-z/.-]+(?=[` ])/g)].map((m) => m[0]);
      expect(new Set(named)).toEqual(
        new Set(
          ["proxycl1", "proxycl2"].flatMap((n) =>
            ["-authkeys-accept", "-authkeys-sign", ":/etc/ha.d/authkeys"].map((s) => `${n}${s}`),
          ),
        ),
      );
      // Every key line holds the placeholder; nothing looks like a generated key.
      const keyLines = result.stdout.split("\n").filter((l) => /^[-+ ]?\d+ sha1 /.test(l));
      expect(keyLines.length).toBeGreaterThan(0);
      for (const line of keyLines) expect(line).toMatch(/^[-+]?\d+ sha1 <SECRET: .*>$/);
      expect(result.stdout).toContain(engineSecretPlaceholder);
      expect(result.stdout).not.toMatch(/\b[A-Za-z0-9]{32,}\b/);
    }
  }, 60000);

  it("gives a pull-request comment with a collapsed section per node", () => {
    editProd((text) => text.replace("deadtime: 40", "deadtime: 45"));
    const result = diff("--stack", "prod", "--base", "main", "--format", "markdown");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^<!-- hacluster-diff stack=prod -->\n### Stack `prod`: /);
    expect(result.stdout.match(/<details><summary><b>proxycl[12]<\/b>/g)).toHaveLength(2);
    expect(result.stdout).toContain("| `~ update` | `proxycl2:/etc/ha.d/ha.cf` |");
  }, 30000);

  it("reports a base whose stack was invalid, and still shows the working tree", () => {
    editProd((text) => text.replace("deadtime: 40", "deadtime: 5"));
    git("checkout", "--quiet", "-b", "broken");
    git("commit", "--quiet", "--all", "--message", "an invalid deadtime");
    git("checkout", "--quiet", "main");
    const result = diff("--stack", "prod", "--base", "broken");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("is invalid, so the working tree is compared with nothing");
    expect(result.stdout).toContain("hacluster:heartbeat.deadtime: deadtime 5 s");
    expect(result.stdout).toContain("+++ b/proxycl1/etc/ha.d/ha.cf");
    expect(result.stdout).toContain("+ create");
    expect(git("worktree", "list").trim().split("\n")).toHaveLength(1);
    git("branch", "--quiet", "-D", "broken");
  }, 30000);

  it("exits 1 when the working tree's stack is invalid, and 2 on a usage error", () => {
    editProd((text) => text.replace("deadtime: 40", "deadtime: 5"));
    const invalid = diff("--stack", "prod", "--base", "main");
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain("cannot be rendered in the working tree");
    expect(diff("--stack", "prod", "--base", "no-such-ref").status).toBe(2);
    expect(diff("--stack", "prod").status).toBe(2);
    expect(diff("--stack", "prod", "--base", "main", "--format", "html").status).toBe(2);
    expect(diff("--stack", "staging", "--base", "main").status).toBe(2);
  }, 60000);
});
