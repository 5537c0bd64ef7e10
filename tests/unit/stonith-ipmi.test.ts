/**
 * Fencing through the nodes' BMCs (stonith.type external/ipmi): the config it needs, the files
 * and steps it gives each node, and its password, which appears in no rendered file, plan
 * script, output or message, only in the peer's stonith-ipmi.cfg as `pulumi up` writes it.
 */
import { readFileSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { secretMarker } from "../../model/schema";
import { parseStackConfig } from "../../model/stack-config";
import { readStackFiles } from "../../model/stack-files";
import { bmcPasswordPlaceholder, withBmcPassword } from "../../render/engine-secret";
import { fingerprintOf } from "../../render/file-step";
import { renderNodeFiles } from "../../render/node-files";
import { planSteps } from "../../render/plan";
import { sha256 } from "../../render/step";
import {
  bmcPasswords,
  encryptedBmcPasswords,
  ipmiCluster,
  maskCases,
  prodWithIpmi,
  withIpmi,
} from "../support/ipmi";
import {
  isSecretInput,
  lastStackOutputs,
  Registration,
  runProgram,
  unwrap,
} from "../support/program";
import {
  configProblems,
  clusterOf,
  placeholderAuthkeys,
  projectDir,
  stackValues,
  withValue,
} from "../support/stacks";
import { scratchDir } from "../support/scratch";

jest.setTimeout(120_000);

const lab = stackValues("lab");
const cluster = ipmiCluster("lab", lab);
const filesOf = (node: number) =>
  renderNodeFiles(cluster, cluster.nodes[node], placeholderAuthkeys);
const fileOf = (node: number, id: string) => filesOf(node).find((f) => f.id === id)!;

const problemsOf = (values: Record<string, unknown>, secretKeys = encryptedBmcPasswords) =>
  configProblems(values, secretKeys);

describe("the config of fencing through BMCs", () => {
  it("takes each node's BMC, lanplus by default, its password as the marker only", () => {
    expect(cluster.config.stonith.type).toBe("external/ipmi");
    expect(cluster.nodes.map((n) => n.bmc)).toEqual([
      {
        address: "10.250.0.11",
        user: "fence",
        password: secretMarker,
        interface: "lanplus",
        cipherSuite: 3,
      },
      {
        address: "10.250.0.12",
        user: "fence",
        password: secretMarker,
        interface: "lanplus",
        cipherSuite: 3,
      },
    ]);
  });

  const ipmi = withIpmi(lab);
  it.each<[string, string, string, (v: Record<string, unknown>) => Record<string, unknown>]>([
    [
      "a node without a BMC",
      "nodes[1].bmc",
      "is required with stonith.type external/ipmi: proxycl1 fences proxycl2 through it",
      (v) => withValue(v, "nodes[1].bmc", undefined),
    ],
    [
      "a BMC without its password",
      "nodes[0].bmc.password",
      "proxycl2 logs in to proxycl1's BMC with it",
      (v) => withValue(v, "nodes[0].bmc.password", undefined),
    ],
    [
      "a BMC at its node's own address",
      "nodes[0].bmc.address",
      "172.16.250.101 is nodes[0].publicAddress",
      (v) => withValue(v, "nodes[0].bmc.address", "172.16.250.101"),
    ],
    [
      "a BMC at the peer's private address",
      "nodes[0].bmc.address",
      "192.168.0.2 is nodes[1].privateAddress",
      (v) => withValue(v, "nodes[0].bmc.address", "192.168.0.2"),
    ],
    [
      "a BMC at the VIP",
      "nodes[1].bmc.address",
      "172.16.250.103 is vip.address",
      (v) => withValue(v, "nodes[1].bmc.address", "172.16.250.103"),
    ],
    [
      "two nodes sharing one BMC",
      "nodes[1].bmc.address",
      "10.250.0.11 is nodes[0].bmc.address",
      (v) => withValue(v, "nodes[1].bmc.address", "10.250.0.11"),
    ],
    [
      "a cipher suite over IPMI 1.5",
      "nodes[0].bmc.cipherSuite",
      "applies to IPMI 2.0 (interface lanplus) only",
      (v) => withValue(v, "nodes[0].bmc.interface", "lan"),
    ],
    [
      "a user name stonith.cfg would split",
      "nodes[1].bmc.user",
      "must be 1 to 16 letters",
      (v) => withValue(v, "nodes[1].bmc.user", "fence user"),
    ],
  ])("refuses %s (%s)", (_what, key, words, change) => {
    const problems = problemsOf(change(ipmi));
    expect(problems.map((p) => p.key)).toContain(key);
    const problem = problems.find((p) => p.key === key)!;
    expect(problem.problem).toContain(words);
    expect(problem.fix).toMatch(/pulumi config (set|rm)/);
  });

  it("says how to store a missing password from a file, encrypted", () => {
    const [problem] = problemsOf(withValue(ipmi, "nodes[0].bmc.password", undefined));
    expect(problem.fix).toBe(
      "pulumi config set --secret --path 'nodes[0].bmc.password' < FILE (a file holding the password alone)",
    );
  });

  it("refuses a password kept in plain text, never quoting it", () => {
    const plain = withIpmi(lab, (i) => bmcPasswords[i]);
    const problems = problemsOf(plain, []);
    expect(problems.map((p) => [p.key, p.problem])).toEqual([
      ["nodes[0].bmc.password", "is stored in plain text in the stack file"],
      ["nodes[1].bmc.password", "is stored in plain text in the stack file"],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/Pw[12]-/);
  });

  it("never quotes a password, even in a message that shows the whole node list", () => {
    // One node only: the message about `nodes` shows the list it got.
    const oneNode = [(withIpmi(lab, () => "Pw9-inner").nodes as object[])[0]];
    const problems = problemsOf(withValue(ipmi, "nodes", oneNode), []);
    expect(problems.map((p) => p.key)).toContain("nodes");
    expect(JSON.stringify(problems)).not.toContain("Pw9-inner");
    // A mapping typed by hand instead of a list, as `render` reads it.
    const mapping = { 0: { name: "proxycl1", bmc: { user: "fence", password: "Pw9-mapping" } } };
    const mapped = problemsOf(withValue(ipmi, "nodes", mapping), []);
    expect(mapped.map((p) => p.key)).toEqual(["nodes"]);
    expect(JSON.stringify(mapped)).not.toContain("Pw9-mapping");
  });

  it("refuses a node list encrypted as a whole, as `render` reads it, naming the fix", () => {
    const problems = problemsOf(withValue(ipmi, "nodes", secretMarker), ["nodes"]);
    expect(problems).toEqual([
      {
        key: "nodes",
        problem:
          "is stored encrypted as a whole (pulumi config set --secret nodes): the node list must be readable, and only each BMC password is a secret",
        fix: "pulumi config rm nodes, set the list again without --secret (pulumi config set --path 'nodes[0].name' proxycl1, and so on; see the README's configuration reference), then encrypt each BMC password alone: pulumi config set --secret --path 'nodes[i].bmc.password' < FILE",
      },
    ]);
    // Any other setting encrypted as a whole holds no secret either.
    expect(problemsOf(withValue(lab, "vip", secretMarker), ["vip"])).toEqual([
      {
        key: "vip",
        problem:
          "is stored encrypted (pulumi config set --secret), but holds no secret and must be readable",
        fix: "pulumi config rm vip, then set it again without --secret",
      },
    ]);
  });

  it("reads a password set with --secret --path as the marker, its key encrypted", () => {
    const dir = scratchDir("hacluster-ipmi-");
    cpSync(join(projectDir, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const stackFile = readFileSync(join(projectDir, "Pulumi.lab.yaml"), "utf8")
      .replace(/type: none\n\s+waiver: .*\n/, "type: external/ipmi\n")
      .replace(
        /(drbdDisk: \/dev\/standin-drbd-backing\n)/g,
        "$1      bmc:\n        address: 10.250.0.1X\n        user: fence\n        password:\n          secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n",
      );
    let n = 0;
    writeFileSync(
      join(dir, "Pulumi.lab.yaml"),
      stackFile.replace(/10\.250\.0\.1X/g, () => `10.250.0.1${++n}`),
    );
    const raw = readStackFiles(dir, "lab");
    expect([...raw.secretKeys]).toEqual(encryptedBmcPasswords);
    expect(raw.values.nodes).not.toContain("v1:");
    const parsed = parseStackConfig("lab", raw);
    expect(parsed.nodes.map((n) => n.bmc?.password)).toEqual([secretMarker, secretMarker]);
  });
});

describe("the files of fencing through BMCs", () => {
  it("gives each node its peer's BMC in stonith-ipmi.cfg, a secret file, the password left out", () => {
    const cfg = fileOf(0, "stonith-ipmi-cfg");
    expect(cfg).toMatchObject({
      path: "/etc/ha.d/stonith-ipmi.cfg",
      mode: "0600",
      secret: true,
      secretMask: "stonith-password",
      secretDigest: true,
      readBy: "heartbeat",
    });
    const lines = cfg.content.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(lines).toEqual([`proxycl2 10.250.0.12 fence ${bmcPasswordPlaceholder} lanplus -C 3`]);
    expect(fileOf(1, "stonith-ipmi-cfg").content).toContain(
      `\nproxycl1 10.250.0.11 fence ${bmcPasswordPlaceholder} lanplus -C 3\n`,
    );
    expect(fileOf(0, "ha-cf").content).toContain(
      "\nstonith external/ipmi /etc/ha.d/stonith-ipmi.cfg\n",
    );
  });

  it("keeps stonith.cfg, the peer's name as meatware has it, unread and never copied aside", () => {
    const meatware = clusterOf("lab", withValue(lab, "stonith", { type: "meatware" }));
    const plain = renderNodeFiles(meatware, meatware.nodes[0], placeholderAuthkeys).find(
      (f) => f.id === "stonith-cfg",
    )!;
    const cfg = fileOf(0, "stonith-cfg");
    expect(cfg.content).toBe(plain.content);
    expect(cfg).toMatchObject({
      path: "/etc/ha.d/stonith.cfg",
      secret: false,
      keepPrevious: false,
    });
    expect(cfg.readBy).toBeUndefined();
    expect(plain).toMatchObject({ readBy: "heartbeat", secret: false });
    expect(plain.keepPrevious).toBeUndefined();
  });

  it("starts heartbeat with passwd_method=env, under systemd and under its init script", () => {
    expect(fileOf(0, "heartbeat-unit-env")).toMatchObject({
      path: "/etc/systemd/system/heartbeat.service.d/hacluster-stonith.conf",
      secret: false,
    });
    expect(fileOf(0, "heartbeat-unit-env").content).toMatch(
      /\n\[Service\]\nEnvironment=passwd_method=env\n$/,
    );
    // A block in a file the node may have its own settings in.
    expect(fileOf(0, "heartbeat-defaults")).toMatchObject({
      path: "/etc/default/heartbeat",
      kind: "block",
    });
    expect(fileOf(0, "heartbeat-defaults").content).toMatch(
      /^# BEGIN hacluster .*\n(#.*\n)*export passwd_method=env\n# END hacluster\n$/,
    );
  });

  it("installs ipmitool; other types are left as they were", () => {
    const steps = planSteps(cluster, "<secret>")[0];
    expect(steps.find((s) => s.id === "packages")!.create).toContain(
      " e2fsprogs ipmitool apparmor; do",
    );
    const prod = clusterOf("prod");
    const prodFiles = renderNodeFiles(prod, prod.nodes[0], placeholderAuthkeys);
    expect(prodFiles.map((f) => f.id)).not.toContain("heartbeat-unit-env");
    expect(prodFiles.map((f) => f.id)).not.toContain("stonith-ipmi-cfg");
    expect(prodFiles.find((f) => f.id === "ha-cf")!.content).toContain(
      "\nstonith meatware /etc/ha.d/stonith.cfg\n",
    );
    const prodSteps = planSteps(prod, "<secret>")[0];
    expect(prodSteps.find((s) => s.id === "packages")!.create).not.toContain("ipmitool");
    expect(prodSteps.find((s) => s.id === "ha-cf")!.create).not.toContain("passwd_method");
  });

  it("places the password in the fourth field, as typed, and keeps the checksum", () => {
    const cfg = fileOf(0, "stonith-ipmi-cfg");
    const written = withBmcPassword(cfg.content, bmcPasswords[1]);
    expect(written).toContain(`\nproxycl2 10.250.0.12 fence ${bmcPasswords[1]} lanplus -C 3\n`);
    expect(fingerprintOf({ ...cfg, content: written })).toBe(fingerprintOf(cfg));
    expect(() => withBmcPassword(written, "x")).toThrow("no place for the BMC password");
  });

  // The same lines run through the node's sed in tests/tools/bmc.test.ts.
  it.each(maskCases)("masks the password of %s for the checksum", (_what, line, masked) => {
    const cfg = fileOf(0, "stonith-ipmi-cfg");
    const header = cfg.content.replace(/\n[^#].*\n$/, "\n");
    expect(fingerprintOf({ ...cfg, content: `${header}${line}\n` })).toBe(
      fingerprintOf({ ...cfg, secret: false, content: `${header}${masked}\n` }),
    );
  });
});

describe("the BMC password under Pulumi's mocks", () => {
  const values = prodWithIpmi();
  // As the engine hands it over: `nodes` decrypted, and marked secret as a whole.
  const secretNodes = (passwords: readonly string[]) =>
    JSON.stringify(
      (values.nodes as Record<string, Record<string, unknown>>[]).map((n, i) => ({
        ...n,
        bmc: { ...n.bmc, password: passwords[i] },
      })),
    );
  // `nodes` reaches the program as the engine's secret only.
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== "nodes"));
  let regs: Registration[];
  beforeAll(async () => {
    regs = await runProgram("prod", rest, { nodes: secretNodes(bmcPasswords) });
  }, 120_000);

  it("writes each node's stonith-ipmi.cfg with its peer's password, as a secret", () => {
    const cfg = regs.find((r) => r.name === "proxycl1:/etc/ha.d/stonith-ipmi.cfg")!;
    expect(isSecretInput(cfg.inputs.content)).toBe(true);
    expect(unwrap(cfg.inputs.content)).toContain(
      `\nproxycl2 10.250.0.12 fence ${bmcPasswords[1]} lanplus -C 3\n`,
    );
    const other = regs.find((r) => r.name === "proxycl2:/etc/ha.d/stonith-ipmi.cfg")!;
    expect(unwrap(other.inputs.content)).toContain(` fence ${bmcPasswords[0]} lanplus`);
  });

  it("keeps a secret digest of the whole file, for that file alone, secret as an output too", () => {
    const cfg = regs.find((r) => r.name === "proxycl1:/etc/ha.d/stonith-ipmi.cfg")!;
    expect(isSecretInput(cfg.inputs.contentDigest)).toBe(true);
    expect(unwrap(cfg.inputs.contentDigest)).toBe(sha256(unwrap(cfg.inputs.content) as string));
    expect(cfg.additionalSecretOutputs).toEqual(["contentDigest"]);
    const others = regs.filter(
      (r) => r.type.endsWith("RemoteFile") && !r.name.endsWith(":/etc/ha.d/stonith-ipmi.cfg"),
    );
    expect(others.map((r) => r.name)).toContain("proxycl1:/etc/ha.d/authkeys");
    expect(others.filter((r) => "contentDigest" in r.inputs)).toEqual([]);
    expect(others.filter((r) => r.additionalSecretOutputs.length > 0)).toEqual([]);
  });

  it("puts the password in no other input, command line, script or output", () => {
    const leaks: string[] = [];
    const walk = (value: unknown, where: string) => {
      if (isSecretInput(value)) return;
      if (typeof value === "string") {
        for (const p of bmcPasswords) if (value.includes(p)) leaks.push(where);
      } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
      }
    };
    for (const r of regs) walk(r.inputs, r.name);
    // Scripts and command lines are never secret themselves: search them unwrapped too.
    for (const r of regs) {
      for (const field of ["create", "update", "delete", "scripts"]) {
        const text = JSON.stringify(unwrap(r.inputs[field]) ?? "");
        for (const p of bmcPasswords) if (text.includes(p)) leaks.push(`${r.name}.${field}`);
      }
    }
    walk(lastStackOutputs, "outputs");
    expect(leaks).toEqual([]);
    expect(regs.filter((r) => r.name.endsWith("-packages"))).not.toHaveLength(0);
  });

  it("refuses a password a BMC cannot take before anything runs, never quoting it", async () => {
    const tooLong = "Pw-much-too-long-for-any-bmc";
    const registered: Registration[] = [];
    const error = await runProgram(
      "prod",
      rest,
      { nodes: secretNodes([tooLong, "has a blank"]) },
      registered,
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(
      "hacluster:nodes[0].bmc.password: is 28 characters long; IPMI 2.0 (lanplus) takes at most 20",
    );
    expect(error?.message).toContain("hacluster:nodes[1].bmc.password: holds a blank");
    expect(error?.message).not.toContain(tooLong);
    expect(error?.message).not.toContain("has a blank");
    expect(registered).toEqual([]);
  });
});
