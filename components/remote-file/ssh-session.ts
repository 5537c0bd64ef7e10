import type { Client, ConnectConfig } from "ssh2";
import { remoteCommand } from "../../render/step";

/**
 * How a dynamic provider reaches a node. Nothing here is secret: it is copied into the
 * resource's outputs, the only properties a refresh or a destroy hands the provider. The key
 * itself is read from the stack's config, by the name given here, when the provider starts.
 */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
  /** root, or a user with password-less sudo. */
  readonly user: string;
  /** The node's host key as `ssh-keyscan` prints it without the host: `ssh-ed25519 AAAA...`. */
  readonly hostKey?: string;
  /** True only where the stack states why host keys are not checked (`skipHostKeyCheck`). */
  readonly skipHostKeyCheck?: boolean;
  /** The stack config key holding the private key (`hacluster:sshPrivateKey`); else the agent. */
  readonly privateKeyConfig?: string;
  readonly privateKeyPasswordConfig?: string;
}

/** Why a connection cannot be used as it is: no host key pinned, and no waiver. */
export function hostKeyProblem(node: string, address: NodeAddress): string | undefined {
  return address.hostKey || address.skipHostKeyCheck === true
    ? undefined
    : `no host key pinned for ${node}, and the stack does not waive the check`;
}

/** Whether two connections reach the same node the same way (state may order keys otherwise). */
export function sameAddress(a: NodeAddress, b: NodeAddress): boolean {
  const keys = [
    "host",
    "port",
    "user",
    "hostKey",
    "skipHostKeyCheck",
    "privateKeyConfig",
    "privateKeyPasswordConfig",
  ] as const;
  return keys.every((k) => a[k] === b[k]);
}

/** Key material for one connection, as found in the stack's config by the provider. */
export interface SshKey {
  readonly privateKey?: string;
  readonly passphrase?: string;
}

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one node-side script; `stdin` carries a file's content, never the command line. */
export type RunScript = (script: string, stdin?: string) => Promise<ScriptResult>;

/**
 * The key a connection names, from the stack's config as the dynamic-provider host hands it to
 * `configure` (every key, secrets in clear); none means the ssh-agent of the shell running pulumi.
 */
export function keyFrom(
  config: { get(key: string): string | undefined } | undefined,
  address: NodeAddress,
): SshKey {
  // The stack's key wherever it is set now, whatever the resource was made with: a stack that
  // was first applied with an agent and later given a key refreshes with the key.
  const get = (key: string) => config?.get(key);
  return {
    privateKey: get(address.privateKeyConfig ?? "hacluster:sshPrivateKey"),
    passphrase: get(address.privateKeyPasswordConfig ?? "hacluster:sshPrivateKeyPassword"),
  };
}

/** The last line a script printed: every node-side script ends with the one that says what it did. */
export function lastLine(text: string): string {
  return text.trimEnd().split("\n").pop() ?? "";
}

/** The algorithms that let the node present the key type that was pinned, and no other. */
function hostKeyAlgorithms(type: string): ConnectConfig["algorithms"] {
  const rsa = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] as const;
  return { serverHostKey: type === "ssh-rsa" ? [...rsa] : [type as "ssh-ed25519"] };
}

/**
 * Opens one SSH connection to `node`, hands `work` a way to run scripts on it, and closes it.
 * Every failure to connect names the node and its address: a refresh that cannot reach a node
 * fails, it never reads as "no drift".
 */
export async function onNode<T>(
  node: string,
  address: NodeAddress,
  key: SshKey,
  work: (run: RunScript) => Promise<T>,
): Promise<T> {
  // Required here, not imported: the provider is serialized into the stack's state as a closure,
  // which can hold no native handle; the host that runs it loads ssh2 itself.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ssh2 = require("ssh2") as typeof import("ssh2");
  const where = `${node} (${address.user}@${address.host}:${address.port})`;
  const config: ConnectConfig = {
    host: address.host,
    port: address.port,
    username: address.user,
    readyTimeout: 20_000,
  };
  if (key.privateKey !== undefined) {
    config.privateKey = key.privateKey;
    config.passphrase = key.passphrase;
  } else if (process.env.SSH_AUTH_SOCK) {
    config.agent = process.env.SSH_AUTH_SOCK;
  } else {
    throw new Error(
      `${where}: no SSH key: the stack has no ${address.privateKeyConfig ?? "private key"} and no ssh-agent runs (SSH_AUTH_SOCK)`,
    );
  }
  let hostKeyRefused = false;
  if (address.hostKey !== undefined) {
    const [type, blob] = address.hostKey.trim().split(/\s+/);
    const pinned = Buffer.from(blob ?? "", "base64");
    config.algorithms = hostKeyAlgorithms(type);
    config.hostVerifier = (offered: Buffer) => {
      hostKeyRefused = !offered.equals(pinned);
      return !hostKeyRefused;
    };
  } else if (address.skipHostKeyCheck !== true) {
    throw new Error(`${where}: no host key pinned and no waiver (skipHostKeyCheck); refusing`);
  }

  // A refresh reads every resource at once, and sshd drops connections beyond MaxStartups
  // (Debian: 10 not yet logged in): a few at a time per node, and a dropped handshake tried again.
  const release = await connectionSlot(`${address.host}:${address.port}`);
  let client: Client;
  try {
    client = await connectWithRetry(() => connectOnce(ssh2, config, where, () => hostKeyRefused));
  } catch (e) {
    release();
    throw e;
  }
  const run: RunScript = (script, stdin) =>
    new Promise((resolve, reject) => {
      client.exec(remoteCommand(script, address.user), (error, stream) => {
        if (error) {
          reject(new Error(`${where}: ${error.message}`));
          return;
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => out.push(chunk));
        stream.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        stream.on("close", (code: number | null) =>
          resolve({
            code: code ?? -1,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
          }),
        );
        stream.end(stdin ?? "");
      });
    });
  try {
    return await work(run);
  } finally {
    client.end();
    release();
  }
}

/** Connections open at once to one node, from one process. */
const connectionsPerNode = 3;

/**
 * Waits for one of a node's connection slots; returns what frees it. The slots live on
 * `globalThis`, not in this module: the provider is serialized into the state as a closure, and
 * a captured Map would not survive that.
 */
async function connectionSlot(node: string): Promise<() => void> {
  const shared = globalThis as {
    haclusterSshSlots?: Map<string, { open: number; waiting: (() => void)[] }>;
  };
  const slots = (shared.haclusterSshSlots ??= new Map());
  const slot = slots.get(node) ?? { open: 0, waiting: [] };
  slots.set(node, slot);
  if (slot.open >= connectionsPerNode) await new Promise<void>((go) => slot.waiting.push(go));
  slot.open += 1;
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    slot.open -= 1;
    slot.waiting.shift()?.();
  };
}

/** An SSH handshake, with what went wrong said for the node. */
function connectOnce(
  ssh2: typeof import("ssh2"),
  config: ConnectConfig,
  where: string,
  hostKeyRefused: () => boolean,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const connection = new ssh2.Client();
    connection.once("ready", () => resolve(connection));
    // Kept after the handshake too: a connection that drops mid-script must not crash the host.
    connection.on("error", (e: Error & { level?: string }) =>
      reject(
        Object.assign(
          new Error(
            hostKeyRefused()
              ? `${where}: the host key differs from the pinned one; refusing to connect (compare it with the node's console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)`
              : e.level === "client-authentication"
                ? `${where} refused the SSH key: ${e.message}`
                : `${where} cannot be reached: ${e.message}`,
          ),
          { final: hostKeyRefused() || e.level === "client-authentication" },
        ),
      ),
    );
    connection.connect(config);
  });
}

/**
 * Tries a handshake again when the node dropped it (sshd's MaxStartups, a restart): six times
 * over about eight seconds. A refused host key or SSH key is final at once.
 */
async function connectWithRetry(connect: () => Promise<Client>): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (e) {
      if ((e as { final?: boolean }).final || attempt >= 6) throw e;
      const pause = Math.min(3000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((wait) => setTimeout(wait, pause));
    }
  }
}
