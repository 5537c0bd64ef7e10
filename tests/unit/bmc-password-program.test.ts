/**
 * The BMC password as a user stores it and changes it, through the program under Pulumi's mocks
 * and through the RemoteFile provider's diff, which decides what `pulumi up` runs: a password
 * set again reaches exactly the node that fences with it, and no way of storing it makes a
 * message quote it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RemoteFileProvider } from "../../components/remote-file/provider";
import { outputsAfterWrite, providerInputs, wouldRun } from "../support/engine-diff";
import { bmcPasswords, prodWithIpmi } from "../support/ipmi";
import { isSecretInput, Registration, runProgram, unwrap } from "../support/program";
import { projectDir } from "../support/stacks";

jest.setTimeout(180_000);

const values = prodWithIpmi();
const nodesWith = (passwords: readonly unknown[], change = (n: Record<string, unknown>) => n) =>
  (values.nodes as Record<string, Record<string, unknown>>[]).map((n, i) =>
    change({ ...n, bmc: { ...n.bmc, password: passwords[i] } }),
  );
/** As the engine hands a `nodes` holding `--secret --path` values: decrypted, secret as a whole. */
const secretNodes = (passwords: readonly unknown[]) => JSON.stringify(nodesWith(passwords));
const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== "nodes"));

async function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (e: Error) => e,
  );
}

describe("what one BMC setting changed alone makes `pulumi up` run", () => {
  const withBmc = (change: (bmc: Record<string, unknown>) => Record<string, unknown>) =>
    JSON.stringify(
      nodesWith(bmcPasswords, (n) =>
        n.name === "proxycl2" ? { ...n, bmc: change(n.bmc as Record<string, unknown>) } : n,
      ),
    );
  let base: Registration[];
  beforeAll(async () => {
    base = await runProgram("prod", rest, { nodes: secretNodes(bmcPasswords) });
  });

  it("nothing, when nothing changed", async () => {
    const again = await runProgram("prod", rest, { nodes: secretNodes(bmcPasswords) });
    expect(await wouldRun(base, again)).toEqual([]);
  });

  it("the BMC's address: the ipmi stonith file of the node that fences through it", async () => {
    const after = await runProgram("prod", rest, {
      nodes: withBmc((b) => ({ ...b, address: "10.250.0.99" })),
    });
    expect(await wouldRun(base, after)).toEqual(["~ proxycl1:/etc/ha.d/stonith-ipmi.cfg"]);
  });

  it("the BMC's password (pulumi config set --secret --path 'nodes[1].bmc.password'): the same file", async () => {
    const after = await runProgram("prod", rest, {
      nodes: withBmc((b) => ({ ...b, password: "Pw3-rotated-bmc" })),
    });
    const cfg = after.find((r) => r.name === "proxycl1:/etc/ha.d/stonith-ipmi.cfg")!;
    expect(isSecretInput(cfg.inputs.content)).toBe(true);
    expect(unwrap(cfg.inputs.content)).toContain(" fence Pw3-rotated-bmc lanplus");
    // The masked checksum and the scripts are those of before: only the digest differs.
    const before = base.find((r) => r.name === cfg.name)!;
    expect(cfg.inputs.sha256).toBe(before.inputs.sha256);
    expect(await wouldRun(base, after)).toEqual(["~ proxycl1:/etc/ha.d/stonith-ipmi.cfg"]);
  });

  it("nothing on the first `up` of a state written before digests, password changed or not", async () => {
    const after = await runProgram("prod", rest, {
      nodes: withBmc((b) => ({ ...b, password: "Pw3-rotated-bmc" })),
    });
    expect(await wouldRun(base, base, { stateWithDigests: false })).toEqual([]);
    expect(await wouldRun(base, after, { stateWithDigests: false })).toEqual([]);
  });
});

describe("the RemoteFile provider's diff of a file holding a secret", () => {
  const provider = new RemoteFileProvider();
  let inputs: ReturnType<typeof providerInputs>;
  beforeAll(async () => {
    const regs = await runProgram("prod", rest, { nodes: secretNodes(bmcPasswords) });
    inputs = providerInputs(regs.find((r) => r.name === "proxycl2:/etc/ha.d/stonith-ipmi.cfg")!);
  });
  const noChange = { changes: false, replaces: [], deleteBeforeReplace: true };
  const update = { changes: true, replaces: [], deleteBeforeReplace: true };

  it("is an update when the digest of the content is another", async () => {
    const olds = outputsAfterWrite(inputs);
    expect(await provider.diff("id", olds, inputs)).toEqual(noChange);
    expect(await provider.diff("id", olds, { ...inputs, contentDigest: "f".repeat(64) })).toEqual(
      update,
    );
  });

  it("compares no digest the state does not have", async () => {
    const olds = outputsAfterWrite(inputs, false);
    expect(olds).not.toHaveProperty("contentDigest");
    expect(await provider.diff("id", olds, { ...inputs, contentDigest: "f".repeat(64) })).toEqual(
      noChange,
    );
  });

  it("is an update when a file that had a digest has none", async () => {
    const withoutDigest = { ...inputs };
    delete withoutDigest.contentDigest;
    expect(await provider.diff("id", outputsAfterWrite(inputs), withoutDigest)).toEqual(update);
  });
});

describe("the ways a user stores the password", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  /** A copy of the project whose prod stack file holds `nodes` as given, for readStackFiles. */
  function projectWith(nodesYaml: string): string {
    const dir = mkdtempSync(join(tmpdir(), "hacluster-bmc-store-"));
    made.push(dir);
    cpSync(join(projectDir, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    const prod = readFileSync(join(projectDir, "Pulumi.prod.yaml"), "utf8");
    // Everything but the node list, then the node list as the test writes it.
    const withoutNodes = prod.replace(/\n {2}hacluster:nodes:\n(?: {4}.*\n| *\n)*/, "\n");
    writeFileSync(join(dir, "Pulumi.prod.yaml"), `${withoutNodes.trimEnd()}\n${nodesYaml}`);
    return dir;
  }
  async function inProject<T>(dir: string, run: () => Promise<T>): Promise<T> {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      return await run();
    } finally {
      process.chdir(cwd);
    }
  }

  it("refuses `pulumi config set --secret nodes '[...]'` (the whole list encrypted), naming the fix", async () => {
    const dir = projectWith("  hacluster:nodes:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n");
    const registered: Registration[] = [];
    const error = await inProject(dir, () =>
      errorOf(runProgram("prod", rest, { nodes: secretNodes(bmcPasswords) }, registered)),
    );
    expect(error?.message).toContain(
      "hacluster:nodes: is stored encrypted as a whole (pulumi config set --secret nodes)",
    );
    expect(error?.message).toContain(
      "encrypt each BMC password alone: pulumi config set --secret --path 'nodes[i].bmc.password' < FILE",
    );
    expect(error?.message).not.toMatch(/is not valid JSON|Unexpected token|structured config/);
    for (const p of bmcPasswords) expect(error?.message).not.toContain(p);
    expect(registered).toEqual([]);
  });

  it("refuses a password stored in plain text in the stack file, under the engine too", async () => {
    const plain = nodesWith(["Plain-pw-000", bmcPasswords[1]]);
    const dir = projectWith(`  hacluster:nodes: ${JSON.stringify(plain)}\n`);
    const registered: Registration[] = [];
    const error = await inProject(dir, () =>
      errorOf(runProgram("prod", { ...rest, nodes: plain }, {}, registered)),
    );
    expect(error?.message).toContain(
      "hacluster:nodes[0].bmc.password: is stored in plain text in the stack file",
    );
    expect(error?.message).not.toContain("Plain-pw-000");
    expect(error?.message).not.toContain(bmcPasswords[1]);
    expect(registered).toEqual([]);
  });

  it.each([
    ["20 characters, lanplus", "A".repeat(20), "lanplus", undefined],
    ["16 characters, lan", "B".repeat(16), "lan", undefined],
    ["'$&', '$1' and '#'", "p$&#$1`\\'\"x", "lanplus", undefined],
    [
      "21 characters, lanplus",
      "C".repeat(21),
      "lanplus",
      "is 21 characters long; IPMI 2.0 (lanplus) takes at most 20",
    ],
    [
      "17 characters, lan",
      "D".repeat(17),
      "lan",
      "is 17 characters long; IPMI 1.5 (lan) takes at most 16",
    ],
    ["a space", "pass word", "lanplus", "holds a blank"],
    ["a tab", "pass\tword", "lanplus", "holds a blank"],
    ["unicode", "pässwörd", "lanplus", "holds a blank or a character outside printable ASCII"],
    ["empty", "", "lanplus", "is not a password"],
  ])("checks a password of %s before anything runs", async (_what, password, iface, problem) => {
    const nodes = JSON.stringify(
      nodesWith([password, bmcPasswords[1]], (n) =>
        n.name === "proxycl1"
          ? { ...n, bmc: { address: "10.250.0.11", user: "fence", interface: iface, password } }
          : n,
      ),
    );
    const registered: Registration[] = [];
    const error = await errorOf(runProgram("prod", rest, { nodes }, registered));
    if (problem === undefined) {
      expect(error).toBeUndefined();
      const cfg = registered.find((r) => r.name === "proxycl2:/etc/ha.d/stonith-ipmi.cfg")!;
      expect(unwrap(cfg.inputs.content)).toContain(
        `\nproxycl1 10.250.0.11 fence ${password} ${iface}\n`,
      );
    } else {
      expect(error?.message).toContain(`hacluster:nodes[0].bmc.password: ${problem}`);
      if (password.length > 3) expect(error?.message).not.toContain(password);
      expect(registered).toEqual([]);
    }
  });

  it.each([
    [
      "a mapping typed by hand",
      { 0: { name: "proxycl1", bmc: { address: "10.250.0.11", password: "Pw-typo-leak" } } },
    ],
    ["a password under a misspelt key", [{ name: "proxycl1", bcm: { password: "Pw-typo-leak" } }]],
    ["a list of one password", [{ password: "Pw-typo-leak" }]],
  ])("never quotes a password in a `nodes` of another shape: %s", async (_what, shape) => {
    const error = await errorOf(runProgram("prod", rest, { nodes: JSON.stringify(shape) }));
    expect(error?.message).toContain("hacluster:nodes");
    expect(error?.message).not.toContain("Pw-typo-leak");
  });
});
