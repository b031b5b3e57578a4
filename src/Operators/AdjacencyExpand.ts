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

/** The adjacency lists to walk from a node, in order; `skipSelf[l]`: list `l` skips self loops. */
const listsOf = (index: GraphIndex, node: AdjacencyExpandExec): { lists: Array<Adjacency>; skipSelf: Array<boolean> } => {
  switch (node.direction) {
    case "out":
      return { lists: [index.adjacency(node.edgeLabel, "out")], skipSelf: [false] }
    case "in":
      return { lists: [index.adjacency(node.edgeLabel, "in")], skipSelf: [false] }
    case "both":
      return {
        lists: [index.adjacency(node.edgeLabel, "out"), index.adjacency(node.edgeLabel, "in")],
        skipSelf: [false, true]
      }
  }
}

/** Why {@link SingleHop.fill} returned. */
const enum Fill {
  /** Every row of the batch is done. */
  Done,
  /** The match buffer is full. */
  Full,
  /** The step budget is spent. */
  Budget
}

/** Runs shorter than this are copied entry by entry (a bulk copy costs two subarray views). */
const BULK = 16

/**
 * The resumable single-hop walk over one input batch: for each row, the anchor's `out`
 * (or `in`) run, then for `both` its `in` run without self loops; optional rows without a
 * match get one `(row, -1, -1)` match. State between calls: the row, which run (`-1` not
 * started, `0`/`1` walking list 0/1, `2` runs done), the cursor and end in that run.
 */
class SingleHop {
  private row = 0
  private run = -1
  private cursor = 0
  private end = 0
  private matched = false
  /** Adjacency entries visited since the last yield (the caller resets it). */
  steps = 0
  constructor(
    private readonly anchors: Int32Array,
    private readonly first: Adjacency,
    private readonly second: Adjacency | undefined,
    private readonly mask: Uint8Array | undefined,
    private readonly optional: boolean
  ) {}

  /** Adds matches to `m` until the rows are done, `m` is full, or `budget` steps were taken. */
  fill(m: Matches, budget: number): Fill {
    m.reserve()
    const { anchors, first, mask, optional, second } = this
    const rowsOut = m.rows
    const targetsOut = m.targets
    const edgesOut = m.edges
    const capacity = m.capacity
    const n = anchors.length
    let k = m.count
    let { cursor, end, matched, row, run, steps } = this
    let status = Fill.Done
    const firstOffsets = first.offsets
    const firstNeighbours = first.neighbours
    const firstEdges = first.edges
    const secondOffsets = second === undefined ? firstOffsets : second.offsets
    const secondNeighbours = second === undefined ? firstNeighbours : second.neighbours
    const secondEdges = second === undefined ? firstEdges : second.edges
    const both = second !== undefined
    outer: while (row < n) {
      if (run < 0) {
        // whole rows whose runs (and an optional NULL match) fit in the buffer and the budget, without bounds checks
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
          let p = firstOffsets[s]!
          const e = firstOffsets[s + 1]!
          let p2 = 0
          let e2 = 0
          let length = e - p
          if (both) {
            p2 = secondOffsets[s]!
            e2 = secondOffsets[s + 1]!
            length += e2 - p2
          }
          if (k + length >= capacity || steps + length > budget) break
          const k0 = k
          if (mask === undefined && length >= BULK && !both) {
            targetsOut.set(firstNeighbours.subarray(p, e), k)
            edgesOut.set(firstEdges.subarray(p, e), k)
            rowsOut.fill(row, k, k + length)
            k += length
          } else {
            for (; p < e; p++) {
              const next = firstNeighbours[p]!
              if (mask !== undefined && mask[next] === 0) continue
              rowsOut[k] = row
              targetsOut[k] = next
              edgesOut[k] = firstEdges[p]!
              k++
            }
            for (; p2 < e2; p2++) {
              const next = secondNeighbours[p2]!
              if (next === s || (mask !== undefined && mask[next] === 0)) continue
              rowsOut[k] = row
              targetsOut[k] = next
              edgesOut[k] = secondEdges[p2]!
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
          if (mask === undefined && !skipSelf && take >= BULK) {
            targetsOut.set(neighbours.subarray(cursor, stop), k)
            edgesOut.set(edges.subarray(cursor, stop), k)
            rowsOut.fill(row, k, k + take)
            k += take
            matched = true
          } else {
            for (let p = cursor; p < stop; p++) {
              const next = neighbours[p]!
              if (skipSelf && next === s) continue
              if (mask !== undefined && mask[next] === 0) continue
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
    const { lists, skipSelf } = listsOf(index, node)
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
      return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
        const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.nodeOrdinals)
        const walk = new SingleHop(anchors, lists[0]!, lists[1], mask, optional)
        const matches = new Matches(capacity)
        for (;;) {
          const status = walk.fill(matches, STEP_BUDGET)
          if (status === Fill.Done) break
          // a full buffer, or a long walk with few matches: hand back what there is (the consumer can interrupt)
          walk.steps = 0
          yield assemble(assembly, batch, matches)
        }
        if (matches.count > 0) yield assemble(assembly, batch, matches)
      }
    }
    const listCount = lists.length
    return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
      // The current path: level d is at node `at[d]`, walking list `list[d]` from `cursor[d]` to `end[d]`;
      // `edge[d]` is the edge taken from level d to level d + 1.
      const at = new Int32Array(maxHops)
      const list = new Int32Array(maxHops)
      const cursor = new Int32Array(maxHops)
      const end = new Int32Array(maxHops)
      const edge = new Int32Array(maxHops)
      const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.nodeOrdinals)
      const matches = new Matches(capacity)
      const rows = batch.numRows
      let steps = 0
      for (let r = 0; r < rows; r++) {
        const start = anchors[r]!
        let matched = false
        if (start >= 0) {
          let d = 0
          at[0] = start
          list[0] = 0
          cursor[0] = lists[0]!.offsets[start]!
          end[0] = lists[0]!.offsets[start + 1]!
          while (d >= 0) {
            if (cursor[d]! >= end[d]!) {
              const l = list[d]! + 1
              if (l < listCount) {
                const adjacency = lists[l]!
                list[d] = l
                cursor[d] = adjacency.offsets[at[d]!]!
                end[d] = adjacency.offsets[at[d]! + 1]!
              } else {
                d--
              }
              continue
            }
            if (++steps === STEP_BUDGET) {
              // a long walk with few matches: hand back what there is so the consumer can interrupt
              steps = 0
              yield assemble(assembly, batch, matches)
            }
            const l = list[d]!
            const adjacency = lists[l]!
            const p = cursor[d]!
            cursor[d] = p + 1
            const next = adjacency.neighbours[p]!
            if (skipSelf[l] && next === at[d]) continue
            const e = adjacency.edges[p]!
            let used = false
            for (let k = 0; k < d; k++) {
              if (edge[k] === e) {
                used = true
                break
              }
            }
            if (used) continue
            edge[d] = e
            const length = d + 1
            if (length >= minHops && (mask === undefined || mask[next] !== 0)) {
              matched = true
              if (matches.push(r, next, e)) yield assemble(assembly, batch, matches)
            }
            if (length < maxHops) {
              d = length
              at[d] = next
              list[d] = 0
              cursor[d] = lists[0]!.offsets[next]!
              end[d] = lists[0]!.offsets[next + 1]!
            }
          }
        }
        if (!matched && optional) {
          if (matches.push(r, -1, -1)) yield assemble(assembly, batch, matches)
        }
      }
      if (matches.count > 0) yield assemble(assembly, batch, matches)
    }
  })
}
