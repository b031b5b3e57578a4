/**
 * The dispatcher: builds the stream of a physical plan from each node's operator module,
 * bottom-up, wrapping every operator's stream to record its metrics
 * (`ExecutionContext.metrics.operator(node.id, node._tag)`) and to guarantee that every
 * batch it emits has the node's output schema (`output.toArrow()`: names and types).
 *
 * Metrics per operator: `batchesOut` / `rowsOut` per emitted batch; `batchesIn` /
 * `rowsIn` = its children's output; `elapsedMs` = its own time (time from a pull to its
 * batch, minus the time spent in its children's pulls meanwhile); `peakMemory` = the
 * largest reservation of a blocking operator (see `internal/memory.reserve`).
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { QueryMetrics } from "../Engine/Metrics.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import * as AdjacencyExpand from "./AdjacencyExpand.js"
import * as Collect from "./Collect.js"
import * as Empty from "./Empty.js"
import * as Exchange from "./Exchange.js"
import * as Filter from "./Filter.js"
import * as HashAggregate from "./HashAggregate.js"
import * as HyperedgeScan from "./HyperedgeScan.js"
import { instrument } from "./internal/instrument.js"
import * as Limit from "./Limit.js"
import * as NodeScan from "./NodeScan.js"
import * as Project from "./Project.js"
import * as Rename from "./Rename.js"
import * as RoleExpand from "./RoleExpand.js"
import * as Sort from "./Sort.js"
import * as Union from "./Union.js"

type BatchStream = Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>

/** The kinds of operator (ARCHITECTURE "Operators"). */
export type OperatorKind = "source" | "map" | "streaming" | "blocking" | "exchange"

/** What kind of operator a node is, and whether it reserves memory for what it buffers. */
export interface Capabilities {
  readonly kind: OperatorKind
  readonly reservesMemory: boolean
}

const SOURCE: Capabilities = { kind: "source", reservesMemory: false }
const MAP: Capabilities = { kind: "map", reservesMemory: false }
const STREAMING: Capabilities = { kind: "streaming", reservesMemory: false }
const BLOCKING: Capabilities = { kind: "blocking", reservesMemory: true }
const EXCHANGE: Capabilities = { kind: "exchange", reservesMemory: false }

/** What kind of operator a node is (ARCHITECTURE "Operators" categories). */
export const capabilities = (plan: PhysicalPlan.PhysicalPlan): Capabilities => {
  switch (plan._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
    case "EmptyExec":
      return SOURCE
    case "FilterExec":
    case "ProjectExec":
    case "RenameExec":
      return MAP
    case "LimitExec":
    case "UnionExec":
    case "AdjacencyExpandExec":
    case "RoleExpandExec":
      return STREAMING
    case "SortExec":
    case "HashAggregateExec":
    case "CollectExec":
      return BLOCKING
    case "ExchangeExec":
      return EXCHANGE
    case "StageInputExec":
      return SOURCE
  }
}

const operator = (plan: PhysicalPlan.PhysicalPlan, inputs: ReadonlyArray<BatchStream>): BatchStream => {
  switch (plan._tag) {
    case "NodeScanExec":
      return NodeScan.execute(plan)
    case "HyperedgeScanExec":
      return HyperedgeScan.execute(plan)
    case "EmptyExec":
      return Empty.execute(plan)
    case "FilterExec":
      return Filter.execute(plan, inputs[0]!)
    case "ProjectExec":
      return Project.execute(plan, inputs[0]!)
    case "RenameExec":
      return Rename.execute(plan, inputs[0]!)
    case "LimitExec":
      return Limit.execute(plan, inputs[0]!)
    case "UnionExec":
      return Union.execute(plan, inputs)
    case "CollectExec":
      return Collect.execute(plan, inputs[0]!)
    case "SortExec":
      return Sort.execute(plan, inputs[0]!)
    case "HashAggregateExec":
      return HashAggregate.execute(plan, inputs[0]!)
    case "AdjacencyExpandExec":
      return AdjacencyExpand.execute(plan, inputs[0]!)
    case "RoleExpandExec":
      return RoleExpand.execute(plan, inputs[0]!)
    case "ExchangeExec":
      return Exchange.execute(plan, inputs[0]!)
    case "StageInputExec":
      return Exchange.executeStageInput(plan)
  }
}

const build = (plan: PhysicalPlan.PhysicalPlan, parent: PhysicalPlan.PhysicalPlan | undefined): BatchStream =>
  instrument(plan, parent, operator(plan, PhysicalPlan.children(plan).map((child) => build(child, plan))))

const register = (plan: PhysicalPlan.PhysicalPlan, metrics: QueryMetrics): void => {
  metrics.operator(plan.id, plan._tag)
  for (const child of PhysicalPlan.children(plan)) register(child, metrics)
}

/**
 * Builds the stream of a physical plan (lazily: building does no work). When it starts,
 * every node of the plan gets its metrics record, so operators that never ran (under a
 * `limit 0`) still show with zero counts.
 */
export const execute = (plan: PhysicalPlan.PhysicalPlan): BatchStream =>
  Stream.unwrap(
    Effect.map(ExecutionContext, (context) => {
      register(plan, context.metrics)
      return build(plan, undefined)
    })
  )
