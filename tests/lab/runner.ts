import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Cluster } from "../../model/cluster";
import type { AuthkeysMaterial } from "../../render/authkeys-stages";
import { planSteps } from "../../render/plan";
import { remoteCommand, sha256, Step, stepKey } from "../../render/step";

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

/** The ssh command line from the client namespace to a node, its host key pinned. */
export function sshArgs(address: string): string[] {
  return [
    "ssh",
    "-i",
    join(labDir, "lab_key"),
    "-o",
    `UserKnownHostsFile=${join(labDir, "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "ConnectTimeout=5",
    `root@${address}`,
  ];
}

/** Runs a command on a node over SSH, as the program would connect. */
export function ssh(address: string, command: string, input?: string, timeoutMs?: number): Run {
  return inNamespace(
    "ctl",
    [...sshArgs(address).slice(0, -1), "-o", "BatchMode=yes", `root@${address}`, command],
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
  /** False when the step was not run: its inputs were those last applied. */
  readonly ran: boolean;
  readonly ms: number;
}

/** What was last applied of each step, as Pulumi's state keeps a command's inputs. */
interface AppliedStep {
  readonly inputs: string;
  readonly triggers: string;
  readonly node: string;
  readonly address: string;
  readonly user: string;
  readonly delete?: string;
}

const statePath = join(labDir, "applied.json");
const loadState = (): Record<string, AppliedStep> =>
  existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
const saveState = (state: Record<string, AppliedStep>) =>
  writeFileSync(statePath, JSON.stringify(state), { mode: 0o600 });

/**
 * Applies the cluster's plan to the lab nodes as `pulumi up` would: one SSH session per step, in
 * dependency order, a step run only when its inputs differ from those last applied; a step whose
 * triggers changed is replaced (its new create runs, then its old delete, at the end); a step no
 * longer in the plan is deleted. `everyStep` runs every step, to show each one is idempotent.
 * A failing step stops the run, as it stops `pulumi up`; what ran before it stays applied.
 */
export function applyPlan(cluster: Cluster, options: { everyStep?: boolean } = {}): StepResult[] {
  const plan = planSteps(cluster, labAuthkeys(cluster.config.authkeysRotation));
  const address = new Map(cluster.nodes.map((n) => [n.name, n.ssh.host]));
  const user = new Map(cluster.nodes.map((n) => [n.name, n.ssh.user]));
  const state = loadState();
  const deletes: { key: string; applied: AppliedStep }[] = [];
  const results: StepResult[] = [];
  for (const step of runOrder(plan)) {
    const key = stepKey(step);
    const triggers = sha256(JSON.stringify(step.triggers));
    const inputs = sha256(JSON.stringify([step.create, step.delete, step.stdin, triggers]));
    const previous = state[key];
    if (!options.everyStep && previous?.inputs === inputs) {
      results.push({
        node: step.node,
        id: step.id,
        said: "unchanged: not run, nothing changed",
        ran: false,
        ms: 0,
      });
      continue;
    }
    const started = Date.now();
    const run = ssh(
      address.get(step.node)!,
      remoteCommand(step.create, user.get(step.node)!),
      step.stdin ?? "",
    );
    if (run.status !== 0) {
      throw new Error(
        `step ${key} failed (exit ${run.status}): ${step.secret ? "[output of a secret step not shown]" : `${run.stdout}${run.stderr}`}`,
      );
    }
    if (previous && previous.triggers !== triggers && previous.delete)
      deletes.push({ key, applied: previous });
    state[key] = {
      inputs,
      triggers,
      node: step.node,
      address: address.get(step.node)!,
      user: user.get(step.node)!,
      delete: step.delete,
    };
    saveState(state);
    const said = run.stdout.trimEnd().split("\n").pop() ?? "";
    results.push({ node: step.node, id: step.id, said, ran: true, ms: Date.now() - started });
  }
  const planned = new Set(plan.flat().map(stepKey));
  for (const [key, applied] of Object.entries(state)) {
    if (!planned.has(key)) deletes.push({ key, applied });
  }
  for (const { key, applied } of deletes.reverse()) {
    if (applied.delete) {
      const run = ssh(applied.address, remoteCommand(applied.delete, applied.user));
      if (run.status !== 0)
        throw new Error(`delete of ${key} failed (exit ${run.status}): ${run.stdout}${run.stderr}`);
      results.push({
        node: applied.node,
        id: `${key.split("/")[1]} (old, deleted)`,
        said: run.stdout.trimEnd().split("\n").pop() ?? "",
        ran: true,
        ms: 0,
      });
    }
    if (!planned.has(key)) delete state[key];
  }
  saveState(state);
  return results;
}

/**
 * As `pulumi destroy`: every applied step's delete, in the reverse of the order they were
 * applied. Returns what each delete said.
 */
export function destroyPlan(): { key: string; said: string }[] {
  const state = loadState();
  const results: { key: string; said: string }[] = [];
  for (const [key, applied] of Object.entries(state).reverse()) {
    if (applied.delete) {
      const run = ssh(applied.address, remoteCommand(applied.delete, applied.user));
      if (run.status !== 0)
        throw new Error(`delete of ${key} failed (exit ${run.status}): ${run.stdout}${run.stderr}`);
      results.push({ key, said: run.stdout.trimEnd().split("\n").pop() ?? "" });
    }
    delete state[key];
    saveState(state);
  }
  return results;
}
