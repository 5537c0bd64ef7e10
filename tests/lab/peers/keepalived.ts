/** keepalived from Debian as the peer bench runs it: see keepalived/keepalived.conf.mustache. */
import Mustache from "mustache";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as probe from "../probes";
import { NodeName } from "../probes";
import { askNode, debianVersion, Peer, runScript, standbyFirst } from "./peer";

const here = join(__dirname, "keepalived");
const read = (file: string) => readFileSync(join(here, file), "utf8");

// The usual pair: the node hacluster prefers one step above the other. With nopreempt this only
// decides who takes the VIP when both start together.
const priority: Record<NodeName, number> = { proxycl1: 101, proxycl2: 100 };

/** The state keepalived reports for its VRRP instance on a node, if it runs there. */
const vrrpState = (node: NodeName) => askNode(node, join(here, "state.sh")) || undefined;

export const keepalived: Peer = {
  name: "keepalived",
  label: () => `keepalived ${debianVersion("keepalived")} (advert_int 1 s)`,
  async start() {
    for (const node of probe.nodes) {
      const conf = Mustache.render(read("keepalived.conf.mustache"), {
        priority: priority[node.name],
      });
      probe.onNode(node.name, "cat >/etc/keepalived/keepalived.conf", conf);
      probe.onNode(
        node.name,
        "cat >/etc/keepalived/notify.sh && chmod 755 /etc/keepalived/notify.sh",
        read("notify.sh"),
      );
    }
    for (const node of probe.nodes) runScript(node.name, join(here, "start.sh"));
    if ((await probe.waitFor(() => probe.serving(probe.wwwAddress), 60_000, 200)) === undefined) {
      throw new Error("keepalived did not start serving within 60 s");
    }
  },
  remove() {
    for (const node of standbyFirst()) runScript(node, join(here, "remove.sh"));
  },
  bothUp() {
    const states = probe.nodes.map((n) => vrrpState(n.name));
    return (
      states.every((s) => s !== undefined) && states.filter((s) => s === "MASTER").length === 1
    );
  },
  holder: () => probe.nodes.find((n) => vrrpState(n.name) === "MASTER")?.name,
};
