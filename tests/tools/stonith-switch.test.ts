/**
 * A running heartbeat 3.0.6 switched from meatware to external/ipmi and back by the program's
 * own step scripts (render/plan.ts), applied as the lab's runner and the engine apply them: a
 * step runs when its scripts or content changed, and a step that left the plan runs its delete
 * after everything else. On one node in namespaces of its own (tests/support/heartbeat-node.ts),
 * ipmitool a recorder. What holds the BMC password must never reach a log, a backup, a command
 * line or the wrong plugin, and no `pulumi up` may fail for good.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { takesBmcPassword, withBmcPassword } from "../../render/engine-secret";
import { planSteps } from "../../render/plan";
import { sha256, Step } from "../../render/step";
import { HeartbeatNode } from "../support/heartbeat-node";
import { ipmiCluster } from "../support/ipmi";
import { clusterOf, stackValues, withValue } from "../support/stacks";

jest.setTimeout(240_000);

const passwords = ["Pw-first-4f1c", "Pw-again-9b2e"];
const lab = stackValues("lab");
/** The steps that differ between the two plugins, and heartbeat's own config. */
const switched = [
  "heartbeat-unit-env",
  "heartbeat-defaults",
  "stonith-ipmi-cfg",
  "stonith-cfg",
  "ha-cf",
];
/** ha.cf for one node alone on this machine: the plan's, with the links and times of the test. */
const haCfBody = [
  "logfile /var/log/ha-log",
  "debugfile /var/log/ha-debug",
  // The peer never answers: declared dead after initdead, and fenced. Heartbeat stops only
  // once that is done.
  "keepalive 1",
  "warntime 3",
  "deadtime 5",
  "initdead 6",
  "udpport 694",
  "ucast eth0 192.168.0.2",
  "auto_failback off",
  "node proxycl1",
  "node proxycl2",
  "crm off",
];

/** proxycl1's steps of a plan, as the engine hands them over: the BMC password in its place. */
function stepsOf(type: "meatware" | "external/ipmi", password = passwords[0]): Step[] {
  const cluster =
    type === "meatware"
      ? clusterOf("lab", withValue(lab, "stonith", { type }))
      : ipmiCluster("lab", lab);
  return planSteps(cluster, "k".repeat(40))[0]
    .filter((s) => switched.includes(s.id))
    .map((s) => {
      if (takesBmcPassword(s)) return { ...s, stdin: withBmcPassword(s.stdin!, password) };
      if (s.id !== "ha-cf") return s;
      // The plan's header, dopd and STONITH lines; the links and times of the test.
      const lines = s.stdin!.split("\n");
      const kept = lines.filter((l) =>
        /^(respawn hacluster \/usr\/libexec\/heartbeat\/dopd$|apiauth |stonith )/.test(l),
      );
      return { ...s, stdin: [...lines.slice(0, 2), ...haCfBody, ...kept, ""].join("\n") };
    });
}

interface Applied {
  readonly inputs: string;
  readonly delete?: string;
}
interface Up {
  /** What each step that ran said last, by id; deletes as `<id> (removed)`. */
  readonly said: Record<string, string>;
  readonly failed?: { readonly id: string; readonly stderr: string };
}

let node: HeartbeatNode;
/** The state, as the lab's runner keeps it: by step id (one node), in the order applied. */
const state = new Map<string, Applied>();

/** One `pulumi up` of `steps`, with the semantics of tests/lab/runner.ts's applyPlan. */
async function up(steps: Step[]): Promise<Up> {
  const said: Record<string, string> = {};
  for (const step of steps) {
    const inputs = sha256(JSON.stringify([step.create, step.delete, step.stdin]));
    if (state.get(step.id)?.inputs === inputs) continue;
    const logged = haLog().length;
    const run = node.run(step.create, step.stdin);
    if (run.status !== 0) return { said, failed: { id: step.id, stderr: run.stderr } };
    said[step.id] = lastLine(run.stdout);
    state.set(step.id, { inputs, delete: step.delete });
    if (said[step.id].includes("heartbeat reloaded")) await reloaded(logged);
  }
  for (const [id, applied] of [...state].reverse()) {
    if (steps.some((s) => s.id === id)) continue;
    if (applied.delete) said[`${id} (removed)`] = lastLine(node.must(applied.delete));
    state.delete(id);
  }
  return { said };
}

const lastLine = (text: string) => text.trimEnd().split("\n").pop() ?? "";
const haLog = () => node.haLog();
/** Waits until heartbeat's log, from `offset` on, matches `done`, and heartbeat runs. */
async function settled(offset: number, done: RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const since = haLog().slice(offset);
    if (done.test(since) && node.run("/usr/libexec/heartbeat/heartbeat -s").status === 0) break;
    if (Date.now() > deadline) throw new Error(`heartbeat did not settle:\n${since}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
}
/** A start, from the log's `offset` on. */
const started = (offset: number) => settled(offset, /Configuration validated\. Starting heartbeat/);
/** A reload: the daemon found its config unchanged, or executed itself again. */
const reloaded = (offset: number) =>
  settled(
    offset,
    /Signalling heartbeat pid[^]*(Configuration unchanged|restart exec[^]*Configuration validated\. Starting heartbeat)/,
  );
/** heartbeat's first fencing of its silent peer, with meatware: the operator confirms it. */
async function fencedByMeatware(offset: number): Promise<void> {
  await settled(offset, /Run "meatclient -c proxycl2"/);
  node.must("echo y | meatclient -c proxycl2 >/dev/null");
  await settled(offset, /Resources being acquired from proxycl2/);
}
/**
 * Whether the running heartbeat has the plugin's environment, as the dopd it respawns shows it
 * (heartbeat's own /proc entry shows its process title there instead).
 */
async function runsWithEnvironment(): Promise<boolean> {
  const dopdOf = [
    "read -r pid </var/run/heartbeat.pid",
    "for p in /proc/[0-9]*; do",
    `  if [ "$(cat $p/comm 2>/dev/null)" = dopd ] && grep -qx "PPid:[[:blank:]]*$pid" $p/status; then tr '\\0' '\\n' <$p/environ; fi`,
    "done",
  ].join("\n");
  const deadline = Date.now() + 20_000;
  for (;;) {
    const environment = node.must(dopdOf);
    if (environment.includes("HA_")) return environment.split("\n").includes("passwd_method=env");
    if (Date.now() > deadline) throw new Error("heartbeat started no dopd");
    await new Promise((r) => setTimeout(r, 200));
  }
}
/** Every file under a folder of the node, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}
/** The node's files (logs, backups, config, records) that hold a password. */
const holdingPasswords = (...dirs: string[]) =>
  dirs
    .flatMap((d) => filesUnder(node.local(d)))
    .filter((f) => passwords.some((p) => readFileSync(f, "latin1").includes(p)))
    .map((f) => f.slice(node.dir.length + 1));
const stonithLine = () =>
  readFileSync(node.local("etc/ha.d/ha.cf"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("stonith "));

beforeAll(async () => {
  node = new HeartbeatNode();
  await node.start();
  node.must(
    [
      "printf 'proxycl1 IPaddr::192.168.0.50/24/eth0\\n' >/etc/ha.d/haresources",
      "printf 'auth 1\\n1 sha1 0123456789abcdef0123456789abcdef01234567\\n' >/etc/ha.d/authkeys",
      "chmod 600 /etc/ha.d/authkeys",
    ].join("; "),
  );
});
afterAll(() => node?.stop());

describe("a running heartbeat switched between meatware and external/ipmi", () => {
  it("runs meatware, started before any switch: without the plugin's environment", async () => {
    const first = await up(stepsOf("meatware"));
    expect(first.failed).toBeUndefined();
    expect(stonithLine()).toBe("stonith meatware /etc/ha.d/stonith.cfg");
    node.must("env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/libexec/heartbeat/heartbeat");
    await started(0);
    expect(await runsWithEnvironment()).toBe(false);
    await fencedByMeatware(0);
  });

  it("refuses to reload it into external/ipmi, saying what to do, and reloads nothing", async () => {
    const result = await up(stepsOf("external/ipmi"));
    expect(result.said["heartbeat-unit-env"]).toMatch(
      /^changed: .*hacluster-stonith.conf \(read at heartbeat's next start; heartbeat \(pid \d+\) runs without it until then, and its next reload is refused: restart heartbeat on the standby node/,
    );
    expect(result.failed?.id).toBe("stonith-ipmi-cfg");
    expect(result.failed?.stderr).toMatch(
      /^hacluster: proxycl1: heartbeat \(pid \d+\) runs without passwd_method=env in its environment .*nothing was reloaded\. Fix: restart heartbeat on the standby node \(systemctl restart heartbeat\), run \/usr\/share\/heartbeat\/hb_standby on the node that holds the services so that the standby node takes them, restart heartbeat on that node too, then run pulumi up again\n$/,
    );
    expect(result.failed?.stderr).not.toContain(passwords[0]);
    expect(stonithLine()).toBe("stonith meatware /etc/ha.d/stonith.cfg");
    expect(node.ipmitoolRuns()).toEqual([]);
    // Failed again, the same way, until heartbeat is restarted.
    expect((await up(stepsOf("external/ipmi"))).failed?.id).toBe("stonith-ipmi-cfg");
  });

  it("reloads it into external/ipmi once restarted with the environment (its init script)", async () => {
    node.must("/etc/init.d/heartbeat stop >/dev/null");
    const offset = haLog().length;
    node.must("/etc/init.d/heartbeat start >/dev/null");
    await started(offset);
    expect(await runsWithEnvironment()).toBe(true);
    await fencedByMeatware(offset);
    const result = await up(stepsOf("external/ipmi"));
    expect(result.failed).toBeUndefined();
    expect(result.said).toEqual({
      "stonith-ipmi-cfg": "changed: /etc/ha.d/stonith-ipmi.cfg (heartbeat reloaded)",
      "stonith-cfg": "unchanged: /etc/ha.d/stonith.cfg",
      "ha-cf": "changed: /etc/ha.d/ha.cf (heartbeat reloaded)",
    });
    expect(stonithLine()).toBe("stonith external/ipmi /etc/ha.d/stonith-ipmi.cfg");
    expect(await runsWithEnvironment()).toBe(true);
    // Both `heartbeat -r` and the daemon it re-executes ask the BMC; the daemon may fence.
    const runs = node.ipmitoolRuns();
    expect(runs).toContain(
      "-I lanplus -C 3 -H 10.250.0.12 -U fence -E power status | IPMI_PASSWORD set: yes",
    );
    for (const run of runs) {
      expect(run).toMatch(
        /^-I lanplus -C 3 -H 10\.250\.0\.12 -U fence -E power (status|reset) \| IPMI_PASSWORD set: yes$/,
      );
    }
    expect(await up(stepsOf("external/ipmi"))).toEqual({ said: {} });
  });

  it("writes a BMC password set again, and only that file", async () => {
    const result = await up(stepsOf("external/ipmi", passwords[1]));
    expect(result).toEqual({
      said: { "stonith-ipmi-cfg": "changed: /etc/ha.d/stonith-ipmi.cfg (heartbeat reloaded)" },
    });
    expect(readFileSync(node.local("etc/ha.d/stonith-ipmi.cfg"), "utf8")).toContain(
      ` fence ${passwords[1]} lanplus -C 3\n`,
    );
  });

  it("switches back to meatware in one `up`, and the next changes nothing", async () => {
    const before = node.ipmitoolRuns().length;
    const result = await up(stepsOf("meatware"));
    expect(result).toEqual({
      said: {
        "stonith-cfg": "unchanged: /etc/ha.d/stonith.cfg",
        "ha-cf": "changed: /etc/ha.d/ha.cf (heartbeat reloaded)",
        "stonith-ipmi-cfg (removed)": "changed: /etc/ha.d/stonith-ipmi.cfg removed",
        "heartbeat-defaults (removed)":
          "changed: hacluster block removed from /etc/default/heartbeat",
        "heartbeat-unit-env (removed)":
          "changed: /etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf removed",
      },
    });
    expect(stonithLine()).toBe("stonith meatware /etc/ha.d/stonith.cfg");
    expect(node.run("/usr/libexec/heartbeat/heartbeat -s").status).toBe(0);
    // The reload that leaves external/ipmi runs it in no process.
    expect(node.ipmitoolRuns().slice(before)).toEqual([]);
    expect(await up(stepsOf("meatware"))).toEqual({ said: {} });
  });

  it("left the password in no log, backup, record or config, and on no command line", () => {
    expect(holdingPasswords("log", "backups", "lib", "etc/ha.d", "etc/default")).toEqual([]);
    expect(node.ipmitoolRuns().filter((r) => r.includes("given -P"))).toEqual([]);
    expect(haLog()).toContain("Signalling heartbeat pid");
  });
});
