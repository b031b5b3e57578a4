/**
 * The real-Ray suites (`test/ray/`), run one file at a time: each file starts its own Ray
 * (~5–10 s) and stops everything it started. Not part of `npm test`; run with
 *   npx vitest run --config vitest.ray.config.ts
 * The global setup builds or reuses the venv with ray 2.58.0 (scripts/ray-venv.sh).
 */
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/ray/**/*.test.ts"],
    globalSetup: ["test/ray/globalSetup.ts"],
    fileParallelism: false,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    reporters: ["default"]
  }
})
