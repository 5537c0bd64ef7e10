/**
 * The VM lab's simulated BMC (tests/vm/bmc.sh: OpenIPMI's ipmi_sim) in a network namespace of
 * its own, with a dummy process for the VM: IPMI over the LAN powers it on, cuts it (SIGKILL),
 * resets it and reads it as off when it died by itself; cluster-glue's external/ipmi fences it
 * with a node's rendered stonith-ipmi.cfg and environment, the password on no command line.
 * Everything it starts is ended by PID, and the namespace deleted, even when a test fails.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withBmcPassword } from "../../render/engine-secret";
import { fingerprintCommand, fingerprintOf } from "../../render/file-step";
import { renderNodeFiles } from "../../render/node-files";
import { ipmiCluster, maskCases } from "../support/ipmi";
import { placeholderAuthkeys, projectDir, stackValues } from "../support/stacks";

jest.setTimeout(30_000);

const ns = `hacl-bmc-test-${process.pid}`;
const bmcAddress = "10.250.0.11";
const clientAddress = "10.250.0.254";
const user = "fence";
const password = `Pw-${randomBytes(6).toString("hex")}`;
const bmcScript = join(projectDir, "tests/vm/bmc.sh");
let dir: string;
let bmcDir: string;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env } });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function must(command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = run(command, args, env);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.output}`);
  }
  return result.output;
}

/** ipmitool from the client's address in the namespace, the password in its environment. */
const ipmi = (args: string[], secret = password) =>
  run(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "ipmitool",
      "-I",
      "lanplus",
      "-C",
      "3",
      "-H",
      bmcAddress,
      "-U",
      user,
    ].concat(["-E", ...args]),
    { IPMI_PASSWORD: secret },
  );
const powerStatus = () => ipmi(["chassis", "power", "status"]).output.trim();
/** The dummy VM's PID, or undefined while it is off. */
const vmPid = (): number | undefined => {
  const file = join(bmcDir, "vm.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8"));
  return existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`).length > 0
    ? pid
    : undefined;
};
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`).length > 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hacluster-bmc-"));
  chmodSync(dir, 0o700);
  bmcDir = join(dir, "bmc");
  writeFileSync(join(dir, "password"), `${password}\n`, { mode: 0o600 });
  // The VM: a process that says so if it is ever sent SIGTERM (a clean shutdown, not a cut).
  const vm = `trap 'echo TERM >>${dir}/vm-signals; exit 143' TERM; while :; do sleep 0.2; done`;
  must("ip", ["netns", "add", ns]);
  must("ip", ["-n", ns, "link", "set", "lo", "up"]);
  must("ip", ["-n", ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "mgmt1"]);
  must("ip", ["-n", ns, "addr", "add", `${bmcAddress}/24`, "dev", "mgmt0"]);
  must("ip", ["-n", ns, "addr", "add", `${clientAddress}/24`, "dev", "mgmt1"]);
  must("ip", ["-n", ns, "link", "set", "mgmt0", "up"]);
  must("ip", ["-n", ns, "link", "set", "mgmt1", "up"]);
  must(
    "bash",
    [bmcScript, "config", bmcDir, "proxycl1", bmcAddress, user, join(dir, "password")].concat([
      "--",
      "bash",
      "-c",
      vm,
    ]),
  );
  must("bash", [bmcScript, "start", bmcDir, ns]);
});

afterAll(() => {
  run("bash", [bmcScript, "stop", bmcDir]);
  // Whatever still runs in the namespace was started here: the VM, a straggler.
  const pids = run("ip", ["netns", "pids", ns]).output.split(/\s+/).filter(Boolean);
  for (const pid of pids) run("kill", ["-KILL", pid]);
  run("ip", ["netns", "del", ns]);
  rmSync(dir, { recursive: true, force: true });
});

describe("the lab's simulated BMC", () => {
  it("passes shellcheck", () => {
    expect(run("shellcheck", ["--severity=style", bmcScript])).toEqual({ status: 0, output: "" });
  });

  it("keeps its password in a file only it reads, not in its command line", () => {
    const pid = readFileSync(join(bmcDir, "ipmi_sim.pid"), "utf8").trim();
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain(password);
    expect(readFileSync(join(bmcDir, "lan.conf"), "utf8")).toContain(`"${password}"`);
    expect(run("stat", ["-c", "%a", join(bmcDir, "lan.conf"), bmcDir]).output).toBe("600\n700\n");
  });

  it("powers the VM on in the namespace, over IPMI from another address", () => {
    expect(powerStatus()).toBe("Chassis Power is off");
    expect(ipmi(["chassis", "power", "on"]).status).toBe(0);
    expect(powerStatus()).toBe("Chassis Power is on");
    const pid = vmPid()!;
    expect(run("ip", ["netns", "identify", String(pid)]).output.trim()).toBe(ns);
  });

  it("refuses a wrong password", () => {
    const wrong = ipmi(["chassis", "power", "status"], "not-the-password");
    expect(wrong.status).not.toBe(0);
  });

  it("cuts the power at once: SIGKILL, the VM never sees SIGTERM", () => {
    const pid = vmPid()!;
    expect(ipmi(["chassis", "power", "off"]).status).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(dir, "vm-signals"))).toBe(false);
    expect(powerStatus()).toBe("Chassis Power is off");
  });

  it("resets and cycles a running VM as a new process", () => {
    ipmi(["chassis", "power", "on"]);
    const first = vmPid()!;
    expect(ipmi(["chassis", "power", "reset"]).status).toBe(0);
    const second = vmPid()!;
    expect([alive(first), alive(second), second !== first]).toEqual([false, true, true]);
    expect(ipmi(["chassis", "power", "cycle"]).status).toBe(0);
    // A cycle powers on again a second after the cut.
    const deadline = Date.now() + 5000;
    while (vmPid() === undefined && Date.now() < deadline) run("sleep", ["0.1"]);
    expect([alive(second), vmPid() !== undefined]).toEqual([false, true]);
    expect(existsSync(join(dir, "vm-signals"))).toBe(false);
  });

  it("reads a VM that died by itself as off, and powers it on again", () => {
    run("kill", ["-KILL", String(vmPid()!)]);
    run("sleep", ["0.2"]);
    expect(powerStatus()).toBe("Chassis Power is off");
    ipmi(["chassis", "power", "on"]);
    expect(powerStatus()).toBe("Chassis Power is on");
  });
});

describe("fencing through the BMC with a node's rendered files", () => {
  // proxycl2 fences proxycl1, whose BMC this is.
  const cluster = ipmiCluster("lab", stackValues("lab"));
  const files = renderNodeFiles(cluster, cluster.nodes[1], placeholderAuthkeys);
  const cfg = files.find((f) => f.id === "stonith-ipmi-cfg")!;
  const defaults = files.find((f) => f.id === "heartbeat-defaults")!;

  /** ipmitool as the plugin runs it, its arguments written down (the plugin's `ipmitool`). */
  function recorder(): string {
    const path = join(dir, "ipmitool");
    writeFileSync(
      path,
      `#!/bin/sh\nprintf '%s\\n' "$*" >>${dir}/ipmitool.argv\nexec ipmitool "$@"\n`,
    );
    chmodSync(path, 0o700);
    rmSync(join(dir, "ipmitool.argv"), { force: true });
    return path;
  }
  /** stonith's command, in the namespace, with the environment heartbeat's init script gives. */
  function stonith(args: string[], environment: "node's" | "none") {
    const written = join(dir, "stonith-ipmi.cfg");
    writeFileSync(written, withBmcPassword(cfg.content, password), { mode: 0o600 });
    // The node's own /etc/default/heartbeat around the block, as the node may have it.
    writeFileSync(
      join(dir, "default-heartbeat"),
      `${defaults.content}# the node's own\nHA_OPTS=""\n`,
    );
    const source = environment === "node's" ? `. ${dir}/default-heartbeat; ` : "";
    return run(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "bash",
        "-c",
        `${source}exec stonith -t external/ipmi -F ${written} "$@"`,
      ].concat(["stonith", ...args]),
      { ipmitool: recorder() },
    );
  }
  const recorded = () => readFileSync(join(dir, "ipmitool.argv"), "utf8").trim().split("\n");

  it("names the peer, reads its BMC, and resets it, ipmitool never given the password", () => {
    expect(stonith(["-l"], "node's").output.trim()).toBe("proxycl1");
    expect(stonith(["-S"], "node's").status).toBe(0);
    const before = vmPid()!;
    expect(stonith(["-T", "reset", "proxycl1"], "node's").status).toBe(0);
    expect([alive(before), vmPid() !== undefined]).toEqual([false, true]);
    expect(recorded()).toEqual([
      `-I lanplus -C 3 -H ${bmcAddress} -U ${user} -E power status`,
      `-I lanplus -C 3 -H ${bmcAddress} -U ${user} -E power reset`,
    ]);
    expect(stonith(["-T", "off", "proxycl1"], "node's").status).toBe(0);
    expect(vmPid()).toBeUndefined();
    // A reset of a node that is off powers it on.
    expect(stonith(["-T", "reset", "proxycl1"], "node's").status).toBe(0);
    expect(vmPid()).toBeDefined();
  });

  it("is what keeps the password off ipmitool's command line", () => {
    stonith(["-S"], "none");
    expect(recorded()).toEqual([
      `-I lanplus -C 3 -H ${bmcAddress} -U ${user} -P ${password} power status`,
    ]);
  });

  it("checks the file on the node with the password masked, as the plan does", () => {
    const written = join(dir, "stonith-ipmi.cfg");
    writeFileSync(written, withBmcPassword(cfg.content, password));
    const onNode = must("sh", ["-c", fingerprintCommand(cfg)], { path: written }).trim();
    expect(onNode).toBe(fingerprintOf(cfg));
  });

  // The same lines as the program's own mask is tested with (tests/unit/stonith-ipmi.test.ts).
  it.each(maskCases)(
    "masks the password of %s on the node as the program does",
    (_what, line, masked) => {
      const written = join(dir, "hand-edited.cfg");
      const header = cfg.content.replace(/\n[^#].*\n$/, "\n");
      writeFileSync(written, `${header}${line}\n`);
      const onNode = must("sh", ["-c", fingerprintCommand(cfg)], { path: written }).trim();
      expect(onNode).toBe(fingerprintOf({ ...cfg, content: `${header}${line}\n` }));
      expect(onNode).toBe(
        fingerprintOf({ ...cfg, secret: false, content: `${header}${masked}\n` }),
      );
    },
  );
});
