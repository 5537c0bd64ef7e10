/**
 * The host's CPU time, all cores together, from /proc/stat: what a lab's step cost the machine
 * (the VMs' emulation included). Printed beside the suites' timings, never asserted.
 */
import { readFileSync } from "node:fs";

const ticksPerSecond = 100;

/** Seconds of CPU the whole machine has spent busy since it booted. */
export function hostBusySeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  const busy = fields
    .slice(0, 8)
    .map(Number)
    .filter((_, i) => i !== 3 && i !== 4);
  return busy.reduce((a, b) => a + b, 0) / ticksPerSecond;
}
