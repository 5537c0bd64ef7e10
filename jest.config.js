/**
 * `unit` is pure TypeScript; `tools` runs the rendered files and steps through Debian's own
 * tools; `lab` builds the two-node lab and tests the cluster end to end (root, namespaces).
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
  ],
};
