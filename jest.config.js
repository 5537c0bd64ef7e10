/**
 * `unit` is pure TypeScript; `tools` runs the rendered files and steps through Debian's own
 * tools; `lab` builds the two-node lab and tests the cluster end to end (root, namespaces);
 * `vm` boots the VM lab's two Debian VMs and runs the cluster on them (root, QEMU).
 * `npm test` (scripts/test.sh) runs them in two streams side by side (scripts/test-stream.sh).
 */
const shared = { preset: "ts-jest", testEnvironment: "node" };
module.exports = {
  // One test file at a time unless told: the lab's files share one lab (its namespaces, its
  // VMs) and each starts by taking it down; jest has no per-project limit.
  maxWorkers: 1,
  projects: [
    { ...shared, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    { ...shared, displayName: "tools", testMatch: ["<rootDir>/tests/tools/**/*.test.ts"] },
    {
      ...shared,
      displayName: "lab",
      testMatch: ["<rootDir>/tests/lab/**/*.test.ts"],
      slowTestThreshold: 120,
    },
    {
      ...shared,
      displayName: "vm",
      testMatch: ["<rootDir>/tests/vm/**/*.test.ts"],
      slowTestThreshold: 600,
    },
  ],
};
