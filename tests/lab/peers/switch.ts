/**
 * Hands the lab's converged nodes from hacluster's heartbeat to a peer, and back. The peer keeps
 * everything else the program set up (addresses, the volume and the services' data on it, named's
 * and squid's configs): only the cluster manager differs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as probe from "../probes";
import { labDir } from "../runner";
import { keepalived } from "./keepalived";
import { pacemaker } from "./pacemaker";
import { Peer, runScript, standbyFirst } from "./peer";

export const peers: readonly Peer[] = [keepalived, pacemaker];

/** Which peer holds the lab now, for `npm run lab -- status` and `peer off`. */
const activeFile = join(labDir, "peer");

export function activePeer(): Peer | undefined {
  if (!existsSync(activeFile)) return undefined;
  const name = readFileSync(activeFile, "utf8").trim();
  return peers.find((p) => p.name === name);
}

/** heartbeat stopped on both nodes (the standby first) and off at boot; then the peer started. */
export async function switchTo(peer: Peer): Promise<void> {
  const active = activePeer();
  if (active) throw new Error(`${active.name} holds the lab already; \`peer off\` first`);
  for (const node of standbyFirst()) runScript(node, join(__dirname, "heartbeat-off.sh"));
  writeFileSync(activeFile, peer.name);
  await peer.start();
}

/** The peer removed from both nodes, and heartbeat enabled and started again, serving. */
export async function switchBack(): Promise<void> {
  const peer = activePeer();
  if (!peer) return;
  peer.remove();
  rmSync(activeFile);
  for (const node of probe.nodes) runScript(node.name, join(__dirname, "heartbeat-on.sh"));
  const serving = await probe.waitFor(
    () => probe.serving(probe.wwwAddress) && probe.bothNodesUp(),
    90_000,
    500,
  );
  if (serving === undefined) throw new Error("heartbeat did not serve again within 90 s");
}

/** Runs `body` while `peer` holds the lab; heartbeat has it back afterwards, whatever happened. */
export async function withPeer<T>(peer: Peer, body: () => Promise<T>): Promise<T> {
  try {
    await switchTo(peer);
    return await body();
  } finally {
    await switchBack();
  }
}
