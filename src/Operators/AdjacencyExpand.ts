/**
 * AdjacencyExpandExec: binary expand over the CSR adjacency of the snapshot's graph index
 * (SEMANTICS §5 Expand, §10 Expand columns / Hops).
 *
 * Per input batch: the anchor ids become node ordinals; a depth-first walk over the CSR
 * lists (`out`, `in`, or both — where the `in` list skips self loops, which the `out` list
 * already gave) finds every trail of `minHops..maxHops` edges (no edge twice in one path)
 * whose last node carries `toLabel`. Matches go into Int32Arrays (input row, target
 * ordinal, edge ordinal); every `batchSize` matches become one output batch: the input's
 * columns gathered by row, the target's taken by ordinal, and (single hop) the edge's.
 * With `optional`, an input row without a match is kept once with NULL new columns.
 * The walk keeps only its current path (at most `maxHops` levels), so memory stays bounded
 * whatever the number of paths; the output is produced as the consumer pulls it, and a
 * pull returns after at most about a million adjacency entries (so interruption is prompt).
 * A single hop (the common case) takes a specialised path: a resumable loop over each
 * anchor's CSR runs writing straight into the match buffers (runs without a label mask or
 * self-loop skipping are copied in bulk); it finds the same matches in the same order.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import type * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { AdjacencyExpandExec } from "../Engine/PhysicalPlan.js"
import type { Adjacency, GraphIndex } from "../Engine/Storage.js"
import { anchorOrdinals, assemble, type Assembly, capacityOf, expandStream, Matches } from "./internal/expand.js"

/** Adjacency entries visited between two yields at most (bounds the time of one pull; an empty batch is dropped). */
const STEP_BUDGET = 1 << 20

/** The adjacency lists to walk from a node, in order: `out` or `in`, or for `both` `out` then `in` (where self loops are skipped). */
const listsOf = (index: GraphIndex, node: AdjacencyExpandExec): Array<Adjacency> => {
  switch (node.direction) {
    case "out":
      return [index.adjacency(node.edgeLabel, "out")]
    case "in":
      return [index.adjacency(node.edgeLabel, "in")]
    case "both":
      return [index.adjacency(node.edgeLabel, "out"), index.adjacency(node.edgeLabel, "in")]
  }
}

/** The smallest and largest neighbour of each adjacency seen (`[0, -1]` when it has none). */
const spans = new WeakMap<Adjacency, readonly [number, number]>()

const spanOf = (adjacency: Adjacency): readonly [number, number] => {
  let span = spans.get(adjacency)
  if (span === undefined) {
    const neighbours = adjacency.neighbours
    let min = 0x7fffffff
    let max = -1
    for (let p = 0, n = neighbours.length; p < n; p++) {
      const v = neighbours[p]!
      if (v < min) min = v
      if (v > max) max = v
    }
    span = max < 0 ? [0, -1] : [min, max]
    spans.set(adjacency, span)
  }
  return span
}

/**
 * The label mask a single hop must test, or `null` when every neighbour in the lists
 * carries the label anyway (the mask has no zero over the lists' neighbour span: the usual
 * case of an edge label that always ends at that label), so the test and its random
 * access can be skipped and unmasked runs copied in bulk.
 */
const maskToTest = (lists: ReadonlyArray<Adjacency>, mask: Uint8Array | undefined): Uint8Array | null => {
  if (mask === undefined) return null
  for (const adjacency of lists) {
    const [min, max] = spanOf(adjacency)
    if (max < min) continue
    const zero = mask.indexOf(0, min)
    if (zero >= 0 && zero <= max) return mask
  }
  return null
}

/** Why {@link SingleHop.fill} returned. */
const enum Fill {
  /** Every row of the batch is done. */
  Done,
  /** The match buffer's arrays are full (grow them, or yield at capacity). */
  Full,
  /** The step budget is spent. */
  Budget
}

/** Runs shorter than this are copied entry by entry (a bulk copy costs two subarray views). */
const BULK = 16

/** Positions in the state array of the whole-row loops: next row, matches in the buffer, steps taken. */
const ROW = 0
const COUNT = 1
const STEPS = 2

/**
 * Single hop over one list, whole rows only: from row `state[ROW]`, each row whose run
 * (and an optional NULL match) fits in the buffer and the step budget adds its matches;
 * stops at the first row that does not fit (or the last row), updating `state`. Edge
 * ordinals are read only when `edges` is given; unmasked long runs are copied in bulk, and
 * so are (without mask or optional rows) the runs of consecutive anchors, which are one
 * CSR range (a scan's rows in storage order).
 */
const wholeRowsOne = (
  anchors: Int32Array,
  offsets: Int32Array,
  neighbours: Int32Array,
  edges: Int32Array | null,
  mask: Uint8Array | null,
  optional: boolean,
  rowsOut: Int32Array,
  targetsOut: Int32Array,
  edgesOut: Int32Array,
  budget: number,
  state: Int32Array
): void => {
  const n = anchors.length
  const capacity = rowsOut.length
  let row = state[ROW]!
  let k = state[COUNT]!
  let steps = state[STEPS]!
  for (; row < n; row++) {
    const s = anchors[row]!
    if (s < 0) {
      if (!optional) continue
      if (k === capacity) break
      rowsOut[k] = row
      targetsOut[k] = -1
      edgesOut[k] = -1
      k++
      continue
    }
    if (mask === null && !optional && row + 1 < n && anchors[row + 1] === s + 1) {
      // consecutive anchors s, s + 1, …: their matches are one CSR range, copied at once
      const base = offsets[s]!
      let m = 0
      while (row + m < n && anchors[row + m] === s + m) {
        const total = offsets[s + m + 1]! - base
        if (k + total >= capacity || steps + total > budget) break
        m++
      }
      if (m > 1) {
        const end = offsets[s + m]!
        targetsOut.set(neighbours.subarray(base, end), k)
        if (edges !== null) edgesOut.set(edges.subarray(base, end), k)
        let at = k
        for (let j = 0; j < m; j++) {
          const stop = k + offsets[s + j + 1]! - base
          while (at < stop) rowsOut[at++] = row + j
        }
        k += end - base
        steps += end - base
        row += m - 1
        continue
      }
    }
    const e = offsets[s + 1]!
    let p = offsets[s]!
    const length = e - p
    if (k + length >= capacity || steps + length > budget) break
    const k0 = k
    if (mask === null && length >= BULK) {
      targetsOut.set(neighbours.subarray(p, e), k)
      if (edges !== null) edgesOut.set(edges.subarray(p, e), k)
      rowsOut.fill(row, k, k + length)
      k += length
    } else if (edges !== null) {
      for (; p < e; p++) {
        const next = neighbours[p]!
        if (mask !== null && mask[next] === 0) continue
        rowsOut[k] = row
        targetsOut[k] = next
        edgesOut[k] = edges[p]!
        k++
      }
    } else {
      for (; p < e; p++) {
        const next = neighbours[p]!
        if (mask !== null && mask[next] === 0) continue
        rowsOut[k] = row
        targetsOut[k] = next
        k++
      }
    }
    steps += length
    if (optional && k === k0) {
      rowsOut[k] = row
      targetsOut[k] = -1
      edgesOut[k] = -1
      k++
    }
  }
  state[ROW] = row
  state[COUNT] = k
  state[STEPS] = steps
}

/** {@link wholeRowsOne} for `both`: each row's `out` run, then its `in` run without self loops. */
const wholeRowsBoth = (
  anchors: Int32Array,
  out: Adjacency,
  into: Adjacency,
  needEdges: boolean,
  mask: Uint8Array | null,
  optional: boolean,
  rowsOut: Int32Array,
  targetsOut: Int32Array,
  edgesOut: Int32Array,
  budget: number,
  state: Int32Array
): void => {
  const n = anchors.length
  const capacity = rowsOut.length
  const { edges: outEdges, neighbours: outNeighbours, offsets: outOffsets } = out
  const { edges: inEdges, neighbours: inNeighbours, offsets: inOffsets } = into
  let row = state[ROW]!
  let k = state[COUNT]!
  let steps = state[STEPS]!
  for (; row < n; row++) {
    const s = anchors[row]!
    if (s < 0) {
      if (!optional) continue
      if (k === capacity) break
      rowsOut[k] = row
      targetsOut[k] = -1
      edgesOut[k] = -1
      k++
      continue
    }
    let p = outOffsets[s]!
    const e = outOffsets[s + 1]!
    let q = inOffsets[s]!
    const f = inOffsets[s + 1]!
    const length = e - p + f - q
    if (k + length >= capacity || steps + length > budget) break
    const k0 = k
    for (; p < e; p++) {
      const next = outNeighbours[p]!
      if (mask !== null && mask[next] === 0) continue
      rowsOut[k] = row
      targetsOut[k] = next
      if (needEdges) edgesOut[k] = outEdges[p]!
      k++
    }
    for (; q < f; q++) {
      const next = inNeighbours[q]!
      if (next === s || (mask !== null && mask[next] === 0)) continue
      rowsOut[k] = row
      targetsOut[k] = next
      if (needEdges) edgesOut[k] = inEdges[q]!
      k++
    }
    steps += length
    if (optional && k === k0) {
      rowsOut[k] = row
      targetsOut[k] = -1
      edgesOut[k] = -1
      k++
    }
  }
  state[ROW] = row
  state[COUNT] = k
  state[STEPS] = steps
}

/**
 * The resumable single-hop walk over one input batch: for each row, the anchor's `out`
 * (or `in`) run, then for `both` its `in` run without self loops; optional rows without a
 * match get one `(row, -1, -1)` match. Whole rows that fit go through the check-free
 * loops above; a row that does not fit is walked entry by entry, stopping when the buffer
 * is full or the budget spent. State between calls: the row, which run (`-1` not started,
 * `0`/`1` walking list 0/1, `2` runs done), the cursor and end in that run. Without
 * `needEdges` the matches' edge ordinals are left unset where possible (nothing reads them).
 */
class SingleHop {
  private row = 0
  private run = -1
  private cursor = 0
  private end = 0
  private matched = false
  private readonly state = new Int32Array(3)
  /** Adjacency entries visited since the last yield (the caller resets it). */
  steps = 0
  constructor(
    private readonly anchors: Int32Array,
    private readonly first: Adjacency,
    private readonly second: Adjacency | undefined,
    private readonly mask: Uint8Array | null,
    private readonly optional: boolean,
    private readonly needEdges: boolean
  ) {}

  /** Adds matches to `m` until the rows are done, `m` is full, or `budget` steps were taken. */
  fill(m: Matches, budget: number): Fill {
    const { anchors, first, mask, needEdges, optional, second, state } = this
    const rowsOut = m.rows
    const targetsOut = m.targets
    const edgesOut = m.edges
    const capacity = rowsOut.length
    const n = anchors.length
    let k = m.count
    let { cursor, end, matched, row, run, steps } = this
    let status = Fill.Done
    outer: while (row < n) {
      if (run < 0) {
        state[ROW] = row
        state[COUNT] = k
        state[STEPS] = steps
        if (second === undefined) {
          wholeRowsOne(anchors, first.offsets, first.neighbours, needEdges ? first.edges : null, mask, optional, rowsOut, targetsOut, edgesOut, budget, state)
        } else {
          wholeRowsBoth(anchors, first, second, needEdges, mask, optional, rowsOut, targetsOut, edgesOut, budget, state)
        }
        row = state[ROW]!
        k = state[COUNT]!
        steps = state[STEPS]!
        if (row >= n) break
      }
      // one row entry by entry, stopping when the buffer is full or the budget spent, and resuming there
      const s = anchors[row]!
      if (run < 0) {
        if (s < 0) {
          run = 2
        } else {
          run = 0
          cursor = first.offsets[s]!
          end = first.offsets[s + 1]!
        }
        matched = false
      }
      while (run < 2) {
        const adjacency = run === 0 ? first : second!
        const skipSelf = run === 1
        const neighbours = adjacency.neighbours
        const edges = adjacency.edges
        while (cursor < end) {
          if (k === capacity) {
            status = Fill.Full
            break outer
          }
          if (steps >= budget) {
            status = Fill.Budget
            break outer
          }
          let take = end - cursor
          if (take > capacity - k) take = capacity - k
          if (take > budget - steps) take = budget - steps
          const stop = cursor + take
          if (mask === null && !skipSelf && take >= BULK) {
            targetsOut.set(neighbours.subarray(cursor, stop), k)
            edgesOut.set(edges.subarray(cursor, stop), k)
            rowsOut.fill(row, k, k + take)
            k += take
            matched = true
          } else {
            for (let p = cursor; p < stop; p++) {
              const next = neighbours[p]!
              if (skipSelf && next === s) continue
              if (mask !== null && mask[next] === 0) continue
              rowsOut[k] = row
              targetsOut[k] = next
              edgesOut[k] = edges[p]!
              k++
              matched = true
            }
          }
          steps += take
          cursor = stop
        }
        if (run === 0 && second !== undefined) {
          run = 1
          cursor = second.offsets[s]!
          end = second.offsets[s + 1]!
        } else {
          run = 2
        }
      }
      if (!matched && optional) {
        if (k === capacity) {
          status = Fill.Full
          break
        }
        rowsOut[k] = row
        targetsOut[k] = -1
        edgesOut[k] = -1
        k++
        matched = true
      }
      row++
      run = -1
    }
    m.count = k
    this.row = row
    this.run = run
    this.cursor = cursor
    this.end = end
    this.matched = matched
    this.steps = steps
    return status
  }
}

/** Positions in the state array of {@link walkPaths}: row, depth, whether the row matched, steps, matches in the buffer. */
const P_ROW = 0
const P_DEPTH = 1
const P_MATCHED = 2
const P_STEPS = 3
const P_COUNT = 4

/**
 * The resumable depth-first walk over one input batch, for any hop range: for each row,
 * every trail of `minHops..maxHops` edges from its anchor whose last node passes `mask`,
 * over list 0, then (`listCount` 2, for `both`) list 1 skipping self loops; optional rows
 * without a match get one `(row, -1, -1)` match. Adds matches to the output arrays until
 * the rows are done, the arrays are full, or `budget` steps were taken.
 *
 * The current path is level `d` at node `at[d]`, walking list `list[d]` from `cursor[d]`
 * to `end[d]`, with `edge[d]` the edge taken from level d to level d + 1; depth `-2` is a
 * row not started, `-1` a row whose walk is done. Everything is passed as typed arrays and
 * numbers (no objects), so the compiled loop stays valid from one query to the next.
 */
const walkPaths = (
  anchors: Int32Array,
  offsets0: Int32Array,
  neighbours0: Int32Array,
  edges0: Int32Array,
  offsets1: Int32Array,
  neighbours1: Int32Array,
  edges1: Int32Array,
  listCount: number,
  mask: Uint8Array | null,
  minHops: number,
  maxHops: number,
  optional: boolean,
  at: Int32Array,
  list: Int32Array,
  cursor: Int32Array,
  end: Int32Array,
  edge: Int32Array,
  rowsOut: Int32Array,
  targetsOut: Int32Array,
  edgesOut: Int32Array,
  budget: number,
  state: Int32Array
): Fill => {
  const capacity = rowsOut.length
  const n = anchors.length
  let row = state[P_ROW]!
  let d = state[P_DEPTH]!
  let matched = state[P_MATCHED] === 1
  let steps = state[P_STEPS]!
  let k = state[P_COUNT]!
  let status = Fill.Done
  outer: while (row < n) {
    if (d === -2) {
      const start = anchors[row]!
      matched = false
      if (start >= 0) {
        d = 0
        at[0] = start
        list[0] = 0
        cursor[0] = offsets0[start]!
        end[0] = offsets0[start + 1]!
      } else {
        d = -1
      }
    }
    while (d >= 0) {
      if (cursor[d]! >= end[d]!) {
        if (list[d] === 0 && listCount === 2) {
          list[d] = 1
          cursor[d] = offsets1[at[d]!]!
          end[d] = offsets1[at[d]! + 1]!
        } else {
          d--
        }
        continue
      }
      if (steps >= budget) {
        status = Fill.Budget
        break outer
      }
      const second = list[d] === 1
      const p = cursor[d]!
      const next = second ? neighbours1[p]! : neighbours0[p]!
      const self = second && next === at[d]
      const length = d + 1
      const emit = !self && length >= minHops && (mask === null || mask[next] !== 0)
      if (emit && k === capacity) {
        // the entry would add a match to a full buffer: resume at it
        status = Fill.Full
        break outer
      }
      cursor[d] = p + 1
      steps++
      if (self) continue
      const e = second ? edges1[p]! : edges0[p]!
      let used = false
      for (let j = 0; j < d; j++) {
        if (edge[j] === e) {
          used = true
          break
        }
      }
      if (used) continue
      edge[d] = e
      if (emit) {
        rowsOut[k] = row
        targetsOut[k] = next
        edgesOut[k] = e
        k++
        matched = true
      }
      if (length < maxHops) {
        d = length
        at[d] = next
        list[d] = 0
        cursor[d] = offsets0[next]!
        end[d] = offsets0[next + 1]!
      }
    }
    if (!matched && optional) {
      if (k === capacity) {
        status = Fill.Full
        break
      }
      rowsOut[k] = row
      targetsOut[k] = -1
      edgesOut[k] = -1
      k++
      matched = true
    }
    row++
    d = -2
  }
  state[P_ROW] = row
  state[P_DEPTH] = d
  state[P_MATCHED] = matched ? 1 : 0
  state[P_STEPS] = steps
  state[P_COUNT] = k
  return status
}

/** A {@link walkPaths} over one input batch with its state. */
class PathWalk {
  private readonly state = Int32Array.of(0, -2, 0, 0, 0)
  private readonly at: Int32Array
  private readonly list: Int32Array
  private readonly cursor: Int32Array
  private readonly end: Int32Array
  private readonly edge: Int32Array
  constructor(
    private readonly anchors: Int32Array,
    private readonly lists: ReadonlyArray<Adjacency>,
    private readonly mask: Uint8Array | null,
    private readonly minHops: number,
    private readonly maxHops: number,
    private readonly optional: boolean
  ) {
    this.at = new Int32Array(maxHops)
    this.list = new Int32Array(maxHops)
    this.cursor = new Int32Array(maxHops)
    this.end = new Int32Array(maxHops)
    this.edge = new Int32Array(maxHops)
  }

  /** Restarts the step budget (after a yield). */
  resetSteps(): void {
    this.state[P_STEPS] = 0
  }

  /** Adds matches to `m` until the rows are done, `m` is full, or `budget` steps were taken. */
  fill(m: Matches, budget: number): Fill {
    const first = this.lists[0]!
    const second = this.lists[1] ?? first
    this.state[P_COUNT] = m.count
    const status = walkPaths(
      this.anchors,
      first.offsets,
      first.neighbours,
      first.edges,
      second.offsets,
      second.neighbours,
      second.edges,
      this.lists.length,
      this.mask,
      this.minHops,
      this.maxHops,
      this.optional,
      this.at,
      this.list,
      this.cursor,
      this.end,
      this.edge,
      m.rows,
      m.targets,
      m.edges,
      budget,
      this.state
    )
    m.count = this.state[P_COUNT]!
    return status
  }
}

/** Runs the operator over its input stream. */
export const execute = (
  node: AdjacencyExpandExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => run(node, input, node.maxHops === 1)

/**
 * The operator with the general depth-first walk whatever the hop range (no single-hop
 * path): the reference the specialised paths are tested against.
 *
 * @internal
 */
export const executeGeneric = (
  node: AdjacencyExpandExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => run(node, input, false)

const run = (
  node: AdjacencyExpandExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>,
  singleHop: boolean
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const anchorAt = node.input.output.indexOf(node.anchorColumn)
  return expandStream(input, (index, context) => {
    if (anchorAt < 0) throw new Error(`AdjacencyExpandExec: no anchor column ${node.anchorColumn} in its input`)
    const lists = listsOf(index, node)
    const mask = node.toLabel === undefined ? undefined : index.nodeLabelMask(node.toLabel)
    const capacity = capacityOf(context)
    const assembly: Assembly = {
      output: node.output,
      index,
      targetKind: "node",
      targetColumns: node.targetColumns,
      edgeColumns: node.edgeQualifier === undefined ? [] : node.edgeColumns,
      predicate: node.predicate
    }
    const { maxHops, minHops, optional } = node
    if (singleHop) {
      // edge ordinals are read only for the edge's columns
      const needEdges = assembly.edgeColumns.length > 0
      const singleMask = maskToTest(lists, mask)
      // the size the match arrays grew to for the previous batch (they start there for the next)
      let size: number | undefined
      return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
        const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.nodeOrdinals)
        const walk = new SingleHop(anchors, lists[0]!, lists[1], singleMask, optional, needEdges)
        const matches = new Matches(capacity, size)
        for (;;) {
          const status = walk.fill(matches, STEP_BUDGET)
          if (status === Fill.Done) break
          if (status === Fill.Full && matches.grow()) continue
          // a full buffer, or a long walk with few matches: hand back what there is (the consumer can interrupt)
          walk.steps = 0
          size = matches.rows.length
          yield assemble(assembly, batch, matches)
        }
        size = matches.rows.length
        if (matches.count > 0) yield assemble(assembly, batch, matches)
      }
    }
    let size: number | undefined
    return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
      const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.nodeOrdinals)
      const walk = new PathWalk(anchors, lists, mask ?? null, minHops, maxHops, optional)
      const matches = new Matches(capacity, size)
      for (;;) {
        const status = walk.fill(matches, STEP_BUDGET)
        if (status === Fill.Done) break
        if (status === Fill.Full && matches.grow()) continue
        walk.resetSteps()
        size = matches.rows.length
        yield assemble(assembly, batch, matches)
      }
      size = matches.rows.length
      if (matches.count > 0) yield assemble(assembly, batch, matches)
    }
  })
}
