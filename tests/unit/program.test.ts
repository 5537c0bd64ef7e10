import { createHash } from "node:crypto";
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

// Each test runs the whole program under mocks: seconds on a loaded machine, not milliseconds.
jest.setTimeout(120_000);

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
const remoteFiles = (regs: Registration[]) =>
  regs.filter((r) => r.type === "pulumi-nodejs:dynamic/hacluster:RemoteFile");
const relocatedPaths = (regs: Registration[]) =>
  regs.filter((r) => r.type === "pulumi-nodejs:dynamic/hacluster:RelocatedPath");
/** The commands that wrote files before RemoteFiles did, kept doing nothing. */
const isHandedOver = (r: Registration) => String(r.inputs.create).includes(" is kept by ");
/** Every resource that runs on a node: commands (but the handed-over), files, relocated paths. */
const nodeSteps = (regs: Registration[]) => [
  ...commands(regs).filter((c) => !isHandedOver(c)),
  ...remoteFiles(regs),
  ...relocatedPaths(regs),
];
const byName = (regs: Registration[], name: string) => regs.find((r) => r.name === name)!;

describe("the prod stack under Pulumi's mocks", () => {
  let regs: Registration[];
  beforeAll(async () => {
    regs = await runProgram("prod", prodWithHostKeys(), { sshPrivateKey: sshKey });
  }, 120_000);

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
    // Files and relocated paths name the config key that holds the SSH key, never the key.
    for (const resource of [...remoteFiles(regs), ...relocatedPaths(regs)]) {
      const node = resource.name.startsWith("proxycl1:") ? 1 : 2;
      expect([resource.name, resource.inputs.connection]).toEqual([
        resource.name,
        {
          host: `172.16.250.10${node}`,
          port: 22,
          user: "root",
          hostKey: hostKey(node),
          privateKeyConfig: "hacluster:sshPrivateKey",
        },
      ]);
    }
  });

  it("makes every file a RemoteFile and every relocated path a RelocatedPath, named by node and path", () => {
    const names = (rs: Registration[]) => rs.map((r) => r.name);
    expect(names(remoteFiles(regs))).toEqual(
      expect.arrayContaining([
        "proxycl1:/etc/ha.d/ha.cf",
        "proxycl2:/etc/ha.d/authkeys",
        "proxycl2:/etc/cron.d/hacluster",
        "proxycl1:/etc/hosts",
      ]),
    );
    expect(names(relocatedPaths(regs)).sort()).toEqual(
      [
        "/etc/bind",
        "/etc/squid",
        "/var/cache/bind",
        "/var/lib/bind",
        "/var/log/squid",
        "/var/spool/squid",
      ]
        .flatMap((p) => [`proxycl1:${p}`, `proxycl2:${p}`])
        .sort(),
    );
    // Each file's content is its one secret input; nothing else of it, nor of a path, is secret.
    for (const r of [...remoteFiles(regs), ...relocatedPaths(regs)]) {
      const secret = Object.keys(r.inputs).filter((k) => isSecretInput(r.inputs[k]));
      expect([r.name, secret]).toEqual([r.name, r.type.endsWith("RemoteFile") ? ["content"] : []]);
    }
    expect(unwrap(byName(regs, "proxycl1:/etc/ha.d/ha.cf").inputs.content)).toContain("deadtime");
  });

  it("keeps each file step's old command under its name, doing nothing and deleting nothing", () => {
    const old = byName(regs, "proxycl1-ha-cf");
    expect(old.type).toBe("command:remote:Command");
    expect(old.inputs.create).toContain(
      "unchanged: /etc/ha.d/ha.cf is kept by proxycl1:/etc/ha.d/ha.cf",
    );
    expect(old.inputs.delete).toBeUndefined();
    expect(old.dependsOn).toEqual(["proxycl1:/etc/ha.d/ha.cf"]);
    expect(commands(regs).filter(isHandedOver)).toHaveLength(remoteFiles(regs).length);
  });

  it("stores provider code that holds neither the heartbeat key nor the SSH key", () => {
    const key = mockKey("hacluster-authkeys-0");
    for (const r of [...remoteFiles(regs), ...relocatedPaths(regs)]) {
      const code = r.inputs.__provider;
      // A plain string: the serializer found no secret captured (it would wrap it otherwise).
      expect(typeof code).toBe("string");
      expect(code).toContain('require("ssh2")');
      for (const secret of [key, "secretbody", "BEGIN OPENSSH PRIVATE KEY"])
        expect([r.name, String(code).includes(secret)]).toEqual([r.name, false]);
    }
  });

  it("runs the steps of one node one after the other, in the documented order", () => {
    const chain = (node: string) => {
      const ofNode = (name: string) => name.startsWith(`${node}-`) || name.startsWith(`${node}:`);
      const steps = nodeSteps(regs).filter((c) => ofNode(c.name));
      const first = steps.find((s) => !s.dependsOn.some(ofNode))!;
      const order = [first.name];
      for (;;) {
        const next = steps.find(
          (s) =>
            s.dependsOn.includes(order[order.length - 1]) &&
            s.dependsOn.filter(ofNode).length === 1,
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
      "/etc/drbd.d/r0.res",
      "drbd-metadata",
      "drbd-up",
      "drbd-first-primary",
      "drbd-mkfs",
      "relocate",
      "/etc/squid",
      "/etc/ha.d/ha.cf",
      "/etc/ha.d/authkeys",
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
    expect(byName(regs, "proxycl2:/etc/ha.d/authkeys").dependsOn).toContain(
      "proxycl1-authkeys-sign",
    );
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
    const authkeys = byName(regs, "proxycl1:/etc/ha.d/authkeys");
    expect(isSecretInput(authkeys.inputs.content)).toBe(true);
    expect(unwrap(authkeys.inputs.content)).toContain(`\nauth 1\n1 sha1 ${key}\n`);
    const accept = byName(regs, "proxycl1-authkeys-accept");
    expect(isSecretInput(accept.inputs.stdin)).toBe(true);
    expect(accept.inputs.logging).toBe("none");
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

  it("gives every step one lifecycle: updated in place, deleted first if ever replaced", () => {
    const steps = commands(regs);
    expect(steps.length).toBeGreaterThan(40);
    for (const step of steps) {
      expect([
        step.name,
        step.inputs.triggers,
        step.ignoreChanges,
        step.deleteBeforeReplace,
      ]).toEqual([step.name, undefined, ["triggers"], true]);
      expect(step.inputs.update).toEqual(step.inputs.create);
    }
    // Files and relocated paths: deleted first if ever replaced (their provider says so too).
    for (const r of [...remoteFiles(regs), ...relocatedPaths(regs)])
      expect([r.name, r.deleteBeforeReplace]).toEqual([r.name, true]);
    expect(unwrap(byName(regs, "proxycl1:/etc/cron.d/hacluster").inputs.content)).toContain(
      "/usr/local/sbin/hacluster-drbd-reconnect",
    );
  });
});

describe("the program run from two shells", () => {
  const inputsOf = (regs: Registration[]) =>
    JSON.stringify(
      [...regs].sort((a, b) => a.name.localeCompare(b.name)).map((r) => [r.name, r.inputs]),
    );
  async function fromShell(agentSocket: string, secrets: Record<string, string>) {
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = agentSocket;
    try {
      return inputsOf(await runProgram("prod", prodWithHostKeys(), secrets));
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
  }

  it.each([
    ["with an SSH agent", {}],
    ["with the stack's key", { sshPrivateKey: sshKey }],
  ])("registers identical inputs for every resource, %s", async (_how, secrets) => {
    const first = await fromShell("/tmp/ssh-XXXXaaaa/agent.1111", secrets);
    const second = await fromShell("/tmp/ssh-YYYYbbbb/agent.2222", secrets);
    expect(first).not.toContain("agent.1111");
    expect(second).toBe(first);
  });
});

describe("what a change re-runs", () => {
  // The engine updates a resource whose inputs differ; none has triggers, so none is replaced.
  const inputsOf = (regs: Registration[]) =>
    new Map(
      nodeSteps(regs).map((c) => [
        c.name,
        JSON.stringify(
          ["create", "update", "delete", "stdin", "content", "scripts", "mode"].map((k) =>
            unwrap(c.inputs[k]),
          ),
        ),
      ]),
    );
  const changed = (a: Registration[], b: Registration[]) => {
    const before = inputsOf(a);
    return [...inputsOf(b)]
      .filter(([name, t]) => before.get(name) !== t)
      .map(([name]) => name)
      .sort();
  };
  let base: Registration[];
  beforeAll(async () => {
    base = await runProgram("prod", prodWithHostKeys());
  }, 120_000);

  it("re-runs only the cron file's steps when the reconnect schedule changes", async () => {
    const after = await runProgram(
      "prod",
      withValue(prodWithHostKeys(), "cron.drbdReconnect", "*/5 * * * *"),
    );
    expect(changed(base, after)).toEqual([
      "proxycl1:/etc/cron.d/hacluster",
      "proxycl2:/etc/cron.d/hacluster",
    ]);
  });

  it("re-runs only heartbeat's config when deadtime changes", async () => {
    const after = await runProgram("prod", withValue(prodWithHostKeys(), "heartbeat.deadtime", 30));
    expect(changed(base, after)).toEqual(["proxycl1:/etc/ha.d/ha.cf", "proxycl2:/etc/ha.d/ha.cf"]);
  });

  it("re-runs only the authkeys steps on a rotation, each stage given the new key alone", async () => {
    const after = await runProgram("prod", withValue(prodWithHostKeys(), "authkeysRotation", "1"));
    expect(changed(base, after)).toEqual(
      ["-authkeys-accept", "-authkeys-sign", ":/etc/ha.d/authkeys"]
        .flatMap((s) => [`proxycl1${s}`, `proxycl2${s}`])
        .sort(),
    );
    const keys = after
      .filter((r) => r.type === "random:index/randomPassword:RandomPassword")
      .map((r) => r.name);
    expect(keys).toEqual(["hacluster-authkeys-1"]);
    const now = mockKey("hacluster-authkeys-1");
    const stdin = (name: string) => {
      const inputs = byName(after, name).inputs;
      return String(unwrap(inputs.stdin ?? inputs.content));
    };
    // Every stage gets the final file; the node derives the accept and sign stages from it.
    for (const stage of [
      "proxycl1-authkeys-accept",
      "proxycl1-authkeys-sign",
      "proxycl1:/etc/ha.d/authkeys",
    ])
      expect(stdin(stage)).toMatch(new RegExp(`\\nauth 2\\n2 sha1 ${now}\\n$`));
    const create = (name: string) => String(byName(after, name).inputs.create);
    expect(create("proxycl1-authkeys-accept")).toContain("awk -v accept=1");
    expect(create("proxycl1-authkeys-sign")).toContain("awk -v accept=0");
    // The fileChecksums output holds what the node's authkeys hashes to once rotated, and so
    // does the RemoteFile's wanted checksum.
    const checksums = lastStackOutputs.fileChecksums as Record<string, Record<string, string>>;
    const masked = stdin("proxycl1:/etc/ha.d/authkeys").replace(now, "<secret>");
    expect(byName(after, "proxycl1:/etc/ha.d/authkeys").inputs.sha256).toBe(
      createHash("sha256").update(masked).digest("hex"),
    );
    expect(checksums.proxycl1["/etc/ha.d/authkeys"]).toBe(
      createHash("sha256").update(masked).digest("hex"),
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
