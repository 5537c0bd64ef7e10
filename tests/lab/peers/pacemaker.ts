/**
 * Pacemaker and Corosync from Debian as the peer bench runs them, the way ClusterLabs' "Clusters
 * from Scratch" builds a cluster with pcs: see pacemaker/corosync-conf.sh and resources.sh.
 */
import { join } from "node:path";
import * as probe from "../probes";
import { NodeName } from "../probes";
import { askNode, debianVersion, Peer, runScript, standbyFirst } from "./peer";

const here = join(__dirname, "pacemaker");
const script = (file: string) => join(here, file);

/** crm_mon's XML on a node: the nodes it sees online and whether a DC has been elected. */
function membership(node: NodeName): { online: string[]; dc: boolean } | undefined {
  const xml = askNode(node, script("status.sh"));
  if (xml === undefined) return undefined;
  const online = [...xml.matchAll(/<node name="([^"]+)"[^>]* online="true"/g)].map((m) => m[1]);
  return { online, dc: /<current_dc present="true"/.test(xml) };
}

/** Both nodes see both online, under an elected DC. */
function bothMembers(): boolean {
  return probe.nodes.every((n) => {
    const seen = membership(n.name);
    return seen !== undefined && seen.dc && probe.nodes.every((o) => seen.online.includes(o.name));
  });
}

export const pacemaker: Peer = {
  name: "pacemaker",
  label: () =>
    `Pacemaker ${debianVersion("pacemaker")} + Corosync ${debianVersion("corosync")} (token 3 s)`,
  async start() {
    const conf = runScript("proxycl1", script("corosync-conf.sh"));
    for (const node of probe.nodes) runScript(node.name, script("install-conf.sh"), conf);
    for (const node of probe.nodes) runScript(node.name, script("start.sh"));
    // A new cluster waits for its DC election (dc-deadtime, 20 s) before it takes any resource.
    if ((await probe.waitFor(bothMembers, 90_000, 1000)) === undefined) {
      throw new Error("pacemaker: the two nodes did not form a cluster within 90 s");
    }
    runScript("proxycl1", script("resources.sh"));
    if ((await probe.waitFor(() => probe.serving(probe.wwwAddress), 90_000, 200)) === undefined) {
      throw new Error("pacemaker did not start serving within 90 s");
    }
  },
  remove() {
    const [first] = standbyFirst();
    runScript(first, script("stop-group.sh"));
    for (const node of standbyFirst()) runScript(node, script("remove.sh"));
  },
  bothUp: bothMembers,
  holder() {
    const where = probe.nodes
      .map((n) => askNode(n.name, script("locate.sh")))
      .find((s) => s !== undefined);
    return probe.nodes.find((n) => where?.endsWith(`running on: ${n.name}`))?.name;
  },
};
