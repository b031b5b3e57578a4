import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The real-Ray suites run on their own: npx vitest run --config vitest.ray.config.ts
    exclude: [...configDefaults.exclude, "test/ray/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"]
  }
})
