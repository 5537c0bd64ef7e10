import type { Reader } from "./node-file";

/**
 * What a step does to the running cluster when it runs, where that is more than writing a file:
 * moving the cluster's resources (VIP, DRBD role, volume, services' data) or restarting or
 * reloading a service. A change's list of steps calls these out for its reviewer.
 */
const stepImpacts: Readonly<Record<string, string>> = {
  "drbd-up": "runs `drbdadm adjust` on the running DRBD resource (`up` where it is down)",
  "drbd-first-primary": "forces the first DRBD primary (only while both disks are Inconsistent)",
  "drbd-mkfs": "makes the filesystem on the DRBD device (only where blkid finds none)",
  relocate: "stops a service to move its data onto the replicated volume, then starts it",
  "heartbeat-start":
    "starts heartbeat where it is not running: the preferred node takes the VIP, the volume and the services",
  "authkeys-sign":
    "heartbeat signs with the new key, switching with its peer at one mark on the clock (5 to 15 s after the step begins; the accept stage before it stops the rotation unless heartbeat sees the peer active)",
};

/** What a step's delete does to the running cluster, where that is more than removing a file. */
const deleteImpacts: Readonly<Record<string, string>> = {
  relocate: "stops the services to copy their data back from the volume to the local disk",
  "apparmor-squid-enforce":
    "unloads squid's AppArmor profile: a running squid goes on unconfined, as it starts from then on",
};

/**
 * What rereading a file does, by who rereads it (the hook of `render/file-step.ts`). Every
 * reader must be decided here: a new one does not compile until it is.
 */
const rereadImpacts: Readonly<Record<Reader, string | undefined>> = {
  heartbeat: "heartbeat rereads its configuration (`heartbeat -r`) where it runs",
  "heartbeat-keys":
    "heartbeat rereads its keys (SIGHUP, the signal of `heartbeat -r`) where it runs",
  drbd: "runs `drbdadm adjust` on the running DRBD resource",
  named: "named reloads (`rndc reload`)",
  squid: "squid reconfigures (SIGHUP, as `squid -k reconfigure` sends)",
  network: "sets the MTU and the static routes again on the live interfaces",
  timesyncd: "restarts systemd-timesyncd",
  // A profile reload moves nothing and restarts no service.
  apparmor: undefined,
  // daemon-reload and enabling a unit at boot start nothing now.
  systemd: undefined,
  // The unit uses it from its next start: nothing is restarted for it.
  "systemd-next-start": undefined,
  // Heartbeat's environment is read at its next start: nothing is restarted for it.
  "heartbeat-environment": undefined,
};

/** What running a step (`run`) or its delete (`delete`) does to the running cluster, if anything. */
export function impactOf(
  step: { readonly id: string; readonly readBy?: string },
  part: "run" | "delete",
): string | undefined {
  if (part === "delete") return own(deleteImpacts, step.id);
  // A step's own impact first: a file step that does more than its reader's reread.
  if (Object.hasOwn(stepImpacts, step.id)) return stepImpacts[step.id];
  if (step.readBy !== undefined) return own(rereadImpacts, step.readBy);
  return undefined;
}

function own(table: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
