/**
 * The remote steps' scripts: shellcheck on every one, and the file steps run for real, as root,
 * in a private mount namespace whose /etc, /var/backups and /var/lib are copies in a temp folder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { planSteps } from "../../render/plan";
import { remoteCommand, Step } from "../../render/step";
import { ipmiCluster } from "../support/ipmi";
import { released } from "../support/release";
import { clusterOf, stackValues, withValue } from "../support/stacks";
import { scratchDir } from "../support/scratch";

const key = "k".repeat(40);
const planOf = (stack: string, values = stackValues(stack), authkey = key) =>
  planSteps(clusterOf(stack, values), authkey);
const stepOf = (plan: Step[][], id: string, node = 0) => plan[node].find((s) => s.id === id)!;

const sourceBuilt = withValue(stackValues("lab"), "drbd.kernelModule", {
  mode: "source",
  url: "https://example.org/drbd-8.4.11-1.tar.gz",
  sha256: "0".repeat(64),
});
const dkms = withValue(stackValues("lab"), "drbd.kernelModule", {
  mode: "dkms",
  package: "drbd-dkms",
});

describe.each([
  ["prod", stackValues("prod")],
  ["lab", stackValues("lab")],
  ["lab, DRBD from source", sourceBuilt],
  ["lab, DRBD from DKMS", dkms],
])("the %s stack's steps", (_name, values) => {
  const stack = _name.startsWith("prod") ? "prod" : "lab";
  it("pass shellcheck, create and delete", () => {
    const dir = scratchDir("hacluster-steps-");
    const files: string[] = [];
    for (const step of planOf(stack, values).flat()) {
      for (const [kind, script] of [
        ["create", step.create],
        ["delete", step.delete],
      ] as const) {
        if (script === undefined) continue;
        const path = join(dir, `${step.node}-${step.id}.${kind}.sh`);
        writeFileSync(path, `#!/bin/sh\n${script}`);
        files.push(path);
      }
    }
    expect(files.length).toBeGreaterThan(80);
    const result = spawnSync("shellcheck", ["-s", "sh", ...files], { encoding: "utf8" });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it("end with a `changed` or `unchanged` line on every path", () => {
    for (const step of planOf(stack, values).flat()) {
      expect([step.id, /echo "?(\$result|changed|unchanged)/.test(step.create)]).toEqual([
        step.id,
        true,
      ]);
    }
  });
});

describe("the steps of a stack fenced through BMCs (external/ipmi)", () => {
  it("pass shellcheck and end with a `changed` or `unchanged` line", () => {
    const dir = scratchDir("hacluster-steps-");
    const plan = planSteps(ipmiCluster("lab", stackValues("lab")), key).flat();
    const files = plan.flatMap((step) =>
      [step.create, step.delete].flatMap((script, i) => {
        if (script === undefined) return [];
        const path = join(dir, `${step.node}-${step.id}.${i}.sh`);
        writeFileSync(path, `#!/bin/sh\n${script}`);
        return [path];
      }),
    );
    expect(plan.map((s) => s.id)).toContain("heartbeat-unit-env");
    const result = spawnSync("shellcheck", ["-s", "sh", ...files], { encoding: "utf8" });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
    for (const step of plan) {
      expect([step.id, /echo "?(\$result|changed|unchanged)/.test(step.create)]).toEqual([
        step.id,
        true,
      ]);
    }
  });
});

describe("heartbeat's environment for external/ipmi on a node", () => {
  const plan = planSteps(ipmiCluster("lab", stackValues("lab")), key);
  // No systemd and no heartbeat there: only the files are at stake.
  const withoutSystemd = (script: string) => `mount -t tmpfs tmpfs /run\n${script}`;

  it("adds its block to the node's own /etc/default/heartbeat, and takes only it away", () => {
    const node = new Sandbox();
    writeFileSync(join(node.root, "etc", "default", "heartbeat"), 'HA_OPTS="-d"\n');
    const defaults = stepOf(plan, "heartbeat-defaults");
    expect(node.run(withoutSystemd(defaults.create), defaults.stdin)).toBe(
      "changed: /etc/default/heartbeat (read at heartbeat's next start)",
    );
    expect(node.read("/etc/default/heartbeat")).toBe(`${defaults.stdin}HA_OPTS="-d"\n`);
    expect(node.run(withoutSystemd(defaults.create), defaults.stdin)).toBe(
      "unchanged: /etc/default/heartbeat",
    );
    expect(node.run(withoutSystemd(defaults.delete!))).toBe(
      "changed: hacluster block removed from /etc/default/heartbeat",
    );
    expect(node.read("/etc/default/heartbeat")).toBe('HA_OPTS="-d"\n');
  });

  it("writes the systemd drop-in and removes it on delete", () => {
    const node = new Sandbox();
    const dropIn = stepOf(plan, "heartbeat-unit-env");
    const path = "/etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf";
    expect(node.run(withoutSystemd(dropIn.create), dropIn.stdin)).toBe(
      `changed: ${path} (read at heartbeat's next start)`,
    );
    expect(node.read(path)).toBe(dropIn.stdin);
    expect(node.run(withoutSystemd(dropIn.delete!))).toBe(`changed: ${path} removed`);
    expect(node.exists(path)).toBe(false);
  });
});

describe("a reload of heartbeat into external/ipmi", () => {
  const haCf = stepOf(planSteps(ipmiCluster("lab", stackValues("lab")), key), "ha-cf");
  /**
   * ha.cf's step on a node whose heartbeat is a stand-in that runs (`-s`) and writes down each
   * reload with the environment it got; `running` sets up its pid file and the programs it
   * started. Says the step's exit, the reloads, and the step's last line.
   */
  function reloadWith(running: string): string {
    const node = new Sandbox();
    const script = [
      "mount -t tmpfs tmpfs /run",
      "mkdir -p /run/fake",
      'printf \'#!/bin/sh\\ncase "$1" in -r) echo "reload:${passwd_method:-none}" >>/run/fake/reloads ;; esac\\n\' >/run/fake/heartbeat',
      "chmod 755 /run/fake/heartbeat",
      "mount --bind /run/fake/heartbeat /usr/libexec/heartbeat/heartbeat",
      running,
      `( ${haCf.create}\n) >/run/fake/out 2>&1`,
      "rc=$?",
      // What the stand-in started is ended by its PIDs.
      'if [ -n "${parent:-}" ]; then kill "$(cat /run/fake/child)" "$parent"; fi',
      'printf "exit %s | %s | %s\\n" "$rc" "$(cat /run/fake/reloads 2>/dev/null)" "$(tail -n 1 /run/fake/out)"',
    ].join("\n");
    return node.run(script, haCf.stdin);
  }
  /** A heartbeat whose pid file pads its number, as heartbeat's does, and one program it started. */
  const heartbeatWith = (environment: string) =>
    [
      `sh -c '${environment} sleep 30 & echo $! >/run/fake/child; wait' </dev/null >/dev/null 2>&1 &`,
      "parent=$!",
      'sleep 0.3; printf "%10d\\n" "$parent" >/run/heartbeat.pid',
    ].join("\n");

  it("reloads a heartbeat whose programs show passwd_method=env, with it", () => {
    expect(reloadWith(heartbeatWith("env HA_debug=0 passwd_method=env"))).toBe(
      "exit 0 | reload:env | changed: /etc/ha.d/ha.cf (heartbeat reloaded)",
    );
  });

  it.each([
    [
      "runs without passwd_method=env",
      heartbeatWith("env HA_debug=0"),
      "runs without passwd_method=env in its environment",
    ],
    ["started no program that shows its environment", heartbeatWith("env -i"), "cannot be told"],
    ["has no pid file", "", "names no process"],
  ])("refuses a heartbeat that %s, saying why, and reloads nothing", (_what, running, why) => {
    const said = reloadWith(running);
    expect(said).toMatch(/^exit 1 \|  \| hacluster: /);
    expect(said).toContain(why);
    expect(said).toContain("nothing was reloaded. Fix: restart heartbeat on the standby node");
  });
});

/** A node's /etc, /var/backups and /var/lib, in a temp folder; scripts run with them mounted. */
class Sandbox {
  readonly root = scratchDir("hacluster-node-");
  constructor() {
    for (const dir of ["etc", "backups", "lib"]) mkdirSync(join(this.root, dir));
    spawnSync("cp", ["-a", "/etc/.", join(this.root, "etc")]);
    writeFileSync(join(this.root, "etc", "hosts"), "127.0.0.1 localhost\n10.9.9.9 printer\n");
  }
  run(script: string, stdin = ""): string {
    const mounts = [
      `mount --bind ${this.root}/etc /etc`,
      `mount --bind ${this.root}/backups /var/backups`,
      `mount --bind ${this.root}/lib /var/lib`,
    ].join(" && ");
    const result = spawnSync(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", `${mounts} && exec sh -c "$0"`, script],
      {
        input: stdin,
        encoding: "utf8",
      },
    );
    if (result.status !== 0) throw new Error(`script failed (${result.status}): ${result.stderr}`);
    return result.stdout.trim().split("\n").pop()!;
  }
  create(step: Step): string {
    return this.run(step.create, step.stdin);
  }
  destroy(step: Step): string {
    return this.run(step.delete!);
  }
  read(path: string): string {
    return readFileSync(
      join(this.root, path.replace(/^\/etc\//, "etc/").replace(/^\/var\/backups\//, "backups/")),
      "utf8",
    );
  }
  exists(path: string): boolean {
    return existsSync(
      join(this.root, path.replace(/^\/etc\//, "etc/").replace(/^\/var\/backups\//, "backups/")),
    );
  }
  mode(path: string): string {
    return (statSync(join(this.root, path.replace(/^\/etc\//, "etc/"))).mode & 0o777).toString(8);
  }
}

describe("a file step on a node", () => {
  const plan = planOf("lab");

  it("writes the file once; a second run changes nothing and says so", () => {
    const node = new Sandbox();
    const cron = stepOf(plan, "cron");
    expect(node.create(cron)).toBe("changed: /etc/cron.d/hacluster");
    expect(node.read("/etc/cron.d/hacluster")).toBe(cron.stdin);
    expect(node.mode("/etc/cron.d/hacluster")).toBe("644");
    expect(node.create(cron)).toBe("unchanged: /etc/cron.d/hacluster");
  });

  it("keeps what the node had, and gives it back on destroy", () => {
    const node = new Sandbox();
    writeFileSync(join(node.root, "etc", "resolv.conf"), "nameserver 10.0.0.53\n");
    const resolv = stepOf(plan, "resolv-conf");
    expect(node.create(resolv)).toBe("changed: /etc/resolv.conf");
    expect(node.read("/var/backups/hacluster/files/etc/resolv.conf")).toBe(
      "nameserver 10.0.0.53\n",
    );
    expect(node.read("/etc/resolv.conf")).toContain("nameserver 172.16.250.103\n");
    expect(node.destroy(resolv)).toBe("changed: /etc/resolv.conf restored from before hacluster");
    expect(node.read("/etc/resolv.conf")).toBe("nameserver 10.0.0.53\n");
  });

  it("puts its /etc/hosts block first, replaces it in place, and takes only it away", () => {
    const node = new Sandbox();
    const hosts = stepOf(plan, "hosts");
    node.create(hosts);
    expect(node.read("/etc/hosts")).toBe(`${hosts.stdin}127.0.0.1 localhost\n10.9.9.9 printer\n`);
    writeFileSync(join(node.root, "etc", "hosts"), node.read("/etc/hosts") + "10.9.9.10 scanner\n");
    const renamed = stepOf(
      planOf("lab", withValue(stackValues("lab"), "vip.name", "proxyvip")),
      "hosts",
    );
    expect(node.create(renamed)).toBe("changed: /etc/hosts");
    expect(node.read("/etc/hosts")).toBe(
      `${renamed.stdin}127.0.0.1 localhost\n10.9.9.9 printer\n10.9.9.10 scanner\n`,
    );
    expect(node.destroy(renamed)).toBe("changed: hacluster block removed from /etc/hosts");
    expect(node.read("/etc/hosts")).toBe(
      "127.0.0.1 localhost\n10.9.9.9 printer\n10.9.9.10 scanner\n",
    );
  });

  it("changes nothing in /etc/hosts when its block lost its END line", () => {
    const node = new Sandbox();
    const hosts = stepOf(plan, "hosts");
    node.create(hosts);
    const broken = node.read("/etc/hosts").replace(/^# END hacluster.*\n/m, "");
    writeFileSync(join(node.root, "etc", "hosts"), broken);
    expect(() => node.create(hosts)).toThrow(
      /has a '# BEGIN hacluster' line and no '# END hacluster'/,
    );
    expect(node.read("/etc/hosts")).toBe(broken);
    expect(node.run(hosts.read!)).toBe("not-a-file hacluster block without its END line");
  });

  it("is never undone by an older version of its step", () => {
    const node = new Sandbox();
    const before = stepOf(plan, "logrotate");
    const after = stepOf(
      planOf("lab", withValue(stackValues("lab"), "logrotate.rotate", 9)),
      "logrotate",
    );
    node.create(before);
    node.create(after);
    expect(node.destroy(before)).toBe(
      "unchanged: /etc/logrotate.d/heartbeat was applied since by another step or version; left as it is",
    );
    expect(node.read("/etc/logrotate.d/heartbeat")).toBe(after.stdin);
  });

  it("is never undone by the step of a node that was renamed (the engine deletes it last)", () => {
    const node = new Sandbox();
    const renamed = withValue(
      withValue(stackValues("lab"), "nodes[0].name", "proxyone"),
      "preferredPrimary",
      "proxyone",
    );
    const before = stepOf(plan, "cron");
    const after = stepOf(planOf("lab", renamed), "cron");
    expect(after.stdin).toBe(before.stdin);
    node.create(before);
    node.create(after);
    expect(node.destroy(before)).toMatch(/^unchanged: .* applied since by another step or version/);
    expect(node.exists("/etc/cron.d/hacluster")).toBe(true);
  });

  it("moves the config of a renamed DRBD resource aside, so no two files define one device", () => {
    const node = new Sandbox();
    node.create(stepOf(plan, "drbd-config"));
    const renamed = stepOf(
      planOf("lab", withValue(stackValues("lab"), "drbd.resource", "data")),
      "drbd-config",
    );
    expect(node.create(renamed)).toMatch(
      /^changed: \/etc\/drbd.d\/data.res; moved \/etc\/drbd.d\/r0.res aside to \/var\/backups\/hacluster\/superseded$/,
    );
    expect(node.exists("/etc/drbd.d/r0.res")).toBe(false);
    expect(node.exists("/etc/drbd.d/data.res")).toBe(true);
    // Debian's own global_common.conf is no resource of ours: it stays.
    expect(node.exists("/etc/drbd.d/global_common.conf")).toBe(true);
  });

  it.each([
    [
      "restarts timesyncd where it keeps the time",
      "exit 0",
      /\(timesyncd restarted\)$/,
      /enable[\s\S]*restart/,
    ],
    [
      "leaves the file to a node that keeps time with another daemon",
      "exit 1",
      /\(not used: another time daemon keeps the time here\)$/,
      /^$/,
    ],
  ])("timesyncd's file %s", (_how, unitExists, said, calls) => {
    const node = new Sandbox();
    const stubDir = scratchDir("hacluster-stubs-");
    writeFileSync(
      join(stubDir, "systemctl"),
      `#!/bin/sh\ncase "$1" in cat) ${unitExists} ;; *) echo "$@" >>${stubDir}/calls ;; esac\n`,
      { mode: 0o755 },
    );
    const withNtp = withValue(stackValues("lab"), "ntpServers", ["ntp.example.org"]);
    const step = stepOf(planOf("lab", withNtp), "timesyncd");
    // systemd runs (its runtime folder exists), and systemctl is the stub.
    const script = `mount -t tmpfs none /run && mkdir -p /run/systemd/system && PATH=${stubDir}:$PATH; export PATH; ${step.create}`;
    expect(node.run(script, step.stdin)).toMatch(said);
    const recorded = existsSync(join(stubDir, "calls"))
      ? readFileSync(join(stubDir, "calls"), "utf8")
      : "";
    expect(recorded).toMatch(calls);
  });

  it("keeps its file when a new release writes the same content with another mode", () => {
    const node = new Sandbox();
    const before = stepOf(plan, "logrotate");
    const after = released(before, (script) =>
      script.replace("chmod '0644'", "chmod '0640'").replace("'644 root root'", "'640 root root'"),
    );
    node.create(before);
    expect(node.create(after)).toBe("changed: /etc/logrotate.d/heartbeat");
    expect(node.mode("/etc/logrotate.d/heartbeat")).toBe("640");
    // Whatever order an engine runs them in, the older version's delete leaves the file.
    expect(node.destroy(before)).toMatch(/^unchanged: .* applied since by another step or version/);
    expect(node.read("/etc/logrotate.d/heartbeat")).toBe(before.stdin);
    expect(node.destroy(after)).toMatch(
      /^changed: \/etc\/logrotate.d\/heartbeat (removed|restored from before hacluster)$/,
    );
  });

  it("writes authkeys with mode 600 and removes it on destroy without knowing the key", () => {
    const node = new Sandbox();
    const authkeys = stepOf(plan, "authkeys");
    expect(authkeys.create).not.toContain(key);
    expect(authkeys.delete).not.toContain(key);
    node.create(authkeys);
    expect(node.mode("/etc/ha.d/authkeys")).toBe("600");
    expect(node.read("/etc/ha.d/authkeys")).toContain(`\n1 sha1 ${key}\n`);
    expect(node.destroy(authkeys)).toBe("changed: /etc/ha.d/authkeys removed");
    expect(node.exists("/etc/ha.d/authkeys")).toBe(false);
  });

  it("writes nothing on the replicated volume of a node that does not hold it", () => {
    const node = new Sandbox();
    const squidConf = stepOf(plan, "squid-conf", 1);
    expect(node.create(squidConf)).toBe(
      "unchanged: /replicated is not mounted on " +
        spawnSync("uname", ["-n"], { encoding: "utf8" }).stdout.trim() +
        "; the node that holds it writes /replicated/etc/squid/squid.conf",
    );
  });
});

describe("the authkeys stages of a rotation", () => {
  const [keyA, keyB, keyC] = ["a", "b", "c"].map((c) => c.repeat(40));
  const stage = (rotation: number, authkey: string, id: string) =>
    stepOf(
      planOf("lab", withValue(stackValues("lab"), "authkeysRotation", String(rotation)), authkey),
      id,
    );
  const keysOn = (node: Sandbox) =>
    node
      .read("/etc/ha.d/authkeys")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"));

  it("accept the new key, sign with it, then drop the old one", () => {
    const node = new Sandbox();
    node.create(stage(0, keyA, "authkeys"));
    expect(keysOn(node)).toEqual(["auth 1", `1 sha1 ${keyA}`]);
    node.create(stage(1, keyB, "authkeys-accept"));
    expect(keysOn(node)).toEqual(["auth 1", `1 sha1 ${keyA}`, `2 sha1 ${keyB}`]);
    expect(node.mode("/etc/ha.d/authkeys")).toBe("600");
    node.create(stage(1, keyB, "authkeys-sign"));
    expect(keysOn(node)).toEqual(["auth 2", `1 sha1 ${keyA}`, `2 sha1 ${keyB}`]);
    node.create(stage(1, keyB, "authkeys"));
    expect(keysOn(node)).toEqual(["auth 2", `2 sha1 ${keyB}`]);
    expect(node.read("/etc/ha.d/authkeys")).toBe(stage(1, keyB, "authkeys").stdin);
  });

  it("never go back: an earlier stage run again after the last changes nothing", () => {
    const node = new Sandbox();
    node.create(stage(0, keyA, "authkeys"));
    for (const id of ["authkeys-accept", "authkeys-sign", "authkeys"])
      node.create(stage(1, keyB, id));
    expect(node.create(stage(1, keyB, "authkeys-accept"))).toBe("unchanged: /etc/ha.d/authkeys");
    expect(node.create(stage(1, keyB, "authkeys-sign"))).toBe("unchanged: /etc/ha.d/authkeys");
    expect(keysOn(node)).toEqual(["auth 2", `2 sha1 ${keyB}`]);
  });

  it("keep signing with the key in use when the counter jumps by more than one", () => {
    const node = new Sandbox();
    node.create(stage(0, keyA, "authkeys"));
    node.create(stage(2, keyC, "authkeys-accept"));
    expect(keysOn(node)).toEqual(["auth 1", `1 sha1 ${keyA}`, `3 sha1 ${keyC}`]);
    node.create(stage(2, keyC, "authkeys-sign"));
    node.create(stage(2, keyC, "authkeys"));
    expect(keysOn(node)).toEqual(["auth 3", `3 sha1 ${keyC}`]);
  });

  it("refuse to repair a hand edit by dropping a key the peer may sign with", () => {
    const node = new Sandbox();
    for (const id of ["authkeys-accept", "authkeys-sign", "authkeys"])
      node.create(stage(1, keyB, id));
    const path = join(node.root, "etc", "ha.d", "authkeys");
    writeFileSync(path, `auth 3\n2 sha1 ${keyB}\n3 sha1 ${keyC}\n`, { mode: 0o600 });
    expect(() => node.create(stage(1, keyB, "authkeys"))).toThrow(
      /holds other keys than the stack's slot 2 \(signs with 3 slot 3\)[\s\S]*pulumi config set authkeysRotation 2/,
    );
    expect(readFileSync(path, "utf8")).toBe(`auth 3\n2 sha1 ${keyB}\n3 sha1 ${keyC}\n`);
    // Its mode alone, or the keys as the stack has them: repaired in place.
    writeFileSync(path, `auth 2\n2 sha1 ${keyB}\n`, { mode: 0o644 });
    node.create(stage(1, keyB, "authkeys"));
    expect(node.mode("/etc/ha.d/authkeys")).toBe("600");
    expect(keysOn(node)).toEqual(["auth 2", `2 sha1 ${keyB}`]);
  });

  it("read a file written by hand with CRLF line ends or slots written 01", () => {
    const node = new Sandbox();
    node.create(stage(0, keyA, "authkeys"));
    const path = join(node.root, "etc", "ha.d", "authkeys");
    writeFileSync(path, `auth 01\r\n01 sha1 ${keyA}\r\n`, { mode: 0o600 });
    node.create(stage(1, keyB, "authkeys-accept"));
    // Still signing with the key in use, and that key still listed.
    expect(keysOn(node)).toEqual(["auth 1", `1 sha1 ${keyA}`, `2 sha1 ${keyB}`]);
  });

  it("change nothing in a file holding a line that is not a comment, auth or key", () => {
    const node = new Sandbox();
    node.create(stage(0, keyA, "authkeys"));
    const path = join(node.root, "etc", "ha.d", "authkeys");
    writeFileSync(path, `auth 1\n1 sha1 ${keyA}\nsomething else\n`, { mode: 0o600 });
    expect(() => node.create(stage(1, keyB, "authkeys-accept"))).toThrow(
      /has a line that is neither a comment, an auth line nor a key; nothing was changed/,
    );
    expect(readFileSync(path, "utf8")).toBe(`auth 1\n1 sha1 ${keyA}\nsomething else\n`);
  });

  it("refuse, naming the fix and no key, when the new slot holds another key", () => {
    const node = new Sandbox();
    node.create(stage(1, keyB, "authkeys"));
    // 15 rotations later the slot comes round again, and the node still holds another key there.
    expect(() => node.create(stage(16, keyC, "authkeys-accept"))).toThrow(
      /already holds another key in the slot of rotation 16[\s\S]*fix: pulumi config set authkeysRotation 17/,
    );
    try {
      node.create(stage(16, keyC, "authkeys-accept"));
    } catch (e) {
      expect(String(e)).not.toContain(keyB);
      expect(String(e)).not.toContain(keyC);
    }
    expect(keysOn(node)).toEqual(["auth 2", `2 sha1 ${keyB}`]);
  });
});

/**
 * The DRBD disk guards, with the disk tools replaced by stubs that answer as told: each stub
 * exits with the code given in an environment variable, and `drbdadm`/`mkfs` record their calls.
 */
describe("the DRBD disk guards", () => {
  /** What a stub prints and exits with; or, for a stub that answers by its arguments, its body. */
  type Answer = { readonly out?: string; readonly rc?: number; readonly body?: string };
  const stubs = (answers: Record<string, Answer>) => {
    const dir = scratchDir("hacluster-stubs-");
    const all: Record<string, Answer> = {
      dd: {},
      findmnt: { rc: 1 },
      lsblk: { out: "part" },
      wipefs: {},
      ...answers,
    };
    for (const [tool, { out = "", rc = 0, body }] of Object.entries(all)) {
      writeFileSync(
        join(dir, tool),
        `#!/bin/sh\n${body ?? `printf '%s' '${out}'\n[ -z '${out}' ] || echo\nexit ${rc}`}\n`,
        { mode: 0o755 },
      );
    }
    for (const tool of ["drbdadm", "mkfs"]) {
      writeFileSync(
        join(dir, tool),
        `#!/bin/sh\ncase "$1" in role) echo Primary/Secondary ;; *) echo "$@" >>${dir}/calls ;; esac\n`,
        { mode: 0o755 },
      );
    }
    return dir;
  };
  // The disk is a block device node made inside the sandbox's own /dev.
  const withDisk = (stubDir: string, script: string) =>
    `mount -t tmpfs none /dev && mknod /dev/null c 1 3 && chmod 666 /dev/null && ` +
    `mknod /dev/standin-drbd-backing b 7 250 && mknod /dev/drbd0 b 147 0 && ` +
    `PATH=${stubDir}:$PATH; export PATH; ${script}`;
  const runGuard = (
    id: string,
    answers: Parameters<typeof stubs>[0],
    values = stackValues("lab"),
  ) => {
    const node = new Sandbox();
    const dir = stubs(answers);
    const step = stepOf(planOf("lab", values), id);
    let said: string;
    try {
      said = node.run(withDisk(dir, step.create));
    } catch (e) {
      said = String(e);
    }
    const calls = existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8") : "";
    return { said, calls };
  };
  const ext4 = { out: "DEVNAME=/dev/x\nTYPE=ext4" };

  it.each([
    [
      "blkid finds an ambivalent result (exit 8)",
      { blkid: { rc: 8 } },
      /it holds several signatures/,
    ],
    ["blkid fails (exit 4)", { blkid: { rc: 4, out: "usage" } }, /blkid could not probe/],
    ["the disk cannot be read", { dd: { rc: 1 }, blkid: { rc: 2 } }, /cannot be read/],
    [
      "blkid finds nothing but wipefs finds a partition table",
      { blkid: { rc: 2 }, wipefs: { out: "dos" } },
      /it holds dos/,
    ],
    ["wipefs fails", { blkid: { rc: 2 }, wipefs: { rc: 1 } }, /wipefs could not probe/],
    ["blkid finds a partition table", { blkid: { out: "PTTYPE=gpt" } }, /it holds gpt/],
    ["the disk is a whole disk", { blkid: { rc: 2 }, lsblk: { out: "disk" } }, /is a whole disk/],
    ["lsblk cannot tell", { blkid: { rc: 2 }, lsblk: { rc: 32 } }, /lsblk cannot tell/],
    [
      "fstab names the disk by UUID (only findmnt -s resolves it)",
      {
        blkid: { rc: 2 },
        findmnt: { body: 'case " $* " in *" -s "*) exit 0 ;; *) exit 1 ;; esac' },
      },
      /is mounted, listed in \/etc\/fstab or used as swap/,
    ],
    [
      "the disk is in use as swap",
      { blkid: { rc: 2 }, swapon: { out: "/dev/standin-drbd-backing" } },
      /is mounted, listed in \/etc\/fstab or used as swap/,
    ],
  ])("refuses metadata when %s", (_case, answers, message) => {
    const { said, calls } = runGuard("drbd-metadata", answers);
    expect(said).toMatch(message);
    expect(calls).toBe("");
  });

  it("creates metadata on a partition where both probes find nothing", () => {
    const partitionEntry = { out: "DEVNAME=/dev/x\nPART_ENTRY_SCHEME=dos\nPART_ENTRY_TYPE=0x83" };
    const { said, calls } = runGuard("drbd-metadata", { blkid: partitionEntry });
    expect(said).toBe("changed: DRBD metadata created on /dev/standin-drbd-backing");
    expect(calls).toBe("create-md --force r0\n");
  });

  it("leaves metadata that is there, and overwrites data only where confirmWipe names it", () => {
    expect(runGuard("drbd-metadata", { blkid: { out: "TYPE=drbd" } }).said).toBe(
      "unchanged: /dev/standin-drbd-backing already holds DRBD metadata",
    );
    const refused = runGuard("drbd-metadata", { blkid: ext4 });
    expect(refused.said).toMatch(/it holds ext4[\s\S]*drbd\.confirmWipe\[0\]/);
    const confirmed = withValue(stackValues("lab"), "drbd.confirmWipe", [
      "proxycl1:/dev/standin-drbd-backing",
    ]);
    expect(runGuard("drbd-metadata", { blkid: ext4 }, confirmed).calls).toBe(
      "create-md --force r0\n",
    );
  });

  it.each([
    ["blkid finds an ambivalent result (exit 8)", { blkid: { rc: 8 } }, /holds several signatures/],
    ["blkid fails (exit 4)", { blkid: { rc: 4 } }, /blkid could not probe/],
    ["the device cannot be read", { dd: { rc: 1 } }, /cannot be read/],
    [
      "wipefs finds a signature blkid did not",
      { blkid: { rc: 2 }, wipefs: { out: "xfs" } },
      /^unchanged: \/dev\/drbd0 holds xfs$/,
    ],
  ])("formats nothing when %s", (_case, answers, message) => {
    const { said, calls } = runGuard("drbd-mkfs", answers);
    expect(said).toMatch(message);
    expect(calls).toBe("");
  });

  it("formats the device only where both probes find nothing", () => {
    const { said, calls } = runGuard("drbd-mkfs", { blkid: { rc: 2 } });
    expect(said).toBe("changed: ext4 made on /dev/drbd0");
    expect(calls).toBe("-t ext4 -q /dev/drbd0\n");
  });
});

describe("the command line of a step", () => {
  it("hands the script to the node's shell unchanged, quotes and all", () => {
    const script = `set -eu\nname='it'\"'\"'s'\necho "$name" 'a "b"' \\\\ $((1 + 2))`;
    const result = spawnSync("sh", ["-c", remoteCommand(script, "root")], { encoding: "utf8" });
    expect(result.stdout).toBe(`it's a "b" \\ 3\n`);
    expect(remoteCommand("true", "admin")).toBe("sudo -n sh -c 'true'");
  });
});
