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

/** A peer holds the lab already: a switch to another waits for `peer off`. */
function refuseIfHeld(): void {
  const active = activePeer();
  if (active) throw new Error(`${active.name} holds the lab already; \`peer off\` first`);
}

/** heartbeat stopped on both nodes (the standby first) and off at boot; then the peer started. */
export async function switchTo(peer: Peer): Promise<void> {
  refuseIfHeld();
  // Recorded first: a run cut short anywhere after this still has `peer off` to go back with.
  writeFileSync(activeFile, peer.name);
  for (const node of standbyFirst()) runScript(node, join(__dirname, "heartbeat-off.sh"));
  await peer.start();
}

/** The peer removed from both nodes, and heartbeat enabled and started again, serving. */
export async function switchBack(): Promise<void> {
  const peer = activePeer();
  if (!peer) return;
  peer.remove();
  for (const node of probe.nodes) runScript(node.name, join(__dirname, "heartbeat-on.sh"));
  const serving = await probe.waitFor(
    () => probe.serving(probe.wwwAddress) && probe.bothNodesUp(),
    90_000,
    500,
  );
  if (serving === undefined) throw new Error("heartbeat did not serve again within 90 s");
  // Forgotten only once heartbeat serves: until then `peer off` can be run again.
  rmSync(activeFile);
}

/** Runs `body` while `peer` holds the lab; heartbeat has it back afterwards, whatever happened. */
export async function withPeer<T>(peer: Peer, body: () => Promise<T>): Promise<T> {
  let result: T;
  // Refused (another peer holds the lab) before anything changed: nothing of ours to give back.
  refuseIfHeld();
  try {
    await switchTo(peer);
    result = await body();
  } catch (trial) {
    // The trial's own error first: a failing switch back is added to it, never put in its place.
    try {
      await switchBack();
    } catch (back) {
      throw new Error(
        `${(trial as Error).message}; then, giving the lab back to heartbeat: ${(back as Error).message}`,
      );
    }
    throw trial;
  }
  await switchBack();
  return result;
}
