/**
 * The benchmark's peers (tests/lab/peers) really fail over, so that a peer that never started
 * cannot make hacluster look fast: one power-cut trial each, on the lab's converged nodes with
 * heartbeat stopped. No time is asserted: `npm run bench -- --peers` measures.
 */
import { spawnSync } from "node:child_process";
import { failover, labCluster, topologyOn } from "./lab";
import { Peer } from "./peers/peer";
import { activePeer, peers, switchTo, withPeer } from "./peers/switch";
import * as probe from "./probes";
import { NodeName } from "./probes";
import { applyPlan } from "./runner";

jest.setTimeout(300_000);

const running = (node: NodeName, daemon: string) =>
  probe.onNode(node, `pidof ${daemon} >/dev/null && echo yes || echo no`).trim() === "yes";
/** The MAC address the client reached the VIP at: whose interface answered. */
const clientSeesVipAt = () =>
  spawnSync("ip", ["-n", "hacl-ctl", "neigh", "show", probe.vip], { encoding: "utf8" }).stdout;
const macOf = (node: NodeName) => probe.onNode(node, "cat /sys/class/net/eth1/address").trim();
const peerDaemons = ["keepalived", "corosync", "pacemakerd", "pacemaker-controld"];

describe("the benchmark's peers, each in place of heartbeat on the lab's nodes", () => {
  beforeAll(async () => {
    topologyOn("down");
    topologyOn("up");
    probe.startWebServer();
    applyPlan(labCluster());
    expect(await probe.waitFor(() => probe.serving(probe.wwwAddress), 90_000, 500)).toBeDefined();
    expect(await probe.waitFor(() => probe.bothNodesUp(), 60_000, 500)).toBeDefined();
  });
  afterAll(() => topologyOn("down"));

  it.each(peers.map((p): [string, Peer] => [p.name, p]))(
    "%s takes the VIP over when its holder loses power, and DNS answers from the other node",
    async (_name, peer) => {
      await withPeer(peer, async () => {
        // heartbeat is down on both nodes: whatever moves the VIP now is the peer.
        for (const n of probe.nodes) expect(running(n.name, "heartbeat")).toBe(false);
        const [before] = probe.vipHolders();
        expect(peer.holder()).toBe(before);
        expect(probe.serving(probe.wwwAddress)).toBe(true);

        const f = await failover(60, peer.bothUp);
        const [from, to] = [f.from as NodeName, f.to as NodeName];

        expect(f.from).toBe(before);
        expect(probe.vipHolders()).toEqual([f.to]);
        expect(peer.holder()).toBe(f.to);
        expect(running(to, "named")).toBe(true);
        expect(running(from, "named")).toBe(false);
        expect(probe.dig("www.lab.example")).toBe(probe.wwwAddress);
        expect(clientSeesVipAt()).toContain(macOf(to));
        for (const n of probe.nodes) expect(running(n.name, "heartbeat")).toBe(false);
        // The lost node booted and is a member again, by the peer's own account.
        expect(peer.bothUp()).toBe(true);
      });
      // Given back: the peer gone from both nodes, heartbeat serving again.
      expect(activePeer()).toBeUndefined();
      for (const n of probe.nodes) {
        for (const daemon of peerDaemons) expect(running(n.name, daemon)).toBe(false);
        expect(running(n.name, "heartbeat")).toBe(true);
        const bootLinks = probe.onNode(n.name, "ls /etc/rc2.d");
        expect(bootLinks).toMatch(/^S\d\dheartbeat$/m);
        expect(bootLinks).not.toMatch(/keepalived|corosync|pacemaker/);
      }
      expect(probe.serving(probe.wwwAddress)).toBe(true);
    },
    // Pacemaker's worst case: start, trial, rejoin and the switch back, each at its bound.
    900_000,
  );

  it("leaves no peer daemon behind when the lab goes down while a peer holds it", async () => {
    const peer = peers[peers.length - 1]!;
    await switchTo(peer);
    expect(peer.holder()).toBeDefined();
    topologyOn("down");
    expect(activePeer()).toBeUndefined();
    expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toMatch(
      /^hacl-(proxycl[12]|ctl)\b/m,
    );
    // On the host, where the nodes' processes ran (in their own PID namespaces).
    const left = spawnSync(
      "pgrep",
      ["-a", "-f", "^(/usr/sbin/keepalived|/usr/sbin/corosync|pacemakerd|/usr/lib/pacemaker/)"],
      {
        encoding: "utf8",
      },
    );
    expect(left.stdout).toBe("");
  });
});
