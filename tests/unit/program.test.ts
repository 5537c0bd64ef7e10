import { ConfigError } from "../../model/problem";
import {
  isSecretInput,
  lastStackOutputs,
  mockKey,
  Registration,
  runProgram,
  unwrap,
} from "../support/program";
import { stackValues, withValue } from "../support/stacks";

const hostKey = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfNode${n}`;
const sshKey =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecretbody\n-----END OPENSSH PRIVATE KEY-----\n";

function prodWithHostKeys(): Record<string, unknown> {
  return withValue(
    withValue(stackValues("prod"), "nodes[0].ssh.hostKey", hostKey(1)),
    "nodes[1].ssh.hostKey",
    hostKey(2),
  );
}

const commands = (regs: Registration[]) => regs.filter((r) => r.type === "command:remote:Command");
const byName = (regs: Registration[], name: string) => regs.find((r) => r.name === name)!;

describe("the prod stack under Pulumi's mocks", () => {
  let regs: Registration[];
  beforeAll(async () => {
    regs = await runProgram("prod", prodWithHostKeys(), { sshPrivateKey: sshKey });
  });

  it("builds one tree: the cluster, six components per node, the shared key", () => {
    const components = regs.filter((r) => r.type.startsWith("hacluster:"));
    expect(components.map((c) => [c.type, c.name, c.parent ?? null]).sort()).toEqual(
      [
        ["hacluster:index:HaCluster", "hacluster", null],
        ["hacluster:heartbeat:AuthKeys", "hacluster-authkeys", "hacluster"],
        ...["proxycl1", "proxycl2"].flatMap((n) => [
          ["hacluster:node:NodeBase", `${n}-node-base`, "hacluster"],
          ["hacluster:drbd:DrbdKernelModule", `${n}-drbd-kernel-module`, "hacluster"],
          ["hacluster:drbd:DrbdResource", `${n}-drbd-resource`, "hacluster"],
          ["hacluster:data:ReplicatedData", `${n}-replicated-data`, "hacluster"],
          ["hacluster:heartbeat:Heartbeat", `${n}-heartbeat`, "hacluster"],
          ["hacluster:cron:CronJobs", `${n}-cron-jobs`, "hacluster"],
        ]),
      ].sort(),
    );
    expect(byName(regs, "proxycl1-drbd-metadata").parent).toBe("proxycl1-drbd-resource");
    expect(byName(regs, "proxycl2-relocate").parent).toBe("proxycl2-replicated-data");
    expect(byName(regs, "proxycl1-authkeys-sign").parent).toBe("hacluster-authkeys");
    expect(byName(regs, "proxycl1-heartbeat-start").parent).toBe("proxycl1-heartbeat");
  });

  it("connects every step to its own node, with the pinned host key", () => {
    for (const command of commands(regs)) {
      const node = command.name.startsWith("proxycl1-") ? 1 : 2;
      expect(isSecretInput(command.inputs.connection)).toBe(true);
      expect(unwrap(command.inputs.connection)).toMatchObject({
        host: `172.16.250.10${node}`,
        user: "root",
        hostKey: hostKey(node),
      });
    }
  });

  it("runs the steps of one node one after the other, in the documented order", () => {
    const chain = (node: string) => {
      const steps = commands(regs).filter((c) => c.name.startsWith(`${node}-`));
      const first = steps.find((s) => !s.dependsOn.some((d) => d.startsWith(`${node}-`)))!;
      const order = [first.name];
      for (;;) {
        const next = steps.find(
          (s) =>
            s.dependsOn.includes(order[order.length - 1]) &&
            s.dependsOn.filter((d) => d.startsWith(`${node}-`)).length === 1,
        );
        if (!next) break;
        order.push(next.name);
      }
      expect(order).toHaveLength(steps.length);
      return order.map((n) => n.slice(node.length + 1));
    };
    const p1 = chain("proxycl1");
    const sequence = [
      "packages",
      "drbd-module",
      "drbd-config",
      "drbd-metadata",
      "drbd-up",
      "drbd-first-primary",
      "drbd-mkfs",
      "relocate",
      "ha-cf",
      "authkeys",
      "heartbeat-start",
    ];
    expect(p1.filter((s) => sequence.includes(s))).toEqual(sequence);
    expect(p1[0]).toBe("ssh-ready");
    const p2 = chain("proxycl2");
    expect(p2).not.toContain("drbd-first-primary");
    expect(p2).not.toContain("drbd-mkfs");
  });

  it("waits for the other node where the order crosses nodes", () => {
    expect(byName(regs, "proxycl1-drbd-first-primary").dependsOn).toContain("proxycl2-drbd-up");
    expect(byName(regs, "proxycl2-relocate").dependsOn).toContain("proxycl1-relocate");
    expect(byName(regs, "proxycl2-heartbeat-start").dependsOn).toContain(
      "proxycl1-heartbeat-start",
    );
    expect(byName(regs, "proxycl1-authkeys-sign").dependsOn).toContain("proxycl2-authkeys-accept");
    expect(byName(regs, "proxycl2-authkeys").dependsOn).toContain("proxycl1-authkeys-sign");
  });

  it("keeps the heartbeat key and the SSH key secret wherever they appear", () => {
    const key = mockKey("hacluster-authkeys-0");
    const secrets = [key, "secretbody"];
    const leaks: string[] = [];
    const walk = (value: unknown, where: string) => {
      if (isSecretInput(value)) return;
      if (typeof value === "string") {
        for (const s of secrets) if (value.includes(s)) leaks.push(where);
      } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
      }
    };
    for (const r of regs) walk(r.inputs, r.name);
    expect(leaks).toEqual([]);
    const authkeys = byName(regs, "proxycl1-authkeys");
    expect(isSecretInput(authkeys.inputs.stdin)).toBe(true);
    expect(unwrap(authkeys.inputs.stdin)).toContain(`\nauth 1\n1 sha1 ${key}\n`);
    expect(authkeys.inputs.logging).toBe("none");
    expect(unwrap(byName(regs, "proxycl1-ssh-ready").inputs.connection)).toMatchObject({
      privateKey: sshKey,
    });
  });

  it("puts no secret on any command line", () => {
    for (const c of commands(regs)) {
      for (const field of ["create", "update", "delete"] as const) {
        const text = String(unwrap(c.inputs[field]) ?? "");
        expect([c.name, field, text.includes("generatedkey"), text.includes("secretbody")]).toEqual(
          [c.name, field, false, false],
        );
      }
    }
  });

  it("triggers each file step on the hash of its content", () => {
    const cron = byName(regs, "proxycl1-cron");
    expect(cron.inputs.triggers).toHaveLength(2);
    expect(cron.inputs.stdin).toContain("/usr/local/sbin/hacluster-drbd-reconnect");
  });
});

describe("what a change re-runs", () => {
  const triggersOf = (regs: Registration[]) =>
    new Map(commands(regs).map((c) => [c.name, JSON.stringify(unwrap(c.inputs.triggers))]));
  const changed = (a: Registration[], b: Registration[]) => {
    const before = triggersOf(a);
    return [...triggersOf(b)]
      .filter(([name, t]) => before.get(name) !== t)
      .map(([name]) => name)
      .sort();
  };
  let base: Registration[];
  beforeAll(async () => {
    base = await runProgram("prod", prodWithHostKeys());
  });

  it("re-runs only the cron file's steps when the reconnect schedule changes", async () => {
    const after = await runProgram(
      "prod",
      withValue(prodWithHostKeys(), "cron.drbdReconnect", "*/5 * * * *"),
    );
    expect(changed(base, after)).toEqual(["proxycl1-cron", "proxycl2-cron"]);
  });

  it("re-runs only heartbeat's config when deadtime changes", async () => {
    const after = await runProgram("prod", withValue(prodWithHostKeys(), "heartbeat.deadtime", 30));
    expect(changed(base, after)).toEqual([
      "proxycl1-drbd-config",
      "proxycl1-ha-cf",
      "proxycl2-drbd-config",
      "proxycl2-ha-cf",
    ]);
  });

  it("re-runs only the authkeys steps on a rotation, keeping the previous key", async () => {
    const after = await runProgram("prod", withValue(prodWithHostKeys(), "authkeysRotation", "1"));
    expect(changed(base, after)).toEqual(
      ["authkeys", "authkeys-accept", "authkeys-sign"]
        .flatMap((s) => [`proxycl1-${s}`, `proxycl2-${s}`])
        .sort(),
    );
    const keys = after
      .filter((r) => r.type === "random:index/randomPassword:RandomPassword")
      .map((r) => r.name);
    expect(keys.sort()).toEqual(["hacluster-authkeys-0", "hacluster-authkeys-1"]);
    const [old, now] = [mockKey("hacluster-authkeys-0"), mockKey("hacluster-authkeys-1")];
    const stdin = (name: string) => String(unwrap(byName(after, name).inputs.stdin));
    expect(stdin("proxycl1-authkeys-accept")).toMatch(
      new RegExp(`\\nauth 1\\n1 sha1 ${old}\\n2 sha1 ${now}\\n$`),
    );
    expect(stdin("proxycl1-authkeys-sign")).toMatch(
      new RegExp(`\\nauth 2\\n1 sha1 ${old}\\n2 sha1 ${now}\\n$`),
    );
    expect(stdin("proxycl1-authkeys")).toMatch(new RegExp(`\\nauth 2\\n2 sha1 ${now}\\n$`));
    // The fileChecksums output holds what the node's authkeys hashes to once rotated.
    const checksums = lastStackOutputs.fileChecksums as Record<string, Record<string, string>>;
    const finalStep = byName(after, "proxycl1-authkeys");
    expect(checksums.proxycl1["/etc/ha.d/authkeys"]).toBe(
      (unwrap(finalStep.inputs.triggers) as string[])[1],
    );
  });
});

describe("a stack that must not run", () => {
  it("fails on invalid config before any resource is registered", async () => {
    let error: unknown;
    let regs: Registration[] = [];
    try {
      regs = await runProgram("prod", withValue(prodWithHostKeys(), "heartbeat.deadtime", 5));
    } catch (e) {
      error = e;
    }
    // The program runs in its own module registry: its ConfigError is another class object.
    expect((error as Error).name).toBe(ConfigError.name);
    expect(String((error as Error).message)).toContain("hacluster:heartbeat.deadtime");
    expect(regs).toEqual([]);
  });

  it("refuses nodes without pinned host keys unless the stack says why", async () => {
    const registered: Registration[] = [];
    await expect(runProgram("prod", stackValues("prod"), {}, registered)).rejects.toThrow(
      /hacluster:nodes\[0\]\.ssh\.hostKey: is not set[\s\S]*ssh-keyscan -t ed25519 -p 22 172\.16\.250\.101/,
    );
    expect(registered).toEqual([]);
    const regs = await runProgram("lab", stackValues("lab"));
    expect(commands(regs).length).toBeGreaterThan(40);
  });
});
