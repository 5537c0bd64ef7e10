/**
 * The RemoteFile provider against a real sshd on loopback (tests/support/loopback-node.ts): for
 * each kind of drift, a read reports it, the diff asks for an update, and the update repairs it.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileDrift } from "../../render/live-file";
import { RemoteFileProvider } from "../../components/remote-file/provider";
import type { RemoteFileOutputs } from "../../components/remote-file/remote-file-props";
import { planSteps } from "../../render/plan";
import { LoopbackNode } from "../support/loopback-node";
import {
  authkeys,
  fileInputs,
  haCf,
  rereadMark,
  rereads,
  stackConfig,
  stonithIpmi,
} from "../support/remote-file-inputs";
import { clusterOf } from "../support/stacks";

jest.setTimeout(60_000);

let node: LoopbackNode;
let provider: RemoteFileProvider;

beforeAll(async () => {
  node = await LoopbackNode.start();
  provider = new RemoteFileProvider();
  await provider.configure(stackConfig({ "hacluster:sshPrivateKey": node.clientKey }));
});
afterAll(() => node?.stop());

/** Each test starts from a node without the files it writes. */
beforeEach(() => {
  for (const path of [
    "/etc/ha.d/ha.cf",
    "/etc/ha.d/authkeys",
    "/etc/ha.d/stonith-ipmi.cfg",
    "/var/backups/hacluster",
    "/var/lib/hacluster",
    rereadMark,
  ]) {
    rmSync(node.local(path), { recursive: true, force: true });
  }
  mkdirSync(dirname(node.local(rereadMark)), { recursive: true });
});

const onNode = (path: string) => readFileSync(node.local(path), "utf8");
const put = (path: string, text: string) => {
  mkdirSync(dirname(node.local(path)), { recursive: true });
  writeFileSync(node.local(path), text);
};
const rereadCount = () =>
  existsSync(node.local(rereadMark)) ? onNode(rereadMark).split("\n").length - 1 : 0;
const haCfText = "# Managed by hacluster\nkeepalive 1\ndeadtime 40\n";

async function created(content = haCfText) {
  const inputs = fileInputs(node.address(), haCf, content, { rereads });
  const { id, outs } = await provider.create(inputs);
  return { id, inputs, outs: outs! };
}

describe("a RemoteFile on a node", () => {
  it("writes the file, keeps the node's own, and reads back no drift", async () => {
    put("/etc/ha.d/ha.cf", "the node's own ha.cf\n");
    const { id, inputs, outs } = await created();
    expect(id).toBe("proxycl2:/etc/ha.d/ha.cf");
    expect(outs).toMatchObject({
      exists: true,
      sha256: inputs.sha256,
      mode: "0644",
      owner: "root",
      group: "root",
      lastWrite: "changed: /etc/ha.d/ha.cf (heartbeat reloaded)",
    });
    expect(onNode("/etc/ha.d/ha.cf")).toBe(haCfText);
    expect(onNode("/var/backups/hacluster/files/etc/ha.d/ha.cf")).toBe("the node's own ha.cf\n");

    const { props } = await provider.read(id, outs);
    expect(props).toEqual(outs);
    expect(await provider.diff(id, props, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  it.each([
    [
      "changed by hand",
      () => put("/etc/ha.d/ha.cf", haCfText.replace("deadtime 40", "deadtime 5")),
      ["sha256"],
      { exists: true, mode: "0644" },
    ],
    [
      "chmod 600",
      () => chmodSync(node.local("/etc/ha.d/ha.cf"), 0o600),
      ["mode"],
      { mode: "0600" },
    ],
    [
      "given to another owner",
      () => chownSync(node.local("/etc/ha.d/ha.cf"), 1, 1),
      ["owner", "group"],
      { owner: "daemon", group: "daemon" },
    ],
    [
      "deleted",
      () => rmSync(node.local("/etc/ha.d/ha.cf")),
      ["exists"],
      { exists: false, sha256: "" },
    ],
  ])("reports a file %s, and an update repairs it", async (_how, drift, named, seen) => {
    const { id, inputs, outs } = await created();
    drift();
    const { props } = await provider.read(id, outs);
    expect(props).toMatchObject(seen);
    expect(fileDrift(inputs, props as RemoteFileOutputs)).toEqual(named);
    const diff = await provider.diff(id, props, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });

    const rereadsBefore = rereadCount();
    const { outs: repaired } = await provider.update(id, props, inputs);
    expect(repaired).toMatchObject({ exists: true, sha256: inputs.sha256, mode: "0644" });
    expect(repaired!.owner).toBe("root");
    expect(onNode("/etc/ha.d/ha.cf")).toBe(haCfText);
    // The file changed on the node, so heartbeat rereads it: once.
    expect(repaired!.lastWrite).toBe("changed: /etc/ha.d/ha.cf (heartbeat reloaded)");
    expect(rereadCount()).toBe(rereadsBefore + 1);
    expect((await provider.diff(id, repaired!, inputs)).changes).toBe(false);
  });

  it("rewrites nothing and rereads nothing when the node already has the file", async () => {
    const { id, inputs, outs } = await created();
    const { outs: again } = await provider.update(id, outs, inputs);
    expect(again!.lastWrite).toBe("unchanged: /etc/ha.d/ha.cf");
    expect(rereadCount()).toBe(1);
  });

  it("updates in place for new content, and replaces only for another path", async () => {
    const { id, outs } = await created();
    const deadtime = fileInputs(node.address(), haCf, haCfText.replace("40", "45"), { rereads });
    expect(await provider.diff(id, outs, deadtime)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
    const moved = fileInputs(node.address(), { ...haCf, path: "/etc/ha.d/ha2.cf" }, haCfText);
    expect(await provider.diff(id, outs, moved)).toMatchObject({ replaces: ["path"] });
  });

  it("gives the node its own file back on delete, and leaves one changed by hand", async () => {
    put("/etc/ha.d/ha.cf", "the node's own ha.cf\n");
    const first = await created();
    await provider.delete(first.id, first.outs);
    expect(onNode("/etc/ha.d/ha.cf")).toBe("the node's own ha.cf\n");

    const second = await created();
    put("/etc/ha.d/ha.cf", "an admin's ha.cf\n");
    await provider.delete(second.id, second.outs);
    expect(onNode("/etc/ha.d/ha.cf")).toBe("an admin's ha.cf\n");
  });

  it("refuses to write over a directory, and leaves it as it is", async () => {
    mkdirSync(node.local("/etc/ha.d/ha.cf"), { recursive: true });
    put("/etc/ha.d/ha.cf/kept", "kept\n");
    await expect(created()).rejects.toThrow(
      "proxycl2:/etc/ha.d/ha.cf is a directory; a file is written only over a file or nothing",
    );
    expect(onNode("/etc/ha.d/ha.cf/kept")).toBe("kept\n");
  });

  it("stores checksums of a secret file, never its keys, and masks them as fingerprintOf does", async () => {
    const key = "k".repeat(40);
    const text = `# Managed by hacluster\nauth 1\n1 sha1 ${key}\n`;
    const inputs = fileInputs(node.address(), authkeys, text, { rereads });
    const { id, outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ mode: "0600", sha256: inputs.sha256 });
    expect(JSON.stringify(outs)).not.toContain(key);
    expect(onNode("/etc/ha.d/authkeys")).toBe(text);

    put("/etc/ha.d/authkeys", text.replace(key, "x".repeat(40)));
    const { props } = await provider.read(id, outs!);
    // Another key in the same slot: the masked checksum cannot see it, by design of the mask.
    expect(props.sha256).toBe(inputs.sha256);
    put("/etc/ha.d/authkeys", text.replace("auth 1", "auth 2"));
    expect((await provider.read(id, outs!)).props.sha256).not.toBe(inputs.sha256);
  });

  it("keeps a secret file's output out of its errors", async () => {
    const key = "k".repeat(40);
    const inputs = fileInputs(
      node.address(),
      { ...authkeys, owner: "nobody-here" },
      `1 sha1 ${key}\n`,
    );
    const error = await provider.create(inputs).catch((e: Error) => e);
    expect(String(error)).toContain("proxycl2:/etc/ha.d/authkeys: write failed");
    expect(String(error)).toContain("its output is withheld: the file holds a secret");
    expect(String(error)).not.toContain(key);
  });

  it("says why a secret file's own script refused, in its own words only", async () => {
    const password = "Pw-never-shown";
    const refusal = `echo "the content: $(cat "$tmp")" >&2; echo "hacluster: refused, for a reason" >&2; exit 1`;
    const inputs = fileInputs(
      node.address(),
      stonithIpmi,
      `# Managed by hacluster\nproxycl1 10.250.0.11 fence ${password} lanplus\n`,
      { rereads: refusal },
    );
    const error = await provider.create(inputs).catch((e: Error) => e);
    expect(String(error)).toContain(
      "proxycl2:/etc/ha.d/stonith-ipmi.cfg: write failed (exit 1): hacluster: refused, for a reason",
    );
    expect(String(error)).not.toContain(password);
  });
});

describe("a RemoteFile whose secret may change alone (the ipmi stonith file)", () => {
  const text = (password: string) =>
    `# Managed by hacluster\nproxycl1 10.250.0.11 fence ${password} lanplus\n`;

  it("writes a password set again, which neither the checksum nor the scripts show", async () => {
    const first = fileInputs(node.address(), stonithIpmi, text("Pw-first"), { rereads });
    const { id, outs } = await provider.create(first);
    expect(outs!.contentDigest).toBe(first.contentDigest);
    expect(JSON.stringify(outs)).not.toContain("Pw-first");
    // A refresh keeps the digest it cannot read on the node.
    const { props } = await provider.read(id, outs!);
    expect(props).toEqual(outs);
    expect(await provider.diff(id, props, first)).toMatchObject({ changes: false });

    const second = fileInputs(node.address(), stonithIpmi, text("Pw-second"), { rereads });
    expect([second.sha256, second.version]).toEqual([first.sha256, first.version]);
    expect(await provider.diff(id, props, second)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
    const { outs: updated } = await provider.update(id, props, second);
    expect(onNode("/etc/ha.d/stonith-ipmi.cfg")).toBe(text("Pw-second"));
    expect(updated).toMatchObject({
      contentDigest: second.contentDigest,
      lastWrite: "changed: /etc/ha.d/stonith-ipmi.cfg (heartbeat reloaded)",
    });
    expect(rereadCount()).toBe(2);
    // Nothing is kept aside that held the first password.
    expect(
      existsSync(node.local("/var/backups/hacluster/previous/etc/ha.d/stonith-ipmi.cfg")),
    ).toBe(false);
  });

  it("leaves a state written before digests as it is", async () => {
    const first = fileInputs(node.address(), stonithIpmi, text("Pw-first"));
    const { id, outs } = await provider.create(first);
    const older = { ...outs! };
    delete older.contentDigest;
    const second = fileInputs(node.address(), stonithIpmi, text("Pw-second"));
    expect(await provider.diff(id, older, second)).toMatchObject({ changes: false });
  });
});

describe("a RemoteFile that is a block in a file the node keeps", () => {
  const hostsBlock: typeof haCf = { ...haCf, path: "/etc/hosts", kind: "block" };
  const block = "# BEGIN hacluster\n172.16.250.101 proxycl1\n# END hacluster\n";
  let hosts: string;
  beforeAll(() => (hosts = onNode("/etc/hosts")));
  afterEach(() => put("/etc/hosts", hosts));

  it("sees only its block: the node's own lines are not drift, a changed block is", async () => {
    const inputs = fileInputs(node.address(), hostsBlock, block);
    const { id, outs } = await provider.create(inputs);
    expect(onNode("/etc/hosts")).toBe(`${block}${hosts}`);
    put("/etc/hosts", `${onNode("/etc/hosts")}10.9.9.10 scanner\n`);
    expect((await provider.read(id, outs!)).props).toEqual(outs);
    put("/etc/hosts", onNode("/etc/hosts").replace("172.16.250.101", "172.16.250.109"));
    const { props } = await provider.read(id, outs!);
    expect(fileDrift(inputs, props as RemoteFileOutputs)).toEqual(["sha256"]);
    await provider.update(id, props, inputs);
    expect(onNode("/etc/hosts")).toBe(`${block}${hosts}10.9.9.10 scanner\n`);
  });
});

describe("a RemoteFile on the replicated volume", () => {
  const mountPoint = "/var/lib/hacluster-test-volume";
  const squidConf = {
    ...haCf,
    path: `${mountPoint}/etc/squid/squid.conf`,
    onReplicatedVolume: true,
  };
  afterEach(() => {
    try {
      node.holdVolume(mountPoint, false);
    } catch {
      // Not mounted by this test.
    }
  });

  it("writes nothing where the volume is not, and reads no drift there", async () => {
    const inputs = fileInputs(node.address(), squidConf, "http_port 3128\n", { mountPoint });
    const { id, outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ volumeHeld: false, exists: false });
    expect(outs!.lastWrite).toMatch(/^unchanged: .* is not mounted on /);
    expect((await provider.diff(id, outs!, inputs)).changes).toBe(false);
    expect((await provider.read(id, outs!)).props).toEqual(outs);
  });

  it("reads and repairs it on the node that holds the volume", async () => {
    node.holdVolume(mountPoint, true);
    const inputs = fileInputs(node.address(), squidConf, "http_port 3128\n", { mountPoint });
    const { id, outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ volumeHeld: true, exists: true, sha256: inputs.sha256 });
    node.run(`echo "http_port 8080" >${squidConf.path}`);
    const { props } = await provider.read(id, outs!);
    expect((await provider.diff(id, props, inputs)).changes).toBe(true);
    expect((await provider.update(id, props, inputs)).outs).toMatchObject({ exists: true });
    expect(node.run(`cat ${squidConf.path}`)).toBe("http_port 3128");
  });
});

describe("reaching a node", () => {
  it("fails a refresh of a node that does not answer, naming it", async () => {
    const { id, outs } = await created();
    const gone = { ...outs, connection: { ...outs.connection, port: 1 } };
    await expect(provider.read(id, gone)).rejects.toThrow(
      /^proxycl2 \(root@127\.0\.0\.1:1\) cannot be reached: connect ECONNREFUSED/,
    );
  });

  it("refuses a node whose host key is not the pinned one", async () => {
    const { id, outs } = await created();
    const other =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYyAtaHOuSaOSpeGxlDRTlEVvRDE8vBFWZ+Ba1rP7cj";
    await expect(
      provider.read(id, { ...outs, connection: { ...outs.connection, hostKey: other } }),
    ).rejects.toThrow(/^proxycl2 \(.*\): the host key differs from the pinned one; refusing/);
  });

  it("runs its scripts through sudo -n sh -c for a user who is not root", async () => {
    const { id, outs } = await created();
    const admin = { ...outs, connection: { ...outs.connection, user: "hacladmin" } };
    const { props } = await provider.read(id, admin);
    expect(props).toMatchObject({ exists: true, sha256: outs.sha256 });
    expect(node.sudoCalls()).toBe(`-n sh -c ${outs.scripts.read}\n`);
  });

  it("checks no host key only where the stack waives it", async () => {
    const unpinned = node.address({ hostKey: undefined });
    const inputs = fileInputs(unpinned, haCf, haCfText);
    expect((await provider.check(inputs, inputs)).failures).toEqual([
      {
        property: "connection",
        reason: "no host key pinned for proxycl2, and the stack does not waive the check",
      },
    ]);
    const waived = fileInputs({ ...unpinned, skipHostKeyCheck: true }, haCf, haCfText);
    expect((await provider.check(waived, waived)).failures).toEqual([]);
    expect((await provider.create(waived)).outs).toMatchObject({ exists: true });
  });
});

describe("a file moved from its step to a RemoteFile", () => {
  it("is left in place by the step's delete, which runs after the RemoteFile wrote it", async () => {
    const plan = planSteps(clusterOf("lab"), "k".repeat(40));
    const step = plan[0].find((s) => s.id === "ha-cf")!;
    expect(node.run(step.create, step.stdin)).toBe("changed: /etc/ha.d/ha.cf");
    const file = { ...haCf, path: step.target };
    const inputs = fileInputs(node.address(), file, step.stdin!, {}, "proxycl1");
    expect((await provider.create(inputs)).outs!.lastWrite).toBe("unchanged: /etc/ha.d/ha.cf");
    expect(node.run(step.delete!)).toBe(
      "unchanged: /etc/ha.d/ha.cf was applied since by another step or version; left as it is",
    );
    expect(onNode("/etc/ha.d/ha.cf")).toBe(step.stdin);
  });
});

describe("a refresh of many resources at once", () => {
  it("reads them all, though sshd drops handshakes beyond its MaxStartups", async () => {
    // The engine reads every resource at once; Debian's sshd (and this one) start dropping
    // unauthenticated connections past 10.
    const { outs } = await created();
    const reads = await Promise.all(
      Array.from({ length: 32 }, () => provider.read(`proxycl2:${haCf.path}`, outs)),
    );
    expect(reads.map((r) => (r.props as RemoteFileOutputs).exists)).toEqual(
      Array.from({ length: 32 }, () => true),
    );
  });
});
