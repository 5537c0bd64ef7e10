/**
 * Debian 13 (trixie, the current stable): every scenario of the VM lab (tests/vm/cluster-suite.ts).
 */
import { vmClusterSuite } from "./cluster-suite";

vmClusterSuite("trixie", [
  "rotation",
  "partition-serial-intact",
  "node-loss",
  "total-partition",
  "split-brain",
  "runbooks",
  "reboot-both",
  "power-cut-both",
]);
