import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import type { Cluster } from "../../model/cluster";
import { Drift, driftOf, liveSteps } from "../../render/drift";
import { takesBmcPassword, withBmcPassword } from "../../render/engine-secret";
import { planSteps } from "../../render/plan";
import { runWaves } from "../../render/run-order";
import { remoteCommand, sha256, Step, stepKey } from "../../render/step";

export const labDir = "/run/hacluster-lab";

/**
 * Where the runner applies a plan from: the network namespace its ssh runs in, the key and pinned
 * host keys it connects with, the file keeping what it applied (Pulumi's state) and the folder of
 * the lab's authkeys. The namespace lab's by default; the VM lab has its own (tests/vm).
 */
export interface LabTarget {
  /** The network namespace to run ssh from (`ip netns exec`), in full. */
  readonly namespace: string;
  readonly key: string;
  readonly knownHosts: string;
  /** What was applied, as Pulumi's state keeps it. */
  readonly state: string;
  /** The lab's stand-in for the engine's RandomPassword: one key per rotation number. */
  readonly authkeys: string;
  /**
   * The file of the lab's BMC password, for a stack fencing through IPMI: the runner puts it in
   * stonith.cfg, as the engine puts the stack's secret there.
   */
  readonly bmcPassword?: string;
  /** How long one SSH session (a step, a refresh) may take; two minutes unless told. */
  readonly timeoutMs?: number;
}

/** The namespace lab (tests/lab): ssh from `hacl-ctl`, its state under /run/hacluster-lab. */
export const namespaceLab: LabTarget = {
  namespace: "hacl-ctl",
  key: join(labDir, "lab_key"),
  knownHosts: join(labDir, "known_hosts"),
  state: join(labDir, "applied.json"),
  authkeys: join(labDir, "authkeys"),
};

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
  return inFullNamespace(`hacl-${ns}`, command, input, timeoutMs);
}

/** The ssh command line from the client namespace to a node, its host key pinned. */
export function sshArgs(address: string, target: LabTarget = namespaceLab): string[] {
  return [
    "ssh",
    "-i",
    target.key,
    "-o",
    `UserKnownHostsFile=${target.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "ConnectTimeout=5",
    `root@${address}`,
  ];
}

/** Runs a command in a namespace given in full (`hacl-ctl`, `hacl-vm-lab`). */
export function inFullNamespace(
  namespace: string,
  command: string[],
  input?: string,
  timeoutMs = 120_000,
): Run {
  const result = spawnSync("ip", ["netns", "exec", namespace, ...command], {
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

/** Runs a command on a node over SSH, as the program would connect. */
export function ssh(
  address: string,
  command: string,
  input?: string,
  timeoutMs?: number,
  target: LabTarget = namespaceLab,
): Run {
  return inFullNamespace(
    target.namespace,
    [...sshArgs(address, target).slice(0, -1), "-o", "BatchMode=yes", `root@${address}`, command],
    input,
    timeoutMs ?? target.timeoutMs,
  );
}

/**
 * Runs commands on nodes side by side (tests/lab/side-by-side.sh), as the engine runs steps
 * that do not wait for each other; one command runs directly. Inputs go through files in a
 * private folder of the lab's state (tmpfs), removed after.
 */
export function sshSideBySide(
  runs: readonly { address: string; command: string; input: string }[],
  target: LabTarget = namespaceLab,
): Run[] {
  if (runs.length === 1)
    return [ssh(runs[0].address, runs[0].command, runs[0].input, undefined, target)];
  const batch = mkdtempSync(join(dirname(target.state), "side-by-side-"));
  try {
    runs.forEach((r, i) => {
      const words = [
        "ip",
        "netns",
        "exec",
        target.namespace,
        ...sshArgs(r.address, target).slice(0, -1),
        "-o",
        "BatchMode=yes",
        `root@${r.address}`,
        r.command,
      ];
      writeFileSync(join(batch, `${i}.args`), words.map((w) => `${w}\0`).join(""), { mode: 0o600 });
      writeFileSync(join(batch, `${i}.in`), r.input, { mode: 0o600 });
    });
    const run = spawnSync("bash", [join(__dirname, "side-by-side.sh"), batch], {
      stdio: "ignore",
      timeout: target.timeoutMs ?? 120_000,
    });
    return runs.map((_, i) => {
      const read = (ext: string) =>
        existsSync(join(batch, `${i}.${ext}`))
          ? readFileSync(join(batch, `${i}.${ext}`), "utf8")
          : "";
      const rc = read("rc").trim();
      return {
        status: rc === "" ? -1 : Number(rc),
        stdout: read("out"),
        stderr:
          read("err") || (rc === "" ? `no exit status (${run.error?.message ?? "killed"})` : ""),
      };
    });
  } finally {
    rmSync(batch, { recursive: true, force: true });
  }
}

/** The lab's stand-in for the engine's RandomPassword: one key per rotation number, kept in the lab. */
export function labAuthkey(rotation: number, target: LabTarget = namespaceLab): string {
  const dir = target.authkeys;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, String(rotation));
  if (!existsSync(file)) writeFileSync(file, randomBytes(20).toString("hex"), { mode: 0o600 });
  return readFileSync(file, "utf8");
}

/** A step as the engine hands it over: stonith.cfg with the BMC password in its place. */
function withLabSecrets(step: Step, target: LabTarget): Step {
  if (!takesBmcPassword(step) || !step.stdin) return step;
  if (!target.bmcPassword) throw new Error(`${stepKey(step)}: the lab has no BMC password`);
  const password = readFileSync(target.bmcPassword, "utf8").trim();
  return { ...step, stdin: withBmcPassword(step.stdin, password) };
}

export interface StepResult {
  readonly node: string;
  readonly id: string;
  /** The step's last line: `changed: ...` or `unchanged: ...`. */
  readonly said: string;
  /** False when the step was not run: its inputs were those last applied. */
  readonly ran: boolean;
  readonly ms: number;
  /** Why a step whose inputs had not changed ran: what the refresh found drifted. */
  readonly drift?: string;
}

/** What was last applied of each step, as Pulumi's state keeps a command's inputs. */
interface AppliedStep {
  readonly inputs: string;
  readonly node: string;
  readonly address: string;
  readonly user: string;
  readonly delete?: string;
}

const loadState = (target: LabTarget): Record<string, AppliedStep> =>
  existsSync(target.state) ? JSON.parse(readFileSync(target.state, "utf8")) : {};
const saveState = (target: LabTarget, state: Record<string, AppliedStep>) =>
  writeFileSync(target.state, JSON.stringify(state), { mode: 0o600 });

/**
 * What each file and relocated path of the plan is on its node, as `pulumi refresh` reads it:
 * every read script of a node in one SSH session, each in its own subshell. A node that cannot
 * be read throws: never "no drift".
 */
export function refresh(
  cluster: Cluster,
  plan: readonly Step[][],
  target: LabTarget = namespaceLab,
): Map<string, Drift> {
  const drifted = new Map<string, Drift>();
  for (const node of cluster.nodes) {
    const steps = liveSteps(plan).filter((s) => s.node === node.name);
    const batch = steps
      .map((s) => `echo '@@${s.id}'\n( ${s.read} ) 2>&1 || echo "read-failed $?"`)
      .join("\n");
    const run = ssh(
      node.ssh.host,
      remoteCommand(batch, node.ssh.user),
      undefined,
      undefined,
      target,
    );
    if (run.status !== 0)
      throw new Error(`refresh of ${node.name} failed: ${run.stdout}${run.stderr}`);
    const said = new Map<string, string>();
    let current = "";
    for (const line of run.stdout.split("\n")) {
      if (line.startsWith("@@")) current = line.slice(2);
      else if (line.trim() !== "") said.set(current, line);
    }
    for (const step of steps) {
      const line = said.get(step.id) ?? "";
      if (line.startsWith("read-failed")) throw new Error(`${node.name}/${step.id}: ${line}`);
      const drift = driftOf(step, line);
      if (drift) drifted.set(stepKey(step), drift);
    }
  }
  return drifted;
}

export interface ApplyOptions {
  /** Run every step, changed or not, to show each one is idempotent. */
  readonly everyStep?: boolean;
  /** Steps (`node/id`) to replace, as `pulumi up --replace` does. */
  readonly replace?: readonly string[];
  /** Changes each step before it is applied: a later release of the program. */
  readonly upgrade?: (step: Step) => Step;
  /** Read the live state first, as `pulumi up --refresh` does (the default). */
  readonly refresh?: boolean;
  /** Where to apply from: the namespace lab unless told. */
  readonly target?: LabTarget;
}

const lastLine = (text: string) => text.trimEnd().split("\n").pop() ?? "";

/**
 * Applies the cluster's plan to the lab nodes as `pulumi up --refresh` would: the live state of
 * every file and relocated path read first, then one SSH session per step, in dependency order.
 * A step whose inputs are those last applied, and whose live state did not drift, does not run;
 * one whose inputs changed or whose live state drifted is updated (its create runs again); a step asked to be replaced is deleted first and
 * then created (every step is `deleteBeforeReplace`); a step no longer in the plan is deleted,
 * after everything else. A failing step stops the run, as it stops `pulumi up`; what ran before
 * it stays applied.
 */
export function applyPlan(cluster: Cluster, options: ApplyOptions = {}): StepResult[] {
  const upgrade = options.upgrade ?? ((step: Step) => step);
  const target = options.target ?? namespaceLab;
  const plan = planSteps(cluster, labAuthkey(cluster.config.authkeysRotation, target)).map(
    (steps) => steps.map((step) => upgrade(withLabSecrets(step, target))),
  );
  const address = new Map(cluster.nodes.map((n) => [n.name, n.ssh.host]));
  const user = new Map(cluster.nodes.map((n) => [n.name, n.ssh.user]));
  const state = loadState(target);
  const drifted =
    options.refresh === false ? new Map<string, Drift>() : refresh(cluster, plan, target);
  const results: StepResult[] = [];
  const runDelete = (key: string, applied: AppliedStep, why: string) => {
    if (!applied.delete) return;
    results.push({
      node: applied.node,
      id: `${key.split("/")[1]} (${why})`,
      said: appliedDelete(key, applied, target),
      ran: true,
      ms: 0,
    });
  };
  for (const wave of runWaves(plan)) {
    const due: { step: Step; key: string; inputs: string; drift?: Drift; replacing: boolean }[] =
      [];
    for (const step of wave) {
      const key = stepKey(step);
      const inputs = sha256(JSON.stringify([step.create, step.delete, step.stdin]));
      const previous = state[key];
      const replacing = previous !== undefined && (options.replace ?? []).includes(key);
      const drift = previous === undefined ? undefined : drifted.get(key);
      if (!options.everyStep && !replacing && !drift && previous?.inputs === inputs) {
        results.push({
          node: step.node,
          id: step.id,
          said: "unchanged: not run, nothing changed",
          ran: false,
          ms: 0,
        });
      } else due.push({ step, key, inputs, drift, replacing });
    }
    // A replacement runs alone, so that its delete comes right before its create.
    const batches = due.some((d) => d.replacing) ? due.map((d) => [d]) : due.length ? [due] : [];
    for (const batch of batches) {
      for (const { key, replacing, step } of batch) {
        if (replacing && step.deleteBeforeReplace) {
          runDelete(key, state[key], "replaced, deleted first");
          delete state[key];
          saveState(target, state);
        }
      }
      const started = Date.now();
      const runs = sshSideBySide(
        batch.map(({ step }) => ({
          address: address.get(step.node)!,
          command: remoteCommand(step.create, user.get(step.node)!),
          input: step.stdin ?? "",
        })),
        target,
      );
      const failures: string[] = [];
      batch.forEach(({ step, key, inputs, drift, replacing }, i) => {
        const run = runs[i];
        if (run.status !== 0) {
          failures.push(
            `step ${key} failed (exit ${run.status}): ${step.secret ? "[output of a secret step not shown]" : `${run.stdout}${run.stderr}`}`,
          );
          return;
        }
        const previous = state[key];
        if (replacing && !step.deleteBeforeReplace)
          runDelete(key, previous, "replaced, old deleted");
        state[key] = {
          inputs,
          node: step.node,
          address: address.get(step.node)!,
          user: user.get(step.node)!,
          delete: step.delete,
        };
        results.push({
          node: step.node,
          id: step.id,
          said: lastLine(run.stdout),
          ran: true,
          ms: Date.now() - started,
          ...(drift ? { drift: drift.differs } : {}),
        });
      });
      saveState(target, state);
      if (failures.length > 0) throw new Error(failures.join("\n"));
    }
  }
  const planned = new Set(plan.flat().map(stepKey));
  for (const [key, applied] of Object.entries(state).reverse()) {
    if (planned.has(key)) continue;
    runDelete(key, applied, "removed");
    delete state[key];
    saveState(target, state);
  }
  return results;
}

/** Runs the delete an applied step kept, as the engine runs the one in its state; what it said. */
function appliedDelete(key: string, applied: AppliedStep, target: LabTarget): string {
  const run = ssh(
    applied.address,
    remoteCommand(applied.delete!, applied.user),
    undefined,
    undefined,
    target,
  );
  if (run.status !== 0)
    throw new Error(`delete of ${key} failed (exit ${run.status}): ${run.stdout}${run.stderr}`);
  return lastLine(run.stdout);
}

/**
 * As `pulumi destroy`: every applied step's delete, in the reverse of the order they were
 * applied. Returns what each delete said.
 */
export function destroyPlan(target: LabTarget = namespaceLab): { key: string; said: string }[] {
  const state = loadState(target);
  const results: { key: string; said: string }[] = [];
  for (const [key, applied] of Object.entries(state).reverse()) {
    if (applied.delete) results.push({ key, said: appliedDelete(key, applied, target) });
    delete state[key];
    saveState(target, state);
  }
  return results;
}
