/**
 * The benchmark's peers (issue 11): the tools a sysadmin would pick instead of hacluster, run on
 * the lab's two nodes in place of its heartbeat, with the same addresses, volume, named and squid,
 * for the same failover trial. Only the lab runs them; nothing here is part of the program.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { remoteCommand } from "../../../render/step";
import * as probe from "../probes";
import { NodeName } from "../probes";
import { ssh } from "../runner";

export interface Peer {
  readonly name: "keepalived" | "pacemaker";
  /** The software as installed here, and the timer that decides how soon a lost node is seen. */
  label(): string;
  /** Configures and starts it on both nodes (heartbeat stopped); returns once it serves. */
  start(): Promise<void>;
  /** Stops it and takes off the nodes everything its `start` put there. */
  remove(): void;
  /** Both nodes are members again: what a trial waits for once the lost node has booted. */
  bothUp(): boolean;
  /** The node the peer itself says runs the services: its own account, not the VIP's. */
  holder(): NodeName | undefined;
}

/** One of the peers' scripts as a command line: root runs it under sh, as the program's steps. */
const scriptCommand = (script: string) => remoteCommand(readFileSync(script, "utf8"), "root");

/** Runs one of the peers' scripts on a node; what it printed. Throws if it fails. */
export function runScript(node: NodeName, script: string, input?: string): string {
  return probe.onNode(node, scriptCommand(script), input);
}

/**
 * What a script printed on a node, or undefined when the node cannot be reached or it failed. The
 * script bounds its own time: an ssh killed on a timeout of ours would leave the node's shell
 * startup half done (root's bashrc on these machines keeps a lock while pyenv rehashes, and every
 * later login waits 60 s for it).
 */
export function askNode(node: NodeName, script: string): string | undefined {
  const address = probe.nodes.find((n) => n.name === node)!.address;
  const run = ssh(address, scriptCommand(script), undefined, 90_000);
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** The upstream version of a Debian package installed here (the nodes share the host's /usr). */
export function debianVersion(pkg: string): string {
  const run = spawnSync("dpkg-query", ["-W", "-f=${Version}", pkg], { encoding: "utf8" });
  return run.stdout.replace(/^\d+:/, "").replace(/-[^-]*$/, "") || "?";
}

/** The nodes, the one holding the VIP last: stopped in that order, nothing moves. */
export function standbyFirst(): NodeName[] {
  const holders = probe.vipHolders();
  return probe.nodes
    .map((n) => n.name)
    .sort((a, b) => Number(holders.includes(a)) - Number(holders.includes(b)));
}
