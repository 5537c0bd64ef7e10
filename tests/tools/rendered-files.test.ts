/**
 * The rendered files through the real tools of Debian 12: drbdadm, shellcheck, squid, named,
 * logrotate, stonith and apparmor_parser. `npm test` installs them (scripts/test.sh). Each tool
 * is also shown a broken file, so a tool that accepted anything would fail the suite.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NodeFile } from "../../render/node-file";
import { renderNodeFiles } from "../../render/node-files";
import { clusterOf, placeholderAuthkeys, stackValues, withValue } from "../support/stacks";
import { scratchDir } from "../support/scratch";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env } });
  if (result.error)
    throw new Error(
      `${command} is not installed: run the README's test command (${result.error.message})`,
    );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Checks a file with a tool; the file is given as a path in a fresh folder. */
function writeTemp(name: string, content: string): string {
  const path = join(scratchDir("hacluster-tools-"), name);
  writeFileSync(path, content);
  return path;
}

const fullValues = (() => {
  let v = withValue(stackValues("lab"), "staticRoutes", [
    { to: "10.0.0.0/8", via: "172.16.250.254" },
  ]);
  v = withValue(v, "ntpServers", ["ntp.example"]);
  v = withValue(v, "services.named.forwarders", ["172.16.250.254"]);
  v = withValue(v, "stonith", { type: "suicide" });
  v = withValue(v, "drbd.kernelModule", {
    mode: "source",
    url: "https://example.org/drbd-8.4.11-1.tar.gz",
    sha256: "0".repeat(64),
  });
  return v;
})();

const stacks: [string, NodeFile[][]][] = [
  ["prod", stackValues("prod")],
  ["lab", stackValues("lab")],
  ["full", fullValues],
].map(([name, values]) => {
  const cluster = clusterOf(name as string, values as Record<string, unknown>);
  return [
    name as string,
    cluster.nodes.map((n) => renderNodeFiles(cluster, n, placeholderAuthkeys)),
  ];
});

const nodeNames = ["proxycl1", "proxycl2"];
const find = (files: NodeFile[], id: string) => files.find((f) => f.id === id);

describe.each(stacks)("stack %s", (_stack, perNode) => {
  it.each(nodeNames.map((name, i) => [name, i] as const))(
    "drbdadm 8.4 accepts the resource file on %s",
    (name, i) => {
      const path = writeTemp("r0.res", find(perNode[i], "drbd-config")!.content);
      const result = run(
        "unshare",
        ["--uts", "sh", "-c", `hostname ${name} && exec drbdadm -c ${path} dump r0`],
        {
          DRBD_DRIVER_VERSION_OVERRIDE: "8.4.11",
        },
      );
      expect([result.status, result.output]).toEqual([0, expect.stringContaining(`on ${name} {`)]);
    },
  );

  it("shellcheck finds nothing in any script", () => {
    const scripts = perNode.flat().filter((f) => f.content.startsWith("#!"));
    expect(scripts.length).toBeGreaterThanOrEqual(4);
    for (const script of scripts) {
      const result = run("shellcheck", ["-s", "sh", writeTemp("script", script.content)]);
      expect([script.path, result.status, result.output]).toEqual([script.path, 0, ""]);
    }
  });

  it("logrotate accepts the heartbeat log rotation", () => {
    const state = writeTemp("state", "");
    const result = run("logrotate", [
      "-d",
      "-s",
      state,
      writeTemp("heartbeat", find(perNode[0], "logrotate")!.content),
    ]);
    expect(result.status).toBe(0);
    expect(result.output).not.toMatch(/error/i);
  });

  it("stonith reads the peer from each node's config", () => {
    perNode.forEach((files, i) => {
      const cfg = find(files, "stonith-cfg");
      if (!cfg) return;
      const type = _stack === "full" ? "suicide" : "meatware";
      const result = run("stonith", [
        "-l",
        "-t",
        type,
        "-F",
        writeTemp("stonith.cfg", cfg.content),
      ]);
      expect(result.status).toBe(0);
      if (type === "meatware") expect(result.output.trim()).toBe(nodeNames[1 - i]);
    });
  });

  it("apparmor_parser accepts the local overrides inside Debian's profiles", () => {
    const base = scratchDir("hacluster-apparmor-");
    cpSync("/etc/apparmor.d", base, { recursive: true });
    // Debian ships squid's profile disabled; the parser would skip it instead of checking it.
    rmSync(join(base, "disable"), { recursive: true, force: true });
    for (const [id, profile] of [
      ["apparmor-named", "usr.sbin.named"],
      ["apparmor-squid", "usr.sbin.squid"],
    ]) {
      writeFileSync(join(base, "local", profile), find(perNode[0], id)!.content);
      const result = run("apparmor_parser", [
        "-Q",
        "-K",
        "-b",
        base,
        "-I",
        base,
        join(base, profile),
      ]);
      expect([
        profile,
        result.status,
        result.output.replace(/^Cache read\/write disabled.*\n?/m, ""),
      ]).toEqual([profile, 0, ""]);
    }
  });
});

describe("the managed service configs of the lab stack", () => {
  const primary = stacks.find(([s]) => s === "lab")![1][0];

  it("squid -k parse accepts squid.conf", () => {
    const result = run("squid", [
      "-k",
      "parse",
      "-f",
      writeTemp("squid.conf", find(primary, "squid-conf")!.content),
    ]);
    expect(result.status).toBe(0);
    expect(result.output).not.toMatch(/FATAL|ERROR|WARNING/);
  });

  it("named-checkconf loads named.conf and its zones in a copy of Debian's /etc/bind", () => {
    const root = scratchDir("hacluster-named-");
    cpSync("/etc/bind", join(root, "etc", "bind"), { recursive: true });
    cpSync("/usr/share/dns", join(root, "usr", "share", "dns"), { recursive: true });
    mkdirSync(join(root, "var", "cache", "bind"), { recursive: true });
    for (const file of primary.filter((f) => f.path.startsWith("/replicated/etc/bind/"))) {
      const target = join(root, file.path.replace(/^\/replicated/, ""));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    expect(readdirSync(join(root, "etc", "bind", "zones"))).toEqual(["db.lab.example"]);
    const result = run("named-checkconf", ["-z", "-t", root, "/etc/bind/named.conf"]);
    expect([result.status, result.output]).toEqual([
      0,
      expect.stringContaining("zone lab.example/IN: loaded serial"),
    ]);
  });

  it("named-checkzone accepts the zone", () => {
    const zone = find(primary, "zone-lab.example")!;
    const result = run("named-checkzone", ["lab.example", writeTemp("db", zone.content)]);
    expect([result.status, result.output]).toEqual([0, expect.stringContaining("OK")]);
  });
});

describe("the checks catch a broken file", () => {
  it("drbdadm refuses an option DRBD does not have", () => {
    const path = writeTemp(
      "r0.res",
      "resource r0 { disk { resync-speed 125M; } on proxycl1 { device /dev/drbd0; disk /dev/sda4; address 192.168.0.1:7788; meta-disk internal; } }\n",
    );
    const result = run(
      "unshare",
      ["--uts", "sh", "-c", `hostname proxycl1 && exec drbdadm -c ${path} dump r0`],
      { DRBD_DRIVER_VERSION_OVERRIDE: "8.4.11" },
    );
    expect(result.status).not.toBe(0);
  });

  it("drbdadm refuses a file with no section for this host", () => {
    const content = find(stacks[0][1][0], "drbd-config")!.content;
    const result = run(
      "unshare",
      [
        "--uts",
        "sh",
        "-c",
        `hostname proxycl9 && exec drbdadm -c ${writeTemp("r0.res", content)} dump r0`,
      ],
      { DRBD_DRIVER_VERSION_OVERRIDE: "8.4.11" },
    );
    expect(result.status).not.toBe(0);
  });

  it("shellcheck, squid, named-checkconf, logrotate and apparmor_parser refuse nonsense", () => {
    expect(
      run("shellcheck", ["-s", "sh", writeTemp("s", "#!/bin/sh\nrm -rf $1/\n")]).status,
    ).not.toBe(0);
    expect(
      run("squid", ["-k", "parse", "-f", writeTemp("squid.conf", "http_port nonsense:port\n")])
        .status,
    ).not.toBe(0);
    expect(
      run("named-checkconf", [writeTemp("named.conf", "options { listen-on { 1.2.3; }; };\n")])
        .status,
    ).not.toBe(0);
    const lr = run("logrotate", [
      "-d",
      "-s",
      writeTemp("state", ""),
      writeTemp("lr", "/var/log/x {\n  rotate\n  postrotate\n    true\n  endscrip\n}\n"),
    ]);
    expect(lr.status !== 0 || /error/i.test(lr.output)).toBe(true);
    const base = scratchDir("hacluster-apparmor-");
    cpSync("/etc/apparmor.d", base, { recursive: true });
    writeFileSync(join(base, "local", "usr.sbin.named"), "/replicated/x rwz,\n");
    expect(
      run("apparmor_parser", ["-Q", "-K", "-b", base, "-I", base, join(base, "usr.sbin.named")])
        .status,
    ).not.toBe(0);
  });
});
