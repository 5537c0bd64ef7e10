/**
 * The VM lab's failover trial, shared by its tests, `npm run lab` and `npm run bench`: the VIP
 * holder loses power; DNS and a page through the proxy are asked on the VIP from the LAN host
 * every 500 ms until both answer from the other node. Then the lost node is powered on again
 * and DRBD resyncs it.
 */
import { boot, powerCut, VmNode } from "./vm-lab";
import { dig, drbdWhole, getPage, on, otherNode, settled, until } from "./vm-probes";

export interface VmFailover {
  readonly from: VmNode;
  readonly to: VmNode;
  /** From the power cut to DNS answering on the VIP again. */
  readonly dnsMs: number;
  /** From the power cut to the proxy serving the page on the VIP again. */
  readonly proxyMs: number;
}

/** Cuts the VIP holder's power once the cluster serves, and measures the takeover. */
export async function powerCutFailover(
  vip: string,
  beforeCut: (holder: VmNode) => void = () => undefined,
): Promise<VmFailover> {
  const from = await settled(vip);
  const to = otherNode(from);
  beforeCut(from);
  const direct = getPage();
  const cutAt = Date.now();
  powerCut(from);
  const dnsAt = await until(() => (dig(vip) !== "" ? Date.now() : undefined), 300_000, 500);
  if (dnsAt === undefined)
    throw new Error(`no DNS answer on ${vip} 300 s after ${from}'s power cut`);
  const proxyAt = await until(
    () => (getPage(`http://${vip}:3128`) === direct ? Date.now() : undefined),
    180_000,
    500,
  );
  if (proxyAt === undefined)
    throw new Error(`the proxy on ${vip} did not come back after ${from}'s power cut`);
  return { from, to, dnsMs: dnsAt - cutAt, proxyMs: proxyAt - cutAt };
}

export interface VmRejoin {
  /** Power on to SSH. */
  readonly bootMs: number;
  /** SSH to DRBD Connected and UpToDate on both. */
  readonly resyncMs: number;
}

/** Powers a lost node on again (unless its peer's fencing did) and waits for the resync. */
export async function rejoin(node: VmNode): Promise<VmRejoin> {
  const bootMs = boot(node);
  const booted = Date.now();
  if ((await until(() => drbdWhole() || undefined, 600_000, 1000)) === undefined) {
    throw new Error(
      `${node} booted but DRBD was not whole 600 s later: ${on(node, "cat /proc/drbd")}`,
    );
  }
  return { bootMs, resyncMs: Date.now() - booted };
}
