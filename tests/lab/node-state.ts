/**
 * What a node looks like to an admin, in one comparable text: the files the program manages
 * (mode, owner, checksum), where each relocated path points, the originals kept aside, what is
 * on the replicated volume, what starts at boot, what runs. Two snapshots are equal when the
 * node was left exactly as it was.
 */
import type { Cluster } from "../../model/cluster";
import { planSteps } from "../../render/plan";
import { onNode, NodeName } from "./probes";

export function nodeState(cluster: Cluster, node: NodeName): string {
  const files = [
    ...new Set(
      planSteps(cluster, "<key>")
        .flat()
        .filter((s) => s.node === node && s.target.startsWith("/"))
        .map((s) => s.target),
    ),
  ];
  const relocated = cluster.relocations.map((r) => r.path);
  const mount = cluster.config.drbd.mountPoint;
  const script = [
    `for f in ${files.join(" ")}; do`,
    '  if [ -e "$f" ]; then echo "$f $(stat -c "%a %U %G" "$f") $(sha256sum <"$f" | cut -c1-16)"; else echo "$f absent"; fi',
    "done",
    `for p in ${relocated.join(" ")}; do echo "$p -> $(readlink "$p" || echo not-a-link)"; done`,
    `for p in ${relocated.join(" ")}; do ls -d "$p".hacluster-orig-* 2>/dev/null || true; done`,
    `if mountpoint -q ${mount}; then`,
    `  find ${mount} -maxdepth 3 -not -path '${mount}/lost+found*' -printf '%p %m %u %y\\n' | sort`,
    "fi",
    "ls /etc/rc2.d | grep -E 'squid|named|bind9|heartbeat|drbd' || true",
    'for s in named squid; do /etc/init.d/$s status >/dev/null 2>&1 && echo "$s running" || echo "$s stopped"; done',
  ].join("\n");
  return onNode(node, script);
}
