/**
 * Cuts a distributed physical plan (one with ExchangeExec nodes, from the
 * DistributedPlanner) at its Exchanges into a DAG of {@link Stage}s, producers first.
 *
 * A stage is a sub-plan that runs as `partitions` independent tasks; its leaves are scans
 * (task `i` reads scan partition `{ index: i, count }`, see {@link taskPlan}) and
 * `StageInputExec` nodes, each reading the output of one producer stage through the
 * Exchange it replaced. Every type here is a Schema class, so a stage encodes to JSON
 * ({@link StageGraph} / {@link Stage} `Schema.encode`) and can be sent to a worker.
 *
 * Data flow between a producer stage P and its consumer C through an exchange of mode M:
 * - each task of P runs `P.plan` and splits its output by `P.output`
 *   (`Partitioning.split`), producing `partitionCount(P.output)` output partitions;
 * - Shuffle(spec): `P.output = spec`; task `i` of C reads output partition `i` of every
 *   task of P (so `C.partitions = partitionCount(spec)`);
 * - Gather: `P.output = Single`; C has one task, which reads the one output of every task of P;
 * - Broadcast: `P.output = Single`; every task of C reads the one output of every task of P.
 *
 * The {@link StageGraph} `result` stage's output is the query result: the coordinator
 * reads output partition 0 of each of its tasks, in task order (its `output` is Single).
 * When the plan's root is a Gather, the Gather is not made into a stage of its own: the
 * producer is the result stage and the coordinator does the gathering.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { unchecked } from "../Engine/Expr.js"
import * as Partitioning from "../Engine/Partitioning.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"

/** One input of a stage: producer stage `stage`, read through an exchange of `mode`. */
export class StageInput extends Schema.Class<StageInput>("StageInput")({
  /** The producer stage's id. */
  stage: Schema.Int,
  /** How the producer's output partitions reach this stage's tasks. */
  mode: Partitioning.ExchangeMode
}) {}

/**
 * One stage of a distributed query: a sub-plan run as `partitions` tasks.
 *
 * - `id`: the stage's id; ids are `0..stages.length)` in producer-first order (a stage's
 *   inputs always have smaller ids).
 * - `plan`: the sub-plan. Its leaves are scans (partitioned `{ index: 0, count: partitions }`;
 *   task `i` runs {@link taskPlan}`(stage, i)`) and `StageInputExec` nodes naming producer stages.
 * - `partitions`: the stage's parallelism (number of tasks).
 * - `inputs`: the producer stages this stage reads, one per StageInputExec leaf (plan order).
 * - `output`: how each task splits its output into output partitions
 *   (`Partitioning.split(output, batch)`); Single for a Gather, a Broadcast or the result.
 * - `consumer`: the id of the stage that reads this one (absent for the result stage).
 */
export class Stage extends Schema.Class<Stage>("Stage")({
  id: Schema.Int,
  plan: PhysicalPlan.PhysicalPlan,
  partitions: Schema.Int,
  inputs: Schema.Array(StageInput),
  output: Partitioning.PartitioningSpec,
  consumer: Schema.optional(Schema.Int)
}) {}

/** The stages of one query, producers first; `result` is the stage whose output is the query's result. */
export class StageGraph extends Schema.Class<StageGraph>("StageGraph")({
  stages: Schema.Array(Stage),
  result: Schema.Int
}) {
  /** A stage by id. */
  stage(id: number): Stage {
    const s = this.stages[id]
    if (s === undefined || s.id !== id) throw new Error(`StageGraph: no stage ${id}`)
    return s
  }
}

/** JSON codec helpers: `encodeStage(stage)` gives plain JSON, `decodeStage(json)` the same classes back. */
export const encodeStage = Schema.encodeSync(Stage)
export const decodeStage = Schema.decodeUnknownSync(Stage)
export const encodeGraph = Schema.encodeSync(StageGraph)
export const decodeGraph = Schema.decodeUnknownSync(StageGraph)

// ---------------------------------------------------------------------------
// Splitting
// ---------------------------------------------------------------------------

interface Pending {
  readonly plan: PhysicalPlan.PhysicalPlan
  readonly inputs: ReadonlyArray<StageInput>
  readonly output: Partitioning.PartitioningSpec
}

/** The parallelism of a sub-plan from its leaves; a planner bug if leaves disagree. */
const parallelismOf = (plan: PhysicalPlan.PhysicalPlan): number => {
  const found = new Set<number>()
  const visit = (p: PhysicalPlan.PhysicalPlan): void => {
    switch (p._tag) {
      case "NodeScanExec":
      case "HyperedgeScanExec":
        found.add(p.partition?.count ?? 1)
        return
      case "StageInputExec":
        if (p.mode._tag === "Shuffle") found.add(Partitioning.partitionCount(p.mode.partitioning))
        else if (p.mode._tag === "Gather") found.add(1)
        return
      default:
        for (const c of PhysicalPlan.children(p)) visit(c)
    }
  }
  visit(plan)
  if (found.size > 1) {
    throw new Error(`StageSplitter: a stage's leaves disagree on its parallelism (${[...found].join(", ")})`)
  }
  return found.size === 0 ? 1 : [...found][0]!
}

/**
 * Splits a plan into stages at its ExchangeExec nodes. Throws (a defect) when a stage's
 * leaves need different parallelism (the planner must insert an Exchange there) or the
 * plan already holds StageInputExec nodes.
 */
export const split = (plan: PhysicalPlan.PhysicalPlan): StageGraph => {
  const stages: Array<Stage> = []
  const finish = (pending: Pending): number => {
    const id = stages.length
    stages.push(
      new Stage({
        id,
        plan: pending.plan,
        partitions: parallelismOf(pending.plan),
        inputs: pending.inputs,
        output: pending.output
      }, unchecked)
    )
    return id
  }
  // Rewrites a sub-plan, finishing producer stages below it; returns the stage's own plan and inputs.
  const cut = (p: PhysicalPlan.PhysicalPlan, inputs: Array<StageInput>): PhysicalPlan.PhysicalPlan => {
    if (p._tag === "StageInputExec") throw new Error("StageSplitter: the plan is already split")
    if (p._tag === "ExchangeExec") {
      const producerInputs: Array<StageInput> = []
      const producerPlan = cut(p.input, producerInputs)
      const stage = finish({
        plan: producerPlan,
        inputs: producerInputs,
        output: Partitioning.producerPartitioning(p.mode)
      })
      inputs.push(new StageInput({ stage, mode: p.mode }, unchecked))
      return new PhysicalPlan.StageInputExec({ id: p.id, output: p.output, stage, mode: p.mode }, unchecked)
    }
    return withChildren(p, PhysicalPlan.children(p).map((c) => cut(c, inputs)))
  }
  let result: number
  if (plan._tag === "ExchangeExec" && plan.mode._tag === "Gather") {
    const inputs: Array<StageInput> = []
    const root = cut(plan.input, inputs)
    result = finish({ plan: root, inputs, output: Partitioning.single })
  } else {
    const inputs: Array<StageInput> = []
    const root = cut(plan, inputs)
    result = finish({ plan: root, inputs, output: Partitioning.single })
  }
  // Link each producer to its consumer.
  const consumers = new Map<number, number>()
  for (const s of stages) for (const i of s.inputs) consumers.set(i.stage, s.id)
  const linked = stages.map((s) => {
    const consumer = consumers.get(s.id)
    return consumer === undefined ? s : new Stage({ ...s, consumer }, unchecked)
  })
  return new StageGraph({ stages: linked, result }, unchecked)
}

/** The same node with new children (in `PhysicalPlan.children` order). */
export const withChildren = (
  p: PhysicalPlan.PhysicalPlan,
  kids: ReadonlyArray<PhysicalPlan.PhysicalPlan>
): PhysicalPlan.PhysicalPlan => {
  const old = PhysicalPlan.children(p)
  if (old.length === kids.length && old.every((c, i) => c === kids[i])) return p
  switch (p._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
    case "EmptyExec":
    case "StageInputExec":
      return p
    case "UnionExec":
      return new PhysicalPlan.UnionExec({ ...p, inputs: kids }, unchecked)
    case "FilterExec":
      return new PhysicalPlan.FilterExec({ ...p, input: kids[0]! }, unchecked)
    case "ProjectExec":
      return new PhysicalPlan.ProjectExec({ ...p, input: kids[0]! }, unchecked)
    case "RenameExec":
      return new PhysicalPlan.RenameExec({ ...p, input: kids[0]! }, unchecked)
    case "LimitExec":
      return new PhysicalPlan.LimitExec({ ...p, input: kids[0]! }, unchecked)
    case "CollectExec":
      return new PhysicalPlan.CollectExec({ ...p, input: kids[0]! }, unchecked)
    case "SortExec":
      return new PhysicalPlan.SortExec({ ...p, input: kids[0]! }, unchecked)
    case "HashAggregateExec":
      return new PhysicalPlan.HashAggregateExec({ ...p, input: kids[0]! }, unchecked)
    case "AdjacencyExpandExec":
      return new PhysicalPlan.AdjacencyExpandExec({ ...p, input: kids[0]! }, unchecked)
    case "RoleExpandExec":
      return new PhysicalPlan.RoleExpandExec({ ...p, input: kids[0]! }, unchecked)
    case "ExchangeExec":
      return new PhysicalPlan.ExchangeExec({ ...p, input: kids[0]! }, unchecked)
  }
}

/**
 * The plan task `index` of a stage runs: every scan reads partition `{ index, count:
 * stage.partitions }`. StageInputExec leaves are unchanged (the runtime supplies the task's
 * batches for them).
 */
export const taskPlan = (stage: Stage, index: number): PhysicalPlan.PhysicalPlan => {
  const visit = (p: PhysicalPlan.PhysicalPlan): PhysicalPlan.PhysicalPlan => {
    if (p._tag === "NodeScanExec" || p._tag === "HyperedgeScanExec") {
      if (p.partition === undefined && stage.partitions === 1) return p
      const partition = new PhysicalPlan.ScanPartition({ index, count: stage.partitions }, unchecked)
      return p._tag === "NodeScanExec"
        ? new PhysicalPlan.NodeScanExec({ ...p, partition }, unchecked)
        : new PhysicalPlan.HyperedgeScanExec({ ...p, partition }, unchecked)
    }
    return withChildren(p, PhysicalPlan.children(p).map(visit))
  }
  return visit(stage.plan)
}
