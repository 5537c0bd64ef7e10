import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Cluster } from "../../model/cluster";
import { AuthkeysMaterial, planSteps } from "../../render/plan";
import { remoteCommand, Step, stepKey } from "../../render/step";

export const labDir = "/run/hacluster-lab";

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in a namespace of the lab: `ctl` is the LAN, the client and the ping node. */
export function inNamespace(
  ns: string,
  command: string[],
  input?: string,
  timeoutMs = 120_000,
): Run {
  const result = spawnSync("ip", ["netns", "exec", `hacl-${ns}`, ...command], {
    input,
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return {
    status: result.status ?? -1,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? String(result.error ?? ""),
  };
}

/** SSH from the client namespace to a node, host key pinned, as the program would connect. */
export function ssh(address: string, command: string, input?: string, timeoutMs?: number): Run {
  return inNamespace(
    "ctl",
    [
      "ssh",
      "-i",
      join(labDir, "lab_key"),
      "-o",
      `UserKnownHostsFile=${join(labDir, "known_hosts")}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      `root@${address}`,
      command,
    ],
    input,
    timeoutMs,
  );
}

/** The steps in an order Pulumi could run them: each after the step before it on its node and after its cross-node dependencies. */
export function runOrder(plan: readonly Step[][]): Step[] {
  const previous = new Map<string, string>();
  for (const steps of plan)
    steps.forEach((s, i) => i > 0 && previous.set(stepKey(s), stepKey(steps[i - 1])));
  const all = plan.flat();
  const done = new Set<string>();
  const order: Step[] = [];
  while (order.length < all.length) {
    const ready = all.find(
      (s) =>
        !done.has(stepKey(s)) &&
        [previous.get(stepKey(s)), ...s.after.map(stepKey)].every(
          (k) => k === undefined || done.has(k),
        ),
    );
    if (!ready) throw new Error("the plan's dependencies form a cycle");
    done.add(stepKey(ready));
    order.push(ready);
  }
  return order;
}

/** The lab's stand-in for the engine's RandomPassword: one key per rotation number, kept in the lab. */
export function labAuthkeys(rotation: number): AuthkeysMaterial {
  const dir = join(labDir, "authkeys");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = (n: number) => {
    const file = join(dir, String(n));
    if (!existsSync(file)) writeFileSync(file, randomBytes(20).toString("hex"), { mode: 0o600 });
    return readFileSync(file, "utf8");
  };
  return { current: key(rotation), previous: rotation > 0 ? key(rotation - 1) : undefined };
}

export interface StepResult {
  readonly node: string;
  readonly id: string;
  /** The step's last line: `changed: ...` or `unchanged: ...`. */
  readonly said: string;
  readonly ms: number;
}

/**
 * Applies the cluster's plan to the lab nodes: the same steps `pulumi up` runs, one SSH session
 * each, in dependency order. A failing step stops the run, as it stops `pulumi up`.
 */
export function applyPlan(cluster: Cluster, only?: (step: Step) => boolean): StepResult[] {
  const plan = planSteps(cluster, labAuthkeys(cluster.config.authkeysRotation));
  const address = new Map(cluster.nodes.map((n) => [n.name, n.ssh.host]));
  const user = new Map(cluster.nodes.map((n) => [n.name, n.ssh.user]));
  const results: StepResult[] = [];
  for (const step of runOrder(plan)) {
    if (only && !only(step)) continue;
    const started = Date.now();
    const run = ssh(
      address.get(step.node)!,
      remoteCommand(step.create, user.get(step.node)!),
      step.stdin ?? "",
    );
    if (run.status !== 0) {
      throw new Error(
        `step ${stepKey(step)} failed (exit ${run.status}): ${step.secret ? "[output of a secret step not shown]" : `${run.stdout}${run.stderr}`}`,
      );
    }
    const said = run.stdout.trimEnd().split("\n").pop() ?? "";
    results.push({
      node: step.node,
      id: step.id,
      said: step.secret ? said.replace(/[0-9a-f]{40}/g, "[secret]") : said,
      ms: Date.now() - started,
    });
  }
  return results;
}
