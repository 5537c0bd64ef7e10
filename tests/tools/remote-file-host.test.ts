/**
 * The RemoteFile provider as the engine runs it: serialized as Pulumi stores it in the state,
 * then driven through Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`)
 * over gRPC, with the requests the engine sends on `up` and `refresh`, against a real sshd.
 */
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RemoteFileProvider } from "../../components/remote-file/provider";
import { fingerprintOf } from "../../render/file-step";
import { LoopbackNode } from "../support/loopback-node";
import { authkeys, fileInputs, haCf, stonithIpmi } from "../support/remote-file-inputs";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated protobuf modules are CommonJS */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(60_000);

type Props = Record<string, unknown>;
/** How the engine wraps a secret config value when it configures a provider. */
const secret = (value: string) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});
const urn = (name: string) =>
  `urn:pulumi:lab::hacluster::pulumi-nodejs:dynamic/hacluster:RemoteFile::${name}`;

let node: LoopbackNode;
let host: ChildProcess;
let client: grpc.Client & Record<string, (...args: unknown[]) => void>;
let providerCode: string;
let hostLog = "";

/** One unary call to the host, as a promise. */
function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

beforeAll(async () => {
  node = await LoopbackNode.start();
  // Exactly what pulumi.dynamic.Resource stores in `__provider` (see @pulumi/pulumi/dynamic).
  const serialized = await pulumi.runtime.serializeFunction(() => new RemoteFileProvider(), {
    allowSecrets: true,
  });
  expect(serialized.containsSecrets).toBe(false);
  providerCode = serialized.text;

  // As the engine starts it: the engine's address as the only argument, the port on stdout.
  const root = join(__dirname, "..", "..");
  host = spawn(
    process.execPath,
    [join(root, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"), "127.0.0.1:1"],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  // It logs each failed call, as it does for the engine: kept, for a failure's message.
  host.stderr!.on("data", (chunk: Buffer) => (hostLog += chunk.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    host.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    host.once("exit", (code) => reject(new Error(`the host exited (${code}): ${hostLog}`)));
  });
  client = new provrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  // The engine hands a dynamic provider the whole stack config, secrets wrapped.
  const configure = new provproto.ConfigureRequest();
  configure.setArgs(Struct.fromJavaScript({ "hacluster:sshPrivateKey": secret(node.clientKey) }));
  configure.setAcceptsecrets(true);
  const configured = await call<{ getAcceptsecrets(): boolean }>("configure", configure);
  // So the engine sends it secrets in clear, and marks again as secret every output property
  // named like a secret input (annotateSecrets in pkg/resource/plugin/provider_plugin.go).
  expect(configured.getAcceptsecrets()).toBe(false);
});

afterAll(() => {
  client?.close();
  host?.kill();
  node?.stop();
});

beforeEach(() => {
  for (const path of ["/etc/ha.d", "/var/backups/hacluster", "/var/lib/hacluster"]) {
    rmSync(node.local(path), { recursive: true, force: true });
  }
});

const put = (path: string, text: string) => {
  mkdirSync(dirname(node.local(path)), { recursive: true });
  writeFileSync(node.local(path), text);
};
const onNode = (path: string) => readFileSync(node.local(path), "utf8");

/** The engine's requests, with `__provider` beside the properties as the state keeps it. */
const withProvider = (props: Props) =>
  Struct.fromJavaScript({ ...props, __provider: providerCode });
const propsOf = (response: { getProperties(): { toJavaScript(): Props } }) =>
  response.getProperties().toJavaScript();

async function check(name: string, news: Props): Promise<Props> {
  const request = new provproto.CheckRequest();
  request.setUrn(urn(name));
  request.setOlds(Struct.fromJavaScript({}));
  request.setNews(withProvider(news));
  const response = await call<{
    getInputs(): { toJavaScript(): Props };
    getFailuresList(): unknown[];
  }>("check", request);
  expect(response.getFailuresList()).toEqual([]);
  return response.getInputs().toJavaScript();
}

async function create(name: string, inputs: Props) {
  const request = new provproto.CreateRequest();
  request.setUrn(urn(name));
  request.setProperties(Struct.fromJavaScript(inputs));
  const response = await call<{ getId(): string; getProperties(): { toJavaScript(): Props } }>(
    "create",
    request,
  );
  return { id: response.getId(), outputs: propsOf(response) };
}

async function read(name: string, id: string, outputs: Props, inputs: Props) {
  const request = new provproto.ReadRequest();
  request.setId(id);
  request.setUrn(urn(name));
  request.setProperties(Struct.fromJavaScript(outputs));
  request.setInputs(Struct.fromJavaScript(inputs));
  return propsOf(await call("read", request));
}

async function diff(name: string, id: string, outputs: Props, inputs: Props) {
  const request = new provproto.DiffRequest();
  request.setId(id);
  request.setUrn(urn(name));
  request.setOlds(Struct.fromJavaScript(outputs));
  request.setNews(Struct.fromJavaScript(inputs));
  const response = await call<{
    getChanges(): number;
    getReplacesList(): string[];
    getDeletebeforereplace(): boolean;
  }>("diff", request);
  const changes = provproto.DiffResponse.DiffChanges;
  return {
    changes: response.getChanges() === changes.DIFF_SOME,
    none: response.getChanges() === changes.DIFF_NONE,
    replaces: response.getReplacesList(),
    deleteBeforeReplace: response.getDeletebeforereplace(),
  };
}

async function update(name: string, id: string, outputs: Props, inputs: Props) {
  const request = new provproto.UpdateRequest();
  request.setId(id);
  request.setUrn(urn(name));
  request.setOlds(Struct.fromJavaScript(outputs));
  request.setNews(Struct.fromJavaScript(inputs));
  return propsOf(await call("update", request));
}

async function destroy(name: string, id: string, outputs: Props) {
  const request = new provproto.DeleteRequest();
  request.setId(id);
  request.setUrn(urn(name));
  request.setProperties(Struct.fromJavaScript(outputs));
  await call("delete", request);
}

describe("the RemoteFile provider in Pulumi's dynamic-provider host", () => {
  const name = "proxycl2:/etc/ha.d/ha.cf";
  const text = "# Managed by hacluster\nkeepalive 1\ndeadtime 40\n";

  it("creates, reads drift after a hand edit, diffs it as an update, repairs it, deletes", async () => {
    put("/etc/ha.d/ha.cf", "the node's own ha.cf\n");
    const inputs = await check(name, { ...fileInputs(node.address(), haCf, text) });
    const { id, outputs } = await create(name, inputs);
    expect(id).toBe(name);
    expect(outputs).toMatchObject({ exists: true, sha256: inputs.sha256, mode: "0644" });
    expect(outputs.__provider).toBe(providerCode);
    expect(outputs).not.toHaveProperty("content");

    // refresh, after someone edited the file by hand
    const edited = text.replace("deadtime 40", "deadtime 5");
    put("/etc/ha.d/ha.cf", edited);
    const refreshed = await read(name, id, outputs, inputs);
    expect(refreshed.sha256).toBe(fingerprintOf({ ...haCf, id: "ha-cf", content: edited }));
    expect(refreshed.sha256).not.toBe(inputs.sha256);

    // up: an update in place, never a replacement
    expect(await diff(name, id, refreshed, inputs)).toEqual({
      changes: true,
      none: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
    const repaired = await update(name, id, refreshed, inputs);
    expect(repaired).toMatchObject({ exists: true, sha256: inputs.sha256 });
    expect(onNode("/etc/ha.d/ha.cf")).toBe(text);
    expect((await diff(name, id, await read(name, id, repaired, inputs), inputs)).none).toBe(true);

    // destroy: the node's own file back
    await destroy(name, id, repaired);
    expect(onNode("/etc/ha.d/ha.cf")).toBe("the node's own ha.cf\n");
  });

  it("keeps a secret file's digest under its input's name, and diffs a new one as an update", async () => {
    const ipmiName = "proxycl2:/etc/ha.d/stonith-ipmi.cfg";
    const content = (password: string) =>
      `# Managed by hacluster\nproxycl1 10.250.0.11 fence ${password} lanplus\n`;
    const first = await check(ipmiName, {
      ...fileInputs(node.address(), stonithIpmi, content("Pw-host-one")),
    });
    const { id, outputs } = await create(ipmiName, first);
    // The engine marks secret an output named like a secret input: the same name, kept.
    expect(outputs.contentDigest).toBe(first.contentDigest);
    const second = await check(ipmiName, {
      ...fileInputs(node.address(), stonithIpmi, content("Pw-host-two")),
    });
    expect(second.sha256).toBe(first.sha256);
    expect((await diff(ipmiName, id, outputs, first)).none).toBe(true);
    expect(await diff(ipmiName, id, outputs, second)).toEqual({
      changes: true,
      none: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
    const updated = await update(ipmiName, id, outputs, second);
    expect(updated.contentDigest).toBe(second.contentDigest);
    expect(onNode("/etc/ha.d/stonith-ipmi.cfg")).toBe(content("Pw-host-two"));
    for (const response of [outputs, updated]) {
      expect(JSON.stringify(response)).not.toMatch(/Pw-host-/);
    }
  });

  it("fails a refresh of a node it cannot reach, naming the node", async () => {
    const inputs = await check(name, { ...fileInputs(node.address(), haCf, text) });
    const { id, outputs } = await create(name, inputs);
    const unreachable = { ...outputs, connection: { ...node.address(), port: 1 } };
    await expect(read(name, id, unreachable, inputs)).rejects.toThrow(
      /proxycl2 \(root@127\.0\.0\.1:1\) cannot be reached/,
    );
  });

  it("returns no secret file's content, no key, in any response", async () => {
    const key = "k".repeat(40);
    const authkeysName = "proxycl2:/etc/ha.d/authkeys";
    const inputs = await check(authkeysName, {
      ...fileInputs(node.address(), authkeys, `auth 1\n1 sha1 ${key}\n`),
    });
    const { id, outputs } = await create(authkeysName, inputs);
    put("/etc/ha.d/authkeys", "auth 2\n2 sha1 changed-by-hand\n");
    const refreshed = await read(authkeysName, id, outputs, inputs);
    const repaired = await update(authkeysName, id, refreshed, inputs);
    expect(onNode("/etc/ha.d/authkeys")).toContain(key);
    for (const response of [outputs, refreshed, repaired]) {
      expect(response).not.toHaveProperty("content");
      const textOf = JSON.stringify(response);
      expect(textOf).not.toContain(key);
      expect(textOf).not.toContain(node.clientKey.split("\n")[1]);
    }
  });
});
