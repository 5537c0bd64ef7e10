/**
 * The node-side scripts of the remote-file resources: shellcheck, no content in any of them, and
 * the same checksum as the file steps', whatever the kind of file.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fingerprintCommand } from "../../render/file-step";
import { relocatedPathScripts } from "../../render/relocated-path-scripts";
import { remoteFileScripts } from "../../render/remote-file-scripts";
import { fileStep, fingerprintOf } from "../../render/file-step";
import { finalAuthkeys } from "../../render/node-file";
import { renderNodeFiles } from "../../render/node-files";
import { clusterOf } from "../support/stacks";
import { scratchDir } from "../support/scratch";

const cluster = clusterOf("lab");
const key = "k".repeat(40);
const files = renderNodeFiles(cluster, cluster.primary, finalAuthkeys(0, key));
const byId = (id: string) => files.find((f) => f.id === id)!;
const mountPoint = cluster.config.drbd.mountPoint;
const scriptsOf = (id: string) => {
  const file = byId(id);
  return remoteFileScripts(
    "proxycl1",
    file,
    { mountPoint, rereads: 'did="x"' },
    fingerprintOf(file),
  );
};
const kinds = ["ha-cf", "drbd-config", "authkeys", "hosts", "squid-conf"];

describe("the remote-file scripts", () => {
  it("pass shellcheck, for every kind of file and for relocated paths", () => {
    const dir = scratchDir("hacluster-remote-file-");
    const scripts = [
      ...kinds.flatMap((id) => {
        const { write, read, remove } = scriptsOf(id);
        return [write, read, remove];
      }),
      ...Object.values(relocatedPathScripts("/etc/squid", mountPoint)),
    ];
    const paths = scripts.map((script, i) => {
      const path = join(dir, `${i}.sh`);
      writeFileSync(path, `#!/bin/sh\n${script}`);
      return path;
    });
    const result = spawnSync("shellcheck", ["-s", "sh", ...paths], { encoding: "utf8" });
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });

  it("hold no content: a secret file's keys stay on stdin", () => {
    expect(byId("authkeys").content).toContain(key);
    for (const script of Object.values(scriptsOf("authkeys"))) expect(script).not.toContain(key);
  });

  it.each(kinds.filter((id) => id !== "squid-conf"))(
    "hash %s on the node as the file step's delete does",
    (id) => {
      const file = byId(id);
      const stepDelete = fileStep(cluster, cluster.primary, file, "node-base").delete!;
      const used = /if \[ "\$\((.*)\)" != '[0-9a-f]{64}' \]; then/.exec(stepDelete)![1];
      expect(fingerprintCommand(file)).toBe(used);
      expect(scriptsOf(id).read).toContain(`$(${used})`);
    },
  );

  it("record a version of their own, never the file step's", () => {
    const file = byId("ha-cf");
    const step = fileStep(cluster, cluster.primary, file, "heartbeat");
    const ours = remoteFileScripts("proxycl1", file, {}, fingerprintOf(file));
    expect(ours.version).not.toBe(step.version);
    expect(ours.write).toContain(`printf '%s\\n' '${ours.version}'`);
  });

  it("refuse a file on the replicated volume without its mount point", () => {
    const file = byId("squid-conf");
    expect(() => remoteFileScripts("proxycl1", file, {}, "0".repeat(64))).toThrow(
      "proxycl1:/replicated/etc/squid/squid.conf lives on the replicated volume: give its mountPoint",
    );
  });
});
