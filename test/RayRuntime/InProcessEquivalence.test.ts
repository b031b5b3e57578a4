/**
 * The distributed runtime on the in-process cluster gives the local runtime's answers on
 * random graphs and queries, for 1, 2, 3 and 7 partitions, and on traversal-heavy queries over
 * random multigraphs (every query also runs through
 * the splitter, the exchanges and Arrow IPC between stages).
 *
 * Re-run one case: GRISM_PROP_SEED=<seed> npx vitest run test/RayRuntime/InProcessEquivalence.test.ts
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import * as InProcessCluster from "../../src/RayRuntime/InProcessCluster.js"
import * as RayRuntime from "../../src/RayRuntime/RayRuntime.js"
import * as Generators from "../utils/Generators.js"
import { checkCase, localRuntime, multiStorage } from "./helpers.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261129)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 20)

describe("RayRuntime (in-process cluster) vs LocalRuntime", () => {
  for (const partitions of [1, 2, 3, 7]) {
    it(`random queries over random graphs agree with ${partitions} partition(s)`, async () => {
      const storage = multiStorage()
      const cluster = await Effect.runPromise(InProcessCluster.make(storage, { workers: 3 }))
      const distributed = RayRuntime.make(storage, cluster, { partitions, config: { batchSize: 3 } })
      const local = await Effect.runPromise(localRuntime(storage))
      await fc.assert(
        fc.asyncProperty(Generators.testCase, async ([graph, seq]) => {
          await Effect.runPromise(storage.load(graph))
          const problem = await checkCase(graph, seq, local, distributed)
          expect(problem, problem).toBeUndefined()
          expect(await Effect.runPromise(cluster.heldObjects)).toEqual([])
          expect(await Effect.runPromise(cluster.runningTasks)).toBe(0)
        }),
        { seed: seed + partitions, numRuns, endOnFailure: false }
      )
    })
  }

  for (const partitions of [3, 7]) {
    it(`traversal queries over random multigraphs agree with ${partitions} partitions`, async () => {
      const storage = multiStorage()
      const cluster = await Effect.runPromise(InProcessCluster.make(storage, { workers: 3 }))
      const distributed = RayRuntime.make(storage, cluster, { partitions, config: { batchSize: 3 } })
      const local = await Effect.runPromise(localRuntime(storage))
      await fc.assert(
        fc.asyncProperty(Generators.traversalCase, async ([graph, seq]) => {
          await Effect.runPromise(storage.load(graph))
          const problem = await checkCase(graph, seq, local, distributed, { traversal: true })
          expect(problem, problem).toBeUndefined()
          expect(await Effect.runPromise(cluster.heldObjects)).toEqual([])
        }),
        { seed: seed + 100 + partitions, numRuns, endOnFailure: false }
      )
    })
  }
})
