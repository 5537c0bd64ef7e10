import { ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeAddress } from "../../components/remote-file/ssh-session";

/** Where a node path is kept on this machine: the node's /etc, /var/backups, /var/lib are copies. */
const mounted = [
  ["/etc", "etc"],
  ["/var/backups", "backups"],
  ["/var/lib", "lib"],
] as const;

function sh(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  }
  return result.stdout;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/**
 * A node for the tests: the real sshd on 127.0.0.1 and a random high port, as root, in a private
 * mount namespace whose /etc, /var/backups and /var/lib are copies in a temp folder, so that the
 * product's scripts write their real paths safely. Stopped by its PID.
 */
export class LoopbackNode {
  private constructor(
    readonly root: string,
    readonly port: number,
    private readonly sshd: ChildProcess,
    /** `ssh-ed25519 AAAA...`, as a stack pins it. */
    readonly hostKey: string,
    /** The client's private key, as the stack's secret `sshPrivateKey` holds it. */
    readonly clientKey: string,
  ) {}

  static async start(): Promise<LoopbackNode> {
    const root = mkdtempSync(join(tmpdir(), "hacluster-sshd-"));
    for (const [, dir] of mounted) mkdirSync(join(root, dir));
    mkdirSync(join(root, "keys"));
    mkdirSync(join(root, "volume"));
    sh("cp", ["-a", "/etc/.", join(root, "etc")]);
    LoopbackNode.addAdmin(root);
    const keys = join(root, "keys");
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "host")]);
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "client")]);
    writeFileSync(join(keys, "authorized_keys"), readFileSync(join(keys, "client.pub")));
    // sshd reads authorized_keys as the user logging in, hacladmin too.
    chmodSync(root, 0o711);
    chmodSync(keys, 0o755);
    const hostKey = readFileSync(join(keys, "host.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const clientKey = readFileSync(join(keys, "client"), "utf8");

    for (let attempt = 0; attempt < 5; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 40000);
      if (await listening(port)) continue;
      const config = join(keys, `sshd_config.${port}`);
      writeFileSync(
        config,
        [
          `Port ${port}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${join(keys, "host")}`,
          `AuthorizedKeysFile ${join(keys, "authorized_keys")}`,
          "PidFile none",
          "StrictModes no",
          "UsePAM no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin prohibit-password",
          "LogLevel ERROR",
          "",
        ].join("\n"),
      );
      const mounts = [
        ...mounted.map(([path, dir]) => `mount --bind ${join(root, dir)} ${path}`),
        `mount --bind ${join(root, "sudo")} /usr/local/bin`,
        // sshd wants its own /run/sshd; the node's /run is its own, the host's stays as it is.
        "mount -t tmpfs none /run",
        "mkdir -m 755 /run/sshd",
      ].join(" && ");
      const sshd = spawn(
        "unshare",
        [
          ...["--mount", "--propagation", "private", "sh", "-c"],
          `${mounts} && exec "$0" -D -e -f "$1"`,
          ...["/usr/sbin/sshd", config],
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let log = "";
      sshd.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
      for (let i = 0; i < 50 && sshd.exitCode === null; i++) {
        if (await listening(port)) return new LoopbackNode(root, port, sshd, hostKey, clientKey);
        await new Promise((r) => setTimeout(r, 100));
      }
      sshd.kill();
      if (!/Address already in use/.test(log)) throw new Error(`sshd did not start: ${log}`);
    }
    throw new Error("sshd found no free port");
  }

  /**
   * A user who is not root, `hacladmin`, and a stand-in for sudo (this machine has none) first
   * in its PATH: it records how it was called, then runs the command as the user.
   */
  private static addAdmin(root: string): void {
    const add = (file: string, line: string) =>
      writeFileSync(
        join(root, "etc", file),
        `${readFileSync(join(root, "etc", file), "utf8")}${line}\n`,
      );
    add("passwd", "hacladmin:x:1500:1500:hacluster test admin:/tmp:/bin/sh");
    add("group", "hacladmin:x:1500:");
    add("shadow", "hacladmin:*:19000:0:99999:7:::");
    mkdirSync(join(root, "sudo"), { mode: 0o777 });
    chmodSync(join(root, "sudo"), 0o777);
    writeFileSync(
      join(root, "sudo", "sudo"),
      '#!/bin/sh\necho "$*" >>"$(dirname "$0")/calls"\n[ "$1" = -n ] || exit 1\nshift\nexec "$@"\n',
      { mode: 0o755 },
    );
  }

  /** The arguments sudo was called with on the node, every call one after the other. */
  sudoCalls(): string {
    const calls = join(this.root, "sudo", "calls");
    return existsSync(calls) ? readFileSync(calls, "utf8") : "";
  }

  /** How the provider reaches this node, with the client key in the config key named here. */
  address(overrides: Partial<NodeAddress> = {}): NodeAddress {
    return {
      host: "127.0.0.1",
      port: this.port,
      user: "root",
      hostKey: this.hostKey,
      privateKeyConfig: "hacluster:sshPrivateKey",
      ...overrides,
    };
  }

  /** Where the node's `path` is on this machine (under /etc, /var/backups or /var/lib). */
  local(path: string): string {
    for (const [prefix, dir] of mounted) {
      if (path.startsWith(`${prefix}/`)) return join(this.root, dir, path.slice(prefix.length));
    }
    throw new Error(`${path} is not under a folder the test node keeps apart`);
  }

  /** Runs a script as root inside the node (its mount namespace), as a file step would run. */
  run(script: string, stdin = ""): string {
    const result = spawnSync(
      "nsenter",
      ["--target", String(this.sshd.pid), "--mount", "sh", "-c", script],
      { input: stdin, encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`script failed (${result.status}): ${result.stderr}`);
    return result.stdout.trim().split("\n").pop()!;
  }

  /** The replicated volume mounted on this node, or not: `mountPoint` becomes a mount point. */
  holdVolume(mountPoint: string, held: boolean): void {
    this.run(
      held
        ? `mkdir -p ${mountPoint} && mount --bind ${join(this.root, "volume")} ${mountPoint}`
        : `umount ${mountPoint}`,
    );
  }

  /** Stops sshd by its PID, and removes the node's files from this machine. */
  stop(): void {
    this.sshd.kill("SIGTERM");
    rmSync(this.root, { recursive: true, force: true });
  }
}
