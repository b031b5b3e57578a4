/**
 * The distributed planner: turns a local physical plan (from the LocalPhysicalPlanner)
 * into one that runs over `n` partitions, inserting ExchangeExec nodes where rows must
 * move between partitions (SEMANTICS §8). The StageSplitter then cuts the result at its
 * Exchanges into stages.
 *
 * Rules (bottom-up, tracking how each node's output is distributed):
 * - Scans read partition `{ index, count: n }` (each task sets its own index). A scan with a
 *   pushed-down `limit` keeps it per partition and gets `Gather → Limit` above it.
 * - Filter, Project, Rename and Collect run in every partition; Project / Rename carry a
 *   known partitioning through when its key columns pass through unchanged (renamed ok).
 * - HashAggregate (single) → partial (output `Aggregates.partialSchema`) →
 *   Exchange(Shuffle(Hash(group keys, n))) → final; with no keys → partial → Gather → final.
 *   The final node keeps the aggregates and groups by the partial's key columns
 *   (`Column` references to them), since the partial already evaluated the key expressions. When the input is already partitioned on (a subset
 *   of) the group key columns, it stays one single-mode aggregate per partition. Distinct is
 *   an aggregate without aggregates, so it follows the same rule.
 * - Sort → local sort (top-k when it has `fetch`) → Gather → sort again (the merge, with
 *   the same `fetch`).
 * - Limit → per-partition limit of `offset + limit` rows → Gather → the original limit.
 * - Union: inputs that are all partitioned are unioned in each partition; a single-partition
 *   input joins partitioned ones through Exchange(Shuffle(RoundRobin(n))).
 * - Expand (adjacency or role) runs where its anchor's adjacency lives: its input is
 *   partitioned by Adjacency(anchorColumn, n), through an Exchange unless it already is.
 *   (In the InMemoryStorage every worker can read the whole snapshot index, so the expand
 *   could run anywhere; the Exchange makes the co-location explicit and keeps the plan
 *   right for a storage whose adjacency is partitioned.)
 * - A plan whose root is partitioned ends in a Gather.
 *
 * Original nodes keep their ids; new nodes get ids above the plan's largest.
 *
 * @since 0.1.0
 */
import * as Expr from "../Engine/Expr.js"
import { unchecked } from "../Engine/Expr.js"
import { partialSchema } from "../Engine/Kernels/Aggregates.js"
import * as Partitioning from "../Engine/Partitioning.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import type { PhysicalSchema } from "../Engine/PhysicalSchema.js"

/** Options of {@link plan}. */
export interface Options {
  /** Number of partitions (the parallelism of partitioned stages); at least 1. */
  readonly partitions: number
  /**
   * Whether the storage's scan partition `{ index, count }` holds exactly the entities
   * whose `_id` routes to `index` under `Partitioning.nodePartitions` (so a scan's output is
   * already Adjacency-partitioned on its `_id` column). Default false: scan partitions are
   * disjoint and covering, nothing more is assumed.
   */
  readonly scansPartitionedById?: boolean | undefined
}

/** How a node's output rows are spread: all in one partition, or over `n` (by `spec` when known). */
type Distribution =
  | { readonly kind: "single" }
  | { readonly kind: "partitioned"; readonly n: number; readonly spec: Partitioning.PartitioningSpec | undefined }

const SINGLE: Distribution = { kind: "single" }

interface Planned {
  readonly plan: PhysicalPlan.PhysicalPlan
  readonly dist: Distribution
}

const maxId = (p: PhysicalPlan.PhysicalPlan): number =>
  PhysicalPlan.children(p).reduce((m, c) => Math.max(m, maxId(c)), p.id)

/** A spec with its key columns renamed; undefined when a key column does not survive. */
const renameSpec = (
  spec: Partitioning.PartitioningSpec | undefined,
  mapping: ReadonlyMap<string, string>
): Partitioning.PartitioningSpec | undefined => {
  if (spec === undefined) return undefined
  switch (spec._tag) {
    case "Hash": {
      const keys = spec.keys.map((k) => mapping.get(k))
      return keys.every((k): k is string => k !== undefined) ? new Partitioning.Hash({ keys, n: spec.n }, unchecked) : undefined
    }
    case "Adjacency": {
      const anchor = mapping.get(spec.anchor)
      return anchor === undefined ? undefined : new Partitioning.Adjacency({ anchor, n: spec.n }, unchecked)
    }
    case "Range": {
      const column = mapping.get(spec.key.column)
      return column === undefined
        ? undefined
        : new Partitioning.Range({ key: new Partitioning.RangeKey({ ...spec.key, column }, unchecked), boundaries: spec.boundaries }, unchecked)
    }
    case "RoundRobin":
      return undefined
    case "Single":
      return spec
  }
}

const renamed = (dist: Distribution, mapping: ReadonlyMap<string, string>): Distribution =>
  dist.kind === "single" ? dist : { ...dist, spec: renameSpec(dist.spec, mapping) }

/** Output column name of each input column that a projection passes through unchanged. */
const passThrough = (exprs: ReadonlyArray<Expr.Expr>, output: PhysicalSchema): Map<string, string> => {
  const mapping = new Map<string, string>()
  exprs.forEach((e, i) => {
    if (e._tag === "Column" && !mapping.has(e.name)) mapping.set(e.name, output.fields[i]!.name)
  })
  return mapping
}

/**
 * Inserts the Exchanges that run `local` over `options.partitions` partitions. Pure: reads
 * no data. Throws (a defect) on a plan that already holds StageInputExec nodes.
 */
export const plan = (local: PhysicalPlan.PhysicalPlan, options: Options | number): PhysicalPlan.PhysicalPlan => {
  const opts: Options = typeof options === "number" ? { partitions: options } : options
  const n = opts.partitions
  if (!Number.isInteger(n) || n < 1) throw new Error(`DistributedPlanner: partitions must be a positive integer, got ${n}`)
  let next = maxId(local) + 1
  const newId = () => next++

  const exchange = (input: PhysicalPlan.PhysicalPlan, mode: Partitioning.ExchangeMode): PhysicalPlan.ExchangeExec =>
    new PhysicalPlan.ExchangeExec({ id: newId(), output: input.output, input, mode }, unchecked)

  const partitioned = (spec: Partitioning.PartitioningSpec | undefined): Distribution => ({ kind: "partitioned", n, spec })

  /** Makes the input partitioned by Adjacency(anchor, n), exchanging when it is not already. */
  const colocate = (input: Planned, anchor: string): PhysicalPlan.PhysicalPlan => {
    const want = new Partitioning.Adjacency({ anchor, n }, unchecked)
    if (input.dist.kind === "partitioned" && input.dist.spec !== undefined && Partitioning.equivalent(input.dist.spec, want)) {
      return input.plan
    }
    return exchange(input.plan, Partitioning.shuffle(want))
  }

  /** Brings a single-partition input to `n` partitions (round robin); partitioned inputs are unchanged. */
  const spread = (input: Planned): PhysicalPlan.PhysicalPlan =>
    input.dist.kind === "single" ? exchange(input.plan, Partitioning.shuffle(new Partitioning.RoundRobin({ n }, unchecked))) : input.plan

  const go = (p: PhysicalPlan.PhysicalPlan): Planned => {
    switch (p._tag) {
      case "NodeScanExec":
      case "HyperedgeScanExec": {
        const partition = new PhysicalPlan.ScanPartition({ index: 0, count: n }, unchecked)
        const scan = p._tag === "NodeScanExec"
          ? new PhysicalPlan.NodeScanExec({ ...p, partition }, unchecked)
          : new PhysicalPlan.HyperedgeScanExec({ ...p, partition }, unchecked)
        const idColumn = `${p.qualifier}._id`
        const spec = opts.scansPartitionedById === true && p.output.indexOf(idColumn) >= 0
          ? new Partitioning.Adjacency({ anchor: idColumn, n }, unchecked)
          : undefined
        if (p.limit === undefined) return { plan: scan, dist: partitioned(spec) }
        // A pushed-down limit holds per partition; the total needs one more limit after a Gather.
        const limit = new PhysicalPlan.LimitExec({
          id: newId(),
          output: p.output,
          input: exchange(scan, Partitioning.gather),
          offset: 0,
          limit: p.limit
        }, unchecked)
        return { plan: limit, dist: SINGLE }
      }
      case "EmptyExec":
        // No rows: fits any partitioning without an Exchange.
        return { plan: p, dist: partitioned(undefined) }
      case "StageInputExec":
        throw new Error("DistributedPlanner: the plan is already split into stages")
      case "ExchangeExec": {
        const input = go(p.input)
        const mode = p.mode
        const dist: Distribution = mode._tag === "Gather"
          ? SINGLE
          : mode._tag === "Broadcast"
          ? partitioned(undefined)
          : { kind: "partitioned", n: Partitioning.partitionCount(mode.partitioning), spec: mode.partitioning }
        return { plan: new PhysicalPlan.ExchangeExec({ ...p, input: input.plan }, unchecked), dist }
      }
      case "FilterExec": {
        const input = go(p.input)
        return { plan: new PhysicalPlan.FilterExec({ ...p, input: input.plan }, unchecked), dist: input.dist }
      }
      case "CollectExec": {
        const input = go(p.input)
        return { plan: new PhysicalPlan.CollectExec({ ...p, input: input.plan }, unchecked), dist: input.dist }
      }
      case "ProjectExec": {
        const input = go(p.input)
        return {
          plan: new PhysicalPlan.ProjectExec({ ...p, input: input.plan }, unchecked),
          dist: renamed(input.dist, passThrough(p.exprs, p.output))
        }
      }
      case "RenameExec": {
        const input = go(p.input)
        const mapping = new Map(input.plan.output.fields.map((f, i) => [f.name, p.output.fields[i]!.name] as const))
        return { plan: new PhysicalPlan.RenameExec({ ...p, input: input.plan }, unchecked), dist: renamed(input.dist, mapping) }
      }
      case "LimitExec": {
        const input = go(p.input)
        if (input.dist.kind === "single") return { plan: new PhysicalPlan.LimitExec({ ...p, input: input.plan }, unchecked), dist: SINGLE }
        const local = p.limit === undefined
          ? input.plan
          : new PhysicalPlan.LimitExec({ id: newId(), output: p.output, input: input.plan, offset: 0, limit: p.offset + p.limit }, unchecked)
        return { plan: new PhysicalPlan.LimitExec({ ...p, input: exchange(local, Partitioning.gather) }, unchecked), dist: SINGLE }
      }
      case "SortExec": {
        const input = go(p.input)
        if (input.dist.kind === "single") return { plan: new PhysicalPlan.SortExec({ ...p, input: input.plan }, unchecked), dist: SINGLE }
        const local = new PhysicalPlan.SortExec({
          id: newId(),
          output: p.output,
          input: input.plan,
          keys: p.keys,
          ...(p.fetch === undefined ? {} : { fetch: p.fetch })
        }, unchecked)
        return { plan: new PhysicalPlan.SortExec({ ...p, input: exchange(local, Partitioning.gather) }, unchecked), dist: SINGLE }
      }
      case "HashAggregateExec": {
        const input = go(p.input)
        const keep = (): Planned => ({ plan: new PhysicalPlan.HashAggregateExec({ ...p, input: input.plan }, unchecked), dist: input.dist })
        if (input.dist.kind === "single" || p.mode !== "single") return keep()
        // Group key columns that are plain input columns → their output names.
        const keyColumns = new Map<string, string>()
        p.keys.forEach((k, i) => {
          if (k._tag === "Column") keyColumns.set(k.name, p.output.fields[i]!.name)
        })
        const spec = input.dist.spec
        if (p.keys.length > 0 && spec !== undefined && spec._tag !== "RoundRobin" && spec._tag !== "Single") {
          const cols = Partitioning.keyColumns(spec)
          if (cols.length > 0 && cols.every((c) => keyColumns.has(c))) {
            // Every group already lives in one partition.
            return { ...keep(), dist: renamed(input.dist, keyColumns) }
          }
        }
        const partialOutput = partialSchema(p)
        const partial = new PhysicalPlan.HashAggregateExec({ ...p, id: newId(), output: partialOutput, input: input.plan, mode: "partial" }, unchecked)
        // The final aggregate groups by the partial output's key columns (the keys were computed by the partial).
        const partialKeys = partialOutput.fields.slice(0, p.keys.length).map((f) => f.name)
        const finalOf = (input: PhysicalPlan.PhysicalPlan) =>
          new PhysicalPlan.HashAggregateExec({ ...p, input, mode: "final", keys: partialKeys.map((name) => new Expr.Column({ name }, unchecked)) }, unchecked)
        if (p.keys.length === 0) return { plan: finalOf(exchange(partial, Partitioning.gather)), dist: SINGLE }
        const hash = new Partitioning.Hash({ keys: partialKeys, n }, unchecked)
        const final = finalOf(exchange(partial, Partitioning.shuffle(hash)))
        const outKeys = new Map(partialKeys.map((k, i) => [k, p.output.fields[i]!.name] as const))
        return { plan: final, dist: partitioned(renameSpec(hash, outKeys)) }
      }
      case "UnionExec": {
        const inputs = p.inputs.map(go)
        if (inputs.every((i) => i.dist.kind === "single")) {
          return { plan: new PhysicalPlan.UnionExec({ ...p, inputs: inputs.map((i) => i.plan) }, unchecked), dist: SINGLE }
        }
        return { plan: new PhysicalPlan.UnionExec({ ...p, inputs: inputs.map(spread) }, unchecked), dist: partitioned(undefined) }
      }
      case "AdjacencyExpandExec": {
        const input = colocate(go(p.input), p.anchorColumn)
        return {
          plan: new PhysicalPlan.AdjacencyExpandExec({ ...p, input }, unchecked),
          dist: partitioned(new Partitioning.Adjacency({ anchor: p.anchorColumn, n }, unchecked))
        }
      }
      case "RoleExpandExec": {
        const input = colocate(go(p.input), p.anchorColumn)
        return {
          plan: new PhysicalPlan.RoleExpandExec({ ...p, input }, unchecked),
          dist: partitioned(new Partitioning.Adjacency({ anchor: p.anchorColumn, n }, unchecked))
        }
      }
    }
  }

  const root = go(local)
  return root.dist.kind === "single" ? root.plan : exchange(root.plan, Partitioning.gather)
}
