/**
 * The bench's check that a peer's trial was the peer's own failover, so that a peer that never
 * started cannot make hacluster look fast: each trial and the switch back are checked as they
 * happen, and `npm run bench -- --peers` stops at the first that is not what it claims.
 */
import { spawnSync } from "node:child_process";
import { Failover } from "../lab";
import * as probe from "../probes";
import { NodeName } from "../probes";
import { activePeer } from "./switch";
import { Peer } from "./peer";

const peerDaemons = ["keepalived", "corosync", "pacemakerd", "pacemaker-controld"];

const running = (node: NodeName, daemon: string) =>
  probe.onNode(node, `pidof ${daemon} >/dev/null && echo yes || echo no`).trim() === "yes";
/** The MAC address the client reached the VIP at: whose interface answered. */
const clientSeesVipAt = () =>
  spawnSync("ip", ["-n", "hacl-ctl", "neigh", "show", probe.vip], { encoding: "utf8" }).stdout;
const macOf = (node: NodeName) => probe.onNode(node, "cat /sys/class/net/eth1/address").trim();

function demand(what: string, holds: boolean, peer: string): void {
  if (!holds) throw new Error(`bench: ${peer}'s trial does not count: ${what}`);
}

/** heartbeat runs on neither node: whatever moves the VIP is the peer. */
function demandHeartbeatOff(peer: Peer): void {
  for (const n of probe.nodes) {
    demand(`heartbeat runs on ${n.name}`, !running(n.name, "heartbeat"), peer.name);
  }
}

/** Before a trial: heartbeat on neither node, the peer names the VIP's holder, the cluster serves. */
export function checkPeerBefore(peer: Peer): void {
  demandHeartbeatOff(peer);
  // Each state read once: the message says what the check saw.
  const holders = probe.vipHolders();
  demand(`the VIP is on ${holders.join(", ") || "no node"}`, holders.length === 1, peer.name);
  const named = peer.holder();
  demand(
    `the peer names ${named ?? "no node"} as holder, the VIP is on ${holders[0]}`,
    named === holders[0],
    peer.name,
  );
  demand("the proxy's page is not served", probe.serving(probe.wwwAddress), peer.name);
}

/** After a trial: the survivor holds the VIP by the peer's account and the client's, heartbeat still off. */
export function checkPeerTrial(peer: Peer, f: Failover): void {
  const [from, to] = [f.from as NodeName, f.to as NodeName];
  const holders = probe.vipHolders();
  demand(
    `the VIP is on ${holders.join(", ") || "no node"}, not ${to} alone`,
    holders.join() === to,
    peer.name,
  );
  const named = peer.holder();
  demand(`the peer names ${named ?? "no node"} as holder, not ${to}`, named === to, peer.name);
  demand(`named does not run on ${to}`, running(to, "named"), peer.name);
  demand(`named runs on ${from} too`, !running(from, "named"), peer.name);
  demand(
    "DNS does not answer on the VIP",
    probe.dig("www.lab.example") === probe.wwwAddress,
    peer.name,
  );
  demand(
    `the client reaches the VIP at another MAC than ${to}'s`,
    clientSeesVipAt().includes(macOf(to)),
    peer.name,
  );
  demandHeartbeatOff(peer);
  demand(`${from} is not a member again by the peer's account`, peer.bothUp(), peer.name);
}

/** After the switch back: no peer daemon and no peer boot link on either node, heartbeat serving. */
export function checkPeerGone(peer: Peer): void {
  demand("the lab still records a peer", activePeer() === undefined, peer.name);
  for (const n of probe.nodes) {
    for (const daemon of peerDaemons) {
      demand(`${daemon} still runs on ${n.name}`, !running(n.name, daemon), peer.name);
    }
    demand(`heartbeat does not run on ${n.name}`, running(n.name, "heartbeat"), peer.name);
    const bootLinks = probe.onNode(n.name, "ls /etc/rc2.d");
    demand(
      `heartbeat is not started at ${n.name}'s boot`,
      /^S\d\dheartbeat$/m.test(bootLinks),
      peer.name,
    );
    demand(
      `a peer is still started at ${n.name}'s boot`,
      !/keepalived|corosync|pacemaker/.test(bootLinks),
      peer.name,
    );
  }
  demand("the proxy's page is not served", probe.serving(probe.wwwAddress), peer.name);
}

/** After `lab down` with a peer holding the lab: no peer daemon left on the host. */
export function checkNoPeerLeft(): void {
  // On the host, where the nodes' processes ran (in their own PID namespaces).
  const left = spawnSync(
    "pgrep",
    [
      "-a",
      "-f",
      "^(/usr/sbin/keepalived|/usr/sbin/corosync|/usr/sbin/pacemakerd|/usr/lib/pacemaker/)",
    ],
    { encoding: "utf8" },
  ).stdout;
  if (left !== "") throw new Error(`bench: lab down left peer daemons behind:\n${left}`);
  if (activePeer() !== undefined)
    throw new Error("bench: lab down left a peer recorded as holding the lab");
}
