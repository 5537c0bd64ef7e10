/**
 * `unit` is pure TypeScript; `tools` runs the rendered files and steps through Debian's own
 * tools; `lab` builds the two-node lab and tests the cluster end to end (root, namespaces);
 * `vm` boots the VM lab's two Debian VMs and runs the cluster on them.
 */
const shared = { preset: "ts-jest", testEnvironment: "node" };
module.exports = {
  projects: [
    { ...shared, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    { ...shared, displayName: "tools", testMatch: ["<rootDir>/tests/tools/**/*.test.ts"] },
    {
      ...shared,
      displayName: "lab",
      testMatch: ["<rootDir>/tests/lab/**/*.test.ts"],
      slowTestThreshold: 120,
    },
    // `vm` boots two Debian VMs under QEMU at a time (root, many minutes): part of `npm test`;
    // HACLUSTER_VM_TESTS=0 leaves it out of a quick run on a machine that cannot run QEMU.
    ...(process.env.HACLUSTER_VM_TESTS === "0"
      ? []
      : [
          {
            ...shared,
            displayName: "vm",
            testMatch: ["<rootDir>/tests/vm/**/*.test.ts"],
            slowTestThreshold: 600,
          },
        ]),
  ],
};
