/** Jest runs the TypeScript sources through swc (no type-check: `tsc` does that first in `npm test`). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j|mj)s$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }] },
  transformIgnorePatterns: ["/node_modules/(?!(arquero|@uwdata)/)"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/summary-reporter.cjs"],
};
