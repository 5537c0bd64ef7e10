import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineSecretPlaceholder } from "../../render/engine-secret";
import { diffStacks, StackDiff } from "../../render/plan-diff";
import { diffAsMarkdown } from "../../render/plan-diff-markdown";
import { diffAsText } from "../../render/plan-diff-text";
import { resourceName } from "../../render/plan-diff-words";
import { PlannedStep, RenderedStack, renderStack } from "../../render/rendered-stack";
import { impactOf } from "../../render/step-impact";
import { unifiedDiff } from "../../render/unified-diff";
import { projectDir } from "../support/stacks";

type Rendered = Extract<RenderedStack, { state: "rendered" }>;

const step = (node: string, id: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({
  node,
  id,
  component: "heartbeat",
  create: `echo ${id}`,
  delete: `rm ${id}`,
  secret: false,
  after: [],
  ...extra,
});
const planOf = (...plan: PlannedStep[][]): Rendered => ({ state: "rendered", nodes: [], plan });
const actions = (diff: StackDiff) => diff.steps.map((s) => `${s.action} ${resourceName(s)}`);

/** The prod stack as the working tree's program renders it, with its stack file edited. */
async function prodWith(edit: (stackFile: string) => string): Promise<Rendered> {
  const dir = mkdtempSync(join(tmpdir(), "plan-diff-"));
  copyFileSync(join(projectDir, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const stackFile = readFileSync(join(projectDir, "Pulumi.prod.yaml"), "utf8");
  writeFileSync(join(dir, "Pulumi.prod.yaml"), edit(stackFile));
  const rendered = await renderStack(projectDir, dir, "prod");
  rmSync(dir, { recursive: true, force: true });
  if (rendered.state !== "rendered") throw new Error(`prod did not render: ${rendered.state}`);
  return rendered;
}

const sides = { stack: "prod", base: "main (1a2b3c4)", head: "the working tree" };

describe("the steps a change runs, as the engine would", () => {
  it("updates a step whose script or file changed, and runs nothing for an unchanged one", () => {
    const base = planOf([step("a", "one"), step("a", "two", { stdin: "x" })]);
    const head = planOf([step("a", "one"), step("a", "two", { stdin: "y" })]);
    const diff = diffStacks(base, head);
    expect(actions(diff)).toEqual(["update a-two"]);
    expect(diff.steps[0].because).toEqual(["file changed"]);
    expect(diffStacks(base, base).steps).toEqual([]);
  });

  it("replaces a step whose triggers changed: new one first, the old one's delete at the end", () => {
    const base = planOf([step("a", "one", { triggers: ["1"] }), step("a", "two")]);
    const head = planOf([step("a", "one", { triggers: ["2"] }), step("a", "two", { create: "x" })]);
    expect(actions(diffStacks(base, head))).toEqual([
      "replace a-one",
      "update a-two",
      "delete-replaced a-one",
    ]);
  });

  it("replaces nothing for triggers an older release left, once the plan has none", () => {
    const base = planOf([step("a", "one", { triggers: ["1"] })]);
    const head = planOf([step("a", "one", { create: "new", deleteBeforeReplace: true })]);
    expect(actions(diffStacks(base, head))).toEqual(["update a-one"]);
  });

  it("deletes the old step first where the step deletes before replacing", () => {
    const base = planOf([step("a", "one", { triggers: ["1"] }), step("a", "two")]);
    const head = planOf([
      step("a", "one", { triggers: ["2"], deleteBeforeReplace: true }),
      step("a", "two"),
    ]);
    expect(actions(diffStacks(base, head))).toEqual([
      "delete-before-replace a-one",
      "replace a-one",
    ]);
  });

  it("creates new steps in place and deletes gone ones last, in reverse run order", () => {
    const base = planOf([
      step("a", "one"),
      step("a", "two"),
      step("a", "three", { delete: undefined }),
    ]);
    const head = planOf([step("a", "zero"), step("a", "one")]);
    const diff = diffStacks(base, head);
    expect(actions(diff)).toEqual(["create a-zero", "delete a-three", "delete a-two"]);
    expect(diff.steps.map((s) => s.runs)).toEqual([true, false, true]);
  });

  it("orders the steps of both nodes by their dependencies", () => {
    const plan = (create: string) =>
      planOf(
        [step("a", "up"), step("a", "start", { create, after: [{ node: "b", id: "up" }] })],
        [step("b", "up", { create })],
      );
    expect(actions(diffStacks(plan("1"), plan("2")))).toEqual(["update b-up", "update a-start"]);
  });
});

describe("what a reviewer is told to notice", () => {
  it("calls out steps that move resources or restart services, and no others", () => {
    expect(impactOf({ id: "heartbeat-start" }, "run")).toMatch(/takes the VIP/);
    expect(impactOf({ id: "relocate" }, "run")).toMatch(/stops a service/);
    expect(impactOf({ id: "relocate" }, "delete")).toMatch(/copy their data back/);
    expect(impactOf({ id: "drbd-config", readBy: "drbd" }, "run")).toMatch(/drbdadm adjust/);
    expect(impactOf({ id: "ha-cf", readBy: "heartbeat" }, "run")).toMatch(/heartbeat -r/);
    expect(impactOf({ id: "cron" }, "run")).toBeUndefined();
    expect(impactOf({ id: "apparmor-named", readBy: "apparmor" }, "run")).toBeUndefined();
    expect(impactOf({ id: "constructor" }, "run")).toBeUndefined();
  });
});

describe("a change to the prod stack", () => {
  let base: Rendered;
  beforeAll(async () => {
    base = await prodWith((s) => s);
  }, 30000);

  it("of heartbeat.deadtime shows the ha.cf line on both nodes and re-runs their ha.cf steps", async () => {
    const head = await prodWith((s) => s.replace("deadtime: 40", "deadtime: 45"));
    const diff = diffStacks(base, head);
    const haCf = diff.files.filter((f) => f.path === "/etc/ha.d/ha.cf");
    expect(haCf.map((f) => f.node)).toEqual(["proxycl1", "proxycl2"]);
    for (const change of haCf) {
      expect(change.hunks.flatMap((h) => h.lines).filter((l) => /^[-+]/.test(l))).toEqual([
        "-deadtime 40",
        "+deadtime 45",
      ]);
    }
    // Nothing else changes: no other file quotes the deadtime.
    expect(diff.files.map((f) => `${f.node}${f.path}`).sort()).toEqual([
      "proxycl1/etc/ha.d/ha.cf",
      "proxycl2/etc/ha.d/ha.cf",
    ]);
    expect(actions(diff).sort()).toEqual([
      "update proxycl1:/etc/ha.d/ha.cf",
      "update proxycl2:/etc/ha.d/ha.cf",
    ]);
    expect(diff.steps.every((s) => s.impact !== undefined)).toBe(true);
  });

  it("of authkeysRotation runs the authkeys steps only and shows no key", async () => {
    const head = await prodWith((s) =>
      s.replace("hacluster:preferredPrimary: proxycl1", "$&\n  hacluster:authkeysRotation: 1"),
    );
    const diff = diffStacks(base, head);
    expect(diff.files.map((f) => f.path)).toEqual(["/etc/ha.d/authkeys", "/etc/ha.d/authkeys"]);
    expect(diff.steps.length).toBeGreaterThan(0);
    expect(diff.steps.every((s) => s.id.startsWith("authkeys") && s.action === "update")).toBe(
      true,
    );
    const keyLines = diffAsText(diff, sides)
      .split("\n")
      .filter((l) => /^[-+]\d+ /.test(l));
    expect(keyLines).toEqual([
      `-1 sha1 ${engineSecretPlaceholder}`,
      `+2 sha1 ${engineSecretPlaceholder}`,
      `-1 sha1 ${engineSecretPlaceholder}`,
      `+2 sha1 ${engineSecretPlaceholder}`,
    ]);
  });

  it("never shows what stands after the method in a secret file, whoever rendered it", () => {
    const file = (content: string) => ({
      path: "/etc/ha.d/authkeys",
      mode: "0600",
      owner: "root",
      group: "root",
      secret: true,
      content,
    });
    const base: Rendered = {
      ...planOf(),
      nodes: [{ name: "a", files: [file("auth 1\n1 sha1 hunter2\n")] }],
    };
    const head: Rendered = {
      ...planOf(),
      nodes: [{ name: "a", files: [file("auth 2\n2 sha1 s3cr3t\n")] }],
    };
    const text = diffAsText(diffStacks(base, head), sides);
    expect(text).not.toMatch(/hunter2|s3cr3t/);
    expect(text).toContain("+2 sha1 <secret>");
  });

  it("is nothing when nothing changed", () => {
    const diff = diffStacks(base, base);
    expect(diff.files).toEqual([]);
    expect(diff.steps).toEqual([]);
    expect(diffAsText(diff, sides)).toContain("no changes");
  });

  it("against a base whose stack was invalid, shows the working tree against nothing", () => {
    const diff = diffStacks({ state: "invalid", problems: "deadtime 5 s is too short" }, base);
    expect(diff.baseNote).toEqual({ state: "invalid", text: "deadtime 5 s is too short" });
    expect(diff.files.every((f) => f.change === "added")).toBe(true);
    expect(diff.steps.every((s) => s.action === "create")).toBe(true);
    expect(diffAsText(diff, sides)).toContain("is invalid");
  });

  it("as a pull-request comment: a summary, each node collapsed, the steps as a table", async () => {
    const head = await prodWith((s) => s.replace("deadtime: 40", "deadtime: 45"));
    const markdown = diffAsMarkdown(diffStacks(base, head), sides);
    expect(markdown.startsWith("<!-- hacluster-diff stack=prod -->\n")).toBe(true);
    expect(markdown.match(/<details><summary><b>proxycl\d<\/b>/g)).toHaveLength(2);
    expect(markdown).toContain("| 1 | `~ update` | `proxycl1:/etc/ha.d/ha.cf` | file changed | ⚠️");
  });

  it("too long for a comment is cut, with a word on seeing it whole", () => {
    const long = (n: number) =>
      Array.from({ length: n }, (_, i) => `a line of a file of ${n} lines, line ${i}`).join("\n");
    const file = (content: string) => ({
      path: "/etc/big",
      mode: "0644",
      owner: "root",
      group: "root",
      secret: false,
      content,
    });
    const base: Rendered = { ...planOf(), nodes: [{ name: "a", files: [file(long(1000))] }] };
    const head: Rendered = { ...planOf(), nodes: [{ name: "a", files: [file(long(1001))] }] };
    const markdown = diffAsMarkdown(diffStacks(base, head), sides);
    expect(markdown.length).toBeLessThan(65536);
    expect(markdown).toContain("run `npm run diff` to see them all");
  });

  it("with thousands of files and steps, is cut between blocks and rows, never inside one", () => {
    const file = (i: number, content: string) => ({
      path: `/etc/hacluster-test/a-rather-long-directory-name/file-${i}.conf`,
      mode: "0644",
      owner: "root",
      group: "root",
      secret: false,
      content,
    });
    const nodes = (content: string) =>
      ["proxycl1", "proxycl2"].map((name) => ({
        name,
        files: Array.from({ length: 1500 }, (_, i) => file(i, `${content} ${i}\n`)),
      }));
    const steps = (version: string) =>
      ["proxycl1", "proxycl2"].map((node) =>
        Array.from({ length: 1500 }, (_, i) => step(node, `step-${i}`, { create: version })),
      );
    const base: Rendered = { state: "rendered", nodes: nodes("before"), plan: steps("1") };
    const head: Rendered = { state: "rendered", nodes: nodes("after"), plan: steps("2") };
    const markdown = diffAsMarkdown(diffStacks(base, head), sides);
    expect(markdown.length).toBeLessThanOrEqual(60_000);
    const lines = markdown.split("\n");
    expect(lines.filter((l) => l.startsWith("<details>")).length).toBe(
      lines.filter((l) => l === "</details>").length,
    );
    expect(lines.filter((l) => /^```/.test(l)).length % 2).toBe(0);
    expect(lines.filter((l) => l.startsWith("| ")).every((l) => l.endsWith(" |"))).toBe(true);
    expect(markdown).toContain("- **proxycl1**: 1500 files, too many to show here");
    expect(markdown).toMatch(
      /… \d+ more steps: run `npm run diff -- --stack prod` to see them all/,
    );
    expect(lines[lines.length - 1]).toBe("");
  });
});

describe("unifiedDiff", () => {
  it("writes hunks as diff -u does", () => {
    const before = "a\nb\nc\nd\ne\nf\ng\nh\n";
    const after = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
    expect(unifiedDiff(before, after)).toEqual([
      {
        header: "@@ -1,8 +1,9 @@",
        lines: [" a", " b", " c", "-d", "+D", " e", " f", " g", " h", "+i"],
      },
    ]);
    expect(unifiedDiff("", "x\n")).toEqual([{ header: "@@ -0,0 +1 @@", lines: ["+x"] }]);
    expect(unifiedDiff("x\n", "x\n")).toEqual([]);
  });

  it("shows a rewrite too large to align as all removed, then all added", () => {
    const lines = (tag: string) => Array.from({ length: 2100 }, (_, i) => `${tag}${i}`).join("\n");
    const [hunk] = unifiedDiff(lines("a"), lines("b"));
    expect(hunk.header).toBe("@@ -1,2100 +1,2100 @@");
    expect(hunk.lines.slice(2099, 2101)).toEqual(["-a2099", "+b0"]);
  });

  it("keeps changes far apart in hunks of their own", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = lines.map((l, i) => (i === 1 || i === 18 ? `${l}!` : l));
    const hunks = unifiedDiff(lines.join("\n"), changed.join("\n"));
    expect(hunks.map((h) => h.header)).toEqual(["@@ -1,5 +1,5 @@", "@@ -16,5 +16,5 @@"]);
  });
});
