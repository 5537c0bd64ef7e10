/**
 * `unit` is pure TypeScript; `tools` runs the rendered files and steps through Debian's own
 * tools; `lab` builds the two-node lab and tests the cluster end to end (root, namespaces);
 * `vm` (on demand only) boots the VM lab's two Debian VMs.
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
    // `vm` boots two Debian VMs under QEMU (root, minutes): not part of `npm test`, only run by
    // `npm run test:vm`, which sets HACLUSTER_VM_TESTS.
    ...(process.env.HACLUSTER_VM_TESTS
      ? [
          {
            ...shared,
            displayName: "vm",
            testMatch: ["<rootDir>/tests/vm/**/*.test.ts"],
            slowTestThreshold: 600,
          },
        ]
      : []),
  ],
};
