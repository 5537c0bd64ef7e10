/** Two projects: `unit` is pure TypeScript; `tools` runs the rendered files through Debian's own checkers. */
const shared = { preset: "ts-jest", testEnvironment: "node" };
module.exports = {
  projects: [
    { ...shared, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    { ...shared, displayName: "tools", testMatch: ["<rootDir>/tests/tools/**/*.test.ts"] },
  ],
};
