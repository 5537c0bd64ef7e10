/**
 * The cron job that connects DRBD again, run for real in a private mount namespace: /proc and
 * /var/lib/hacluster are folders of the test's, `drbdadm` and `logger` recorders on the PATH.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderNodeFiles } from "../../render/node-files";
import { clusterOf, placeholderAuthkeys, stackValues } from "../support/stacks";

const cluster = clusterOf("prod", stackValues("prod"));
const script = renderNodeFiles(cluster, cluster.nodes[0], placeholderAuthkeys).find(
  (f) => f.path === "/usr/local/sbin/hacluster-drbd-reconnect",
)!.content;

/** /proc/drbd of DRBD 8.4 with minor 0 in `cstate`, `oos` KiB out of sync. */
const procDrbd = (cstate: string, oos: number) =>
  [
    "version: 8.4.11 (api:1/proto:86-101)",
    "srcversion: F73C670A7EC572DB9CF3E5B ",
    ` 0: cs:${cstate} ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----`,
    `    ns:89317 nr:0 dw:575607 dr:79426 al:12 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:${oos}`,
    "\t[===================>] sync'ed:100.0% (0/522188)K",
    "\tfinish: 0:00:00 speed: 600 (600) K/sec (stalled)",
    " 1: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----",
    "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:4096",
    "",
  ].join("\n");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hacluster-reconnect-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "lib"));
  writeFileSync(join(dir, "reconnect"), script, { mode: 0o755 });
  writeFileSync(
    join(dir, "bin", "drbdadm"),
    `#!/bin/sh\necho "drbdadm $*" >>${dir}/calls\ncase "$1" in cstate) cat ${dir}/cstate ;; sh-minor) cat ${dir}/minor ;; esac\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(dir, "bin", "logger"), `#!/bin/sh\necho "logger $*" >>${dir}/calls\n`, {
    mode: 0o755,
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One run of the job with DRBD in `cstate`, `oos` KiB left; what it said and called. */
function run(cstate: string, oos: number, minor = 0): { said: string; calls: string[] } {
  writeFileSync(join(dir, "cstate"), `${cstate}\n`);
  writeFileSync(join(dir, "minor"), `${minor}\n`);
  mkdirSync(join(dir, "proc"), { recursive: true });
  writeFileSync(join(dir, "proc", "drbd"), procDrbd(cstate, oos));
  writeFileSync(join(dir, "calls"), "");
  const ran = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      // This machine has no DRBD: the namespace's /proc is a folder holding a drbd file.
      `mount --bind "${dir}/proc" /proc && mkdir -p /var/lib/hacluster && mount --bind "${dir}/lib" /var/lib/hacluster && PATH="${dir}/bin:$PATH" "${dir}/reconnect"`,
    ],
    { encoding: "utf8" },
  );
  if (ran.status !== 0) throw new Error(`the job failed: ${ran.stderr}`);
  const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean);
  return { said: ran.stdout.trim(), calls: calls.filter((c) => !/cstate|sh-minor/.test(c)) };
}

it("connects a StandAlone resource again", () => {
  const { said, calls } = run("StandAlone", 0);
  expect(said).toBe("changed: connect requested for r0");
  expect(calls[0]).toBe("drbdadm connect r0");
});

it("connects again a resync left with nothing to copy, once seen so at two runs in a row", () => {
  expect(run("SyncSource", 0)).toEqual({
    said: "unchanged: r0 is SyncSource with nothing left to copy; connected again if still so at the next run",
    calls: [],
  });
  const second = run("SyncSource", 0);
  expect(second.said).toBe(
    "changed: r0 stayed SyncSource with nothing left to copy; connected again",
  );
  expect(second.calls.slice(0, 2)).toEqual(["drbdadm disconnect r0", "drbdadm connect r0"]);
  // Ended: a third run finds nothing to do.
  expect(run("Connected", 0)).toEqual({ said: "unchanged: r0 is Connected", calls: [] });
});

it("leaves a resync that is still copying alone, and forgets a stall that ended", () => {
  expect(run("SyncSource", 0).calls).toEqual([]);
  // Copying again (a new write): not stalled, and the earlier sighting is forgotten.
  expect(run("SyncSource", 52).said).toBe("unchanged: r0 is SyncSource, 52 KiB left");
  expect(run("SyncSource", 0).calls).toEqual([]);
  expect(run("SyncTarget", 1024).calls).toEqual([]);
});

it("reads the resource's own minor, not the first one /proc/drbd lists", () => {
  // Minor 1 still copies 4096 KiB: not stalled, whatever minor 0 shows.
  expect(run("SyncTarget", 0, 1).said).toBe("unchanged: r0 is SyncTarget, 4096 KiB left");
  expect(run("SyncTarget", 0, 1).calls).toEqual([]);
});

it("counts two sightings in a row only: a StandAlone or another state between starts again", () => {
  expect(run("SyncSource", 0).calls).toEqual([]);
  expect(run("StandAlone", 0).calls).toEqual([
    "drbdadm connect r0",
    expect.stringMatching(/^logger /),
  ]);
  expect(run("SyncSource", 0).calls).toEqual([]);
  expect(run("SyncTarget", 0).calls).toEqual([]);
  expect(run("SyncTarget", 0).calls.slice(0, 2)).toEqual([
    "drbdadm disconnect r0",
    "drbdadm connect r0",
  ]);
});
