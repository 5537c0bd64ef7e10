import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What a script run on the node did. */
export interface NodeRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One cluster node for a real heartbeat 3.0.6, on this machine: private mount, UTS, network and
 * PID namespaces whose /etc, /var/lib, /var/backups and /var/log are copies or folders in a temp
 * folder, /run a tmpfs, and ipmitool a recorder that writes down how it was called (never a
 * password: whether `-P` came, and whether IPMI_PASSWORD was set). Its peer never answers.
 * Everything in it is ended by killing the namespace's first process, by its PID.
 */
export class HeartbeatNode {
  readonly dir = mkdtempSync(join(tmpdir(), "hacluster-heartbeat-"));
  private unshare?: ChildProcess;
  private init?: number;

  /** The namespaces, set up; resolves once the node is ready. */
  async start(): Promise<void> {
    chmodSync(this.dir, 0o700);
    const setup = join(this.dir, "setup.sh");
    writeFileSync(setup, setupScript(this.dir));
    this.unshare = spawn(
      "unshare",
      [
        "--mount",
        "--uts",
        "--net",
        "--pid",
        "--fork",
        "--mount-proc",
        "--propagation",
        "private",
      ].concat(["bash", setup]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    this.unshare.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(this.dir, "ready"))) {
      if (Date.now() > deadline || this.unshare.exitCode !== null) {
        throw new Error(`the node's namespaces were not set up: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = this.unshare.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    this.init = Number(children.split(" ")[0]);
  }

  /** Runs a script as root on the node, `stdin` on its standard input. */
  run(script: string, stdin = ""): NodeRun {
    const result = spawnSync(
      "nsenter",
      ["--target", String(this.init), "--mount", "--uts", "--net", "--pid", "sh", "-c", script],
      { input: stdin, encoding: "utf8", timeout: 60_000 },
    );
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** A script that must succeed; its output. */
  must(script: string, stdin = ""): string {
    const run = this.run(script, stdin);
    if (run.status !== 0) throw new Error(`${script} failed (${run.status}): ${run.stderr}`);
    return run.stdout;
  }

  /** A file of the node, read from its folder here (`etc/ha.d/ha.cf`, `log/ha-log`). */
  local(path: string): string {
    return join(this.dir, path);
  }

  /** heartbeat's log on the node so far ("" before heartbeat wrote any). */
  haLog(): string {
    const log = this.local("log/ha-log");
    return existsSync(log) ? readFileSync(log, "utf8") : "";
  }

  /** What ipmitool was run with, one line per run. */
  ipmitoolRuns(): string[] {
    const log = this.local("ipmitool.log");
    return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
  }

  stop(): void {
    if (this.init !== undefined) process.kill(this.init, "SIGKILL");
    if (this.unshare && this.unshare.exitCode === null) this.unshare.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run by unshare: the node's folders, its network, the recorder; then waits to be killed. */
function setupScript(dir: string): string {
  return `set -eu
W='${dir}'
mkdir -p "$W/etc" "$W/lib" "$W/backups" "$W/log"
hostname proxycl1
ip link set lo up
ip link add eth0 type veth peer name eth0p
ip link set eth0p up
ip addr add 192.168.0.1/24 dev eth0
ip link set eth0 up
cp -a /etc/. "$W/etc/"
cp -a /var/lib/heartbeat "$W/lib/heartbeat"
mount --bind "$W/etc" /etc
mount --bind "$W/lib" /var/lib
mount --bind "$W/backups" /var/backups
mount --bind "$W/log" /var/log
mount -t tmpfs tmpfs /run
mkdir -p /run/lock /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd
chown -R hacluster:haclient /run/heartbeat
# ipmitool as the plugin runs it: how it was called, the password never written down.
cat >"$W/ipmitool" <<'REC'
#!/bin/sh
case " $* " in *" -P "*) how="-P <password>" ;; *) how="" ;; esac
args=$(printf '%s\\n' "$*" | sed -E 's/ -P [^ ]+/ -P <password>/')
echo "$args | IPMI_PASSWORD set: \${IPMI_PASSWORD:+yes}\${how:+ | given -P}" >>'${dir}/ipmitool.log'
echo "Chassis Power is on"
REC
chmod 755 "$W/ipmitool"
mount --bind "$W/ipmitool" /usr/bin/ipmitool
# The package's files stay (shellfuncs, resource.d); a cluster's config goes.
rm -rf /etc/ha.d/ha.cf /etc/ha.d/haresources /etc/ha.d/authkeys /etc/ha.d/stonith*.cfg
rm -rf /etc/default/heartbeat /etc/systemd/system/heartbeat.service.d
touch "$W/ready"
# The namespace's first process: it reaps every orphan (heartbeat, once stopped, included),
# or \`heartbeat -k\` would wait for a zombie.
exec bash -c 'while :; do sleep 1 & wait $!; done'
`;
}
