/**
 * A hand-written catalog and a storage that counts scans, for plan-time tests.
 */
import { Effect, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import type { Catalog, HyperedgeLabelInfo, LabelInfo, StorageService } from "../../src/Engine/Storage.js"

const label = (name: string, count: number, props: ReadonlyArray<readonly [string, DataType.DataType]>): LabelInfo => ({
  label: name,
  count,
  properties: new Map(props)
})

const edgeLabel = (
  name: string,
  count: number,
  binaryCount: number,
  roles: ReadonlyArray<string>,
  props: ReadonlyArray<readonly [string, DataType.DataType]>
): HyperedgeLabelInfo => ({ ...label(name, count, props), binaryCount, roles })

/** Person(age Int64, name String, score Float64, nick Null), City(name String, pop Int64), Robot(age String, model String). */
export const catalog: Catalog = {
  snapshot: 1,
  nodeCount: 6,
  hyperedgeCount: 3,
  nodeLabels: new Map([
    ["Person", label("Person", 3, [["name", DataType.String], ["age", DataType.Int64], ["score", DataType.Float64], ["nick", DataType.Null]])],
    ["City", label("City", 2, [["name", DataType.String], ["pop", DataType.Int64]])],
    ["Robot", label("Robot", 1, [["age", DataType.String], ["model", DataType.String]])]
  ]),
  hyperedgeLabels: new Map([
    ["KNOWS", edgeLabel("KNOWS", 2, 2, ["source", "target"], [["since", DataType.Int64]])],
    ["MEETING", edgeLabel("MEETING", 1, 0, ["attendee", "host"], [["topic", DataType.String]])]
  ])
}

/** A storage over {@link catalog} whose scans only count calls (and emit nothing). */
export const countingStorage = () => {
  const counts = { scans: 0 }
  const storage: StorageService = {
    current: Effect.succeed(1),
    catalog: () => Effect.succeed(catalog),
    scanNodes: () => {
      counts.scans++
      return Stream.empty
    },
    scanHyperedges: () => {
      counts.scans++
      return Stream.empty
    },
    scanBindings: () => {
      counts.scans++
      return Stream.empty
    },
    index: () => {
      counts.scans++
      return Effect.dieMessage("countingStorage: no graph index")
    },
    commit: () => Effect.succeed(2)
  }
  return { storage, counts }
}
