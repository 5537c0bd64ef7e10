/**
 * A rotation's three authkeys stages (accept, sign, drop the others), applied back to back to a
 * running heartbeat 3.0.6 by the program's own step scripts, as fast as the engine runs them.
 * Heartbeat rereads its keys in its own time after `heartbeat -r` returns: a stage must not end
 * before it has, or the peer's next stage (signing with the new key, dropping the old one) finds
 * this node still on the old keys, and one declares the other dead. One node in namespaces of its
 * own (tests/support/heartbeat-node.ts); its peer never answers.
 */
import { planSteps } from "../../render/plan";
import { Step } from "../../render/step";
import { HeartbeatNode } from "../support/heartbeat-node";
import { clusterOf, stackValues, withValue } from "../support/stacks";

jest.setTimeout(120_000);

const keyOf = (rotation: number) => `${rotation}`.repeat(40).slice(0, 40);
const stages = ["authkeys-accept", "authkeys-sign", "authkeys"];

/** proxycl1's authkeys stages of `rotation`, in the order the plan runs them. */
function stagesOf(rotation: number): Step[] {
  const cluster = clusterOf(
    "lab",
    withValue(stackValues("lab"), "authkeysRotation", String(rotation)),
  );
  const steps = planSteps(cluster, keyOf(rotation))[0];
  return stages.map((id) => steps.find((s) => s.id === id)!);
}

let node: HeartbeatNode;
const haLog = () => node.haLog();
async function logShows(offset: number, pattern: RegExp, count = 1): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((haLog().slice(offset).match(new RegExp(pattern, "g")) ?? []).length < count) {
    if (Date.now() > deadline)
      throw new Error(`heartbeat's log lacks ${pattern}:\n${haLog().slice(offset)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  node = new HeartbeatNode();
  await node.start();
  node.must(
    [
      "printf 'logfile /var/log/ha-log\\nkeepalive 1\\nwarntime 3\\ndeadtime 5\\ninitdead 6\\nudpport 694\\nucast eth0 192.168.0.2\\nauto_failback off\\nnode proxycl1\\nnode proxycl2\\ncrm off\\n' >/etc/ha.d/ha.cf",
      "printf 'proxycl1 IPaddr::192.168.0.50/24/eth0\\n' >/etc/ha.d/haresources",
    ].join("; "),
  );
  // Rotation 1's key in place, as a converge leaves it; then heartbeat started with it.
  for (const step of stagesOf(1)) node.must(step.create, step.stdin);
  node.must("/usr/libexec/heartbeat/heartbeat");
  await logShows(0, /Configuration validated\. Starting heartbeat/);
  // Up, its peer declared dead after initdead, and its resources taken: a reload is handled now.
  await logShows(0, /local resource transition completed/);
  // A sign stage switches only with its peer up: this node's peer never answers, so heartbeat's
  // own account of it is replaced, in the node's mount namespace, by one that says it is up.
  node.must(
    "printf '#!/bin/sh\\necho active\\n' >/run/cl_status-peer-up && chmod 755 /run/cl_status-peer-up && mount --bind /run/cl_status-peer-up \"$(command -v cl_status)\"",
  );
});
afterAll(() => node?.stop());

it("rereads every stage of a rotation applied back to back, and ends signing with the new key alone", async () => {
  const offset = haLog().length;
  const said = stagesOf(2).map((step) =>
    node.must(step.create, step.stdin).trimEnd().split("\n").pop(),
  );
  expect(said).toEqual(
    stages.map(() => expect.stringMatching(/^changed: .*heartbeat reloaded, keys reread/)),
  );
  // One reread per stage, heartbeat's own account; none found "unchanged".
  await logShows(offset, /Rereading authentication file\./, 3);
  expect(haLog().slice(offset)).not.toMatch(/Configuration unchanged/);
  expect(node.must("grep -v '^#' /etc/ha.d/authkeys")).toBe(`auth 3\n3 sha1 ${keyOf(2)}\n`);
});

it("ends a stage re-run after a run cut short past its reload, heartbeat having read the keys already", () => {
  // The write and the reload happened; the run ended before the step could clear its marker.
  node.must(
    "mkdir -p /var/lib/hacluster/pending && touch /var/lib/hacluster/pending/authkeys-sign",
  );
  const [, sign] = stagesOf(2);
  const run = node.run(sign.create, sign.stdin);
  expect(run.stderr).not.toMatch(/hacluster: /);
  expect(run.status).toBe(0);
  expect(run.stdout.trimEnd().split("\n").pop()).toMatch(/heartbeat reloaded, keys reread/);
  expect(node.must("find /var/lib/hacluster/pending -type f")).toBe("");
});

/**
 * What heartbeat 3.0.6 logs for each packet its peer signed with a key it does not sign with
 * itself (copied from the lab's log, the tokens changed), as `slot` from `src`.
 */
const rejected = (src: string, slot: number) =>
  [
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: authtoken does not match, authtoken=df6b86a508f35f0978f301ccda3034b29fe151fe, authstr=704b29d63b8adedaa4fee496522df1c78c4a5b1e`,
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: netstring authentication failed, s=###`,
    `42:${slot} df6b86a508f35f0978f301ccda3034b29fe151fe,, autotoken=${slot} df6b86a508f35f0978f301ccda3034b29fe151fe,`,
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: MSG: Dumping message with 12 fields`,
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: MSG[0] : [t=status]`,
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: MSG[4] : [src=${src}]`,
    `Nov 25 11:07:59 proxycl1 heartbeat: [1030]: ERROR: MSG[11] : [auth=${slot} 973c245b56969566d5b77d23aa6ce1b6ec859fa7]`,
    "",
  ].join("\n");

/** Runs a rotation's sign stage while, 2 s in, `lines` reach heartbeat's log; what it said. */
function signWhileLogged(rotation: number, lines: string): string {
  const [accept, sign, final] = stagesOf(rotation);
  node.must(accept.create, accept.stdin);
  const b64 = Buffer.from(lines).toString("base64");
  const said = node
    .must(
      `(sleep 2; echo ${b64} | base64 -d >>/var/log/ha-log) </dev/null >/dev/null 2>&1 &\n${sign.create}`,
      sign.stdin,
    )
    .trimEnd()
    .split("\n")
    .pop()!;
  node.must(final.create, final.stdin);
  return said;
}

it("switches to the new key with its peer: at once when the peer's packets signed with it are rejected", () => {
  // Rotation 3 signs with slot 4; the peer, proxycl2, now signs with it.
  expect(signWhileLogged(3, rejected("proxycl2", 4))).toMatch(
    /keys reread; signs with the new key, switched with proxycl2\)$/,
  );
});

it("does not take another slot, another sender or the ping node for its peer switching", () => {
  // Rotation 10 signs with slot 11: the peer's slot 1, and the ping node's slot 11, are not it.
  const lines = rejected("proxycl2", 1) + rejected("172.16.250.254", 11) + rejected("proxycl9", 11);
  expect(signWhileLogged(10, lines)).toMatch(
    /keys reread; signs with the new key, switched on its own at \d\d:\d\d:\d\d\)$/,
  );
  expect(node.must("grep -v '^#' /etc/ha.d/authkeys")).toBe(`auth 11\n11 sha1 ${keyOf(10)}\n`);
});

it("stops a rotation at its accept stage, changing nothing, while heartbeat sees its peer down", () => {
  node.must('umount "$(command -v cl_status)"');
  expect(node.run("cl_status nodestatus proxycl2").stdout.trim()).toBe("dead");
  const before = node.must("cat /etc/ha.d/authkeys");
  const [accept] = stagesOf(11);
  const run = node.run(accept.create, accept.stdin);
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain(
    "hacluster: the rotation stops before any key changes: heartbeat on proxycl1 sees proxycl2 as dead, and both nodes must switch keys together",
  );
  expect(node.must("cat /etc/ha.d/authkeys")).toBe(before);
  expect(node.run("test -e /var/lib/hacluster/pending/authkeys-accept").status).not.toBe(0);
});
