/**
 * Debian 12 (bookworm): the converge, the loss of a node and the reboot of both
 * (tests/vm/cluster-suite.ts); trixie runs every scenario.
 */
import { vmClusterSuite } from "./cluster-suite";

vmClusterSuite("bookworm", ["node-loss", "reboot-both"]);
