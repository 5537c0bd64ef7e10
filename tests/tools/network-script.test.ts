/**
 * The private link's boot script (/usr/local/sbin/hacluster-network) as rendered, run in network
 * namespaces of its own: at boot it can start before the node's network configuration has put
 * the private address on the link (no wait-online service), and DRBD and heartbeat, ordered after
 * it, would then fail to bind. It waits for the link and sets its MTU, waits for the address, then
 * sets the routes; with no address, or no link, it does what it can and fails naming what is
 * missing, after its whole wait.
 */
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderNodeFiles } from "../../render/node-files";
import { scratchDir } from "../support/scratch";
import { clusterOf, placeholderAuthkeys, stackValues, withValue } from "../support/stacks";

jest.setTimeout(120_000);

const cluster = clusterOf(
  "lab",
  withValue(stackValues("lab"), "staticRoutes", [{ to: "10.9.0.0/16", via: "192.168.0.254" }]),
);
const node = cluster.nodes[0]!;
const script = renderNodeFiles(cluster, node, placeholderAuthkeys).find(
  (f) => f.id === "network-script",
)!;
const namespaces: string[] = [];

function ip(...args: string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function namespace(name: string): string {
  const ns = `hacl-t-${name}-${process.pid}`;
  spawnSync("ip", ["netns", "del", ns]);
  ip("netns", "add", ns);
  namespaces.push(ns);
  ip("-n", ns, "link", "set", "lo", "up");
  return ns;
}

/** The script run in `ns`; resolves with its exit status, output, and whether it ended yet. */
function runScript(ns: string) {
  const path = join(scratchDir("hacluster-network-"), "hacluster-network");
  writeFileSync(path, script.content, { mode: 0o755 });
  const child = spawn("ip", ["netns", "exec", ns, "sh", path], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let ended = false;
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const done = new Promise<{ status: number | null; output: string }>((resolve) =>
    child.on("close", (status) => {
      ended = true;
      resolve({ status, output });
    }),
  );
  return { done, ended: () => ended };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns]);
});

describe("the private link's boot script", () => {
  it("waits for the private address set late by the node's network, then sets the MTU and routes; fails naming it when it never comes", async () => {
    expect(node.privateInterface).toBe("eth0");
    // Both cases side by side: the second waits the script's whole bound.
    const late = namespace("netlate");
    const never = namespace("netnever");
    // The host's kernel has no dummy module: a veth pair, its other end the crossover's peer.
    ip("-n", late, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
    ip("-n", late, "link", "set", "eth0", "up");
    ip("-n", late, "link", "set", "peer0", "up");
    // The link without its address, for good: the MTU goes in all the same.
    ip("-n", never, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
    ip("-n", never, "link", "set", "eth0", "up");
    ip("-n", never, "link", "set", "peer0", "up");
    const noLink = namespace("netnolink");
    const started = Date.now();
    const waiting = runScript(late);
    const failing = runScript(never);
    const linkless = runScript(noLink);

    await sleep(3000);
    // Not yet: DRBD, ordered after the script, would not find its address.
    expect(waiting.ended()).toBe(false);
    ip("-n", late, "address", "add", `${node.privateAddress}/${node.privatePrefix}`, "dev", "eth0");
    const ok = await waiting.done;
    expect(ok).toEqual({ status: 0, output: "changed\n" });
    expect(ip("-n", late, "link", "show", "eth0")).toContain(`mtu ${node.privateMtu}`);
    expect(ip("-n", late, "route", "show", "10.9.0.0/16")).toContain("via 192.168.0.254");

    const failed = await failing.done;
    expect(failed.status).toBe(1);
    // It waited its whole bound before failing.
    expect(Date.now() - started).toBeGreaterThan(55_000);
    expect(failed.output).toContain(
      `after 60 s; eth0 has no address ${node.privateAddress}: DRBD and heartbeat need it`,
    );
    expect(failed.output).toContain("ConfigureWithoutCarrier=yes");
    expect(failed.output).toContain("nodes[].privateAddress");
    expect(failed.output).toContain("; no route to 10.9.0.0/16 via 192.168.0.254");
    expect(ip("-n", never, "link", "show", "eth0")).toContain(`mtu ${node.privateMtu}`);

    const nothing = await linkless.done;
    expect(nothing.status).toBe(1);
    expect(nothing.output).toContain("after 60 s; no interface eth0;");
  });
});
