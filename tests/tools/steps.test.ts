/**
 * The remote steps' scripts: shellcheck on every one, and the file steps run for real, as root,
 * in a private mount namespace whose /etc, /var/backups and /var/lib are copies in a temp folder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planSteps } from "../../render/plan";
import { remoteCommand, Step } from "../../render/step";
import { clusterOf, stackValues, withValue } from "../support/stacks";

const keys = { current: "k".repeat(40), previous: "p".repeat(40) };
const planOf = (stack: string, values = stackValues(stack)) =>
  planSteps(clusterOf(stack, values), keys);
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
    const dir = mkdtempSync(join(tmpdir(), "hacluster-steps-"));
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

/** A node's /etc, /var/backups and /var/lib, in a temp folder; scripts run with them mounted. */
class Sandbox {
  readonly root = mkdtempSync(join(tmpdir(), "hacluster-node-"));
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

  it("is never undone by the step it replaces", () => {
    const node = new Sandbox();
    const before = stepOf(plan, "logrotate");
    const after = stepOf(
      planOf("lab", withValue(stackValues("lab"), "logrotate.rotate", 9)),
      "logrotate",
    );
    node.create(before);
    // A replacement creates the new step first, then runs the old one's delete.
    node.create(after);
    expect(node.destroy(before)).toBe(
      "unchanged: /etc/logrotate.d/heartbeat was rewritten since this step wrote it; left as it is",
    );
    expect(node.read("/etc/logrotate.d/heartbeat")).toBe(after.stdin);
  });

  it("writes authkeys with mode 600 and removes it on destroy without knowing the key", () => {
    const node = new Sandbox();
    const authkeys = stepOf(plan, "authkeys");
    expect(authkeys.create).not.toContain(keys.current);
    expect(authkeys.delete).not.toContain(keys.current);
    node.create(authkeys);
    expect(node.mode("/etc/ha.d/authkeys")).toBe("600");
    expect(node.read("/etc/ha.d/authkeys")).toContain(`\n1 sha1 ${keys.current}\n`);
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

describe("the command line of a step", () => {
  it("hands the script to the node's shell unchanged, quotes and all", () => {
    const script = `set -eu\nname='it'\"'\"'s'\necho "$name" 'a "b"' \\\\ $((1 + 2))`;
    const result = spawnSync("sh", ["-c", remoteCommand(script, "root")], { encoding: "utf8" });
    expect(result.stdout).toBe(`it's a "b" \\ 3\n`);
    expect(remoteCommand("true", "admin")).toBe("sudo -n sh -c 'true'");
  });
});
