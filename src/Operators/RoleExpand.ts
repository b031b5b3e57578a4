/**
 * RoleExpandExec: role expand over the role bindings of the snapshot's graph index
 * (SEMANTICS §1, §5 Role expand).
 *
 * - From a hyperedge anchor (`anchorKind: "hyperedge"`): one row per binding of the
 *   anchor hyperedge under `toRole`.
 * - From a node anchor: for each incidence of the anchor under `fromRole` in a hyperedge
 *   of `edgeLabel` (the incidence index), one row per binding of that hyperedge under
 *   `toRole`, except the anchor's own binding (by binding position) when the roles are
 *   equal. A node bound twice under `fromRole` in one hyperedge thus pairs each of its
 *   bindings with every other `toRole` binding.
 *
 * Only bindings whose target is of `targetKind` (and carries `toLabel`, if given) match.
 * The output is the input's columns gathered by row, the target's columns taken by
 * ordinal, then (when `edgeQualifier` is set) the hyperedge's columns. With `optional`,
 * an input row without a match is kept once with NULL new columns. Matches are buffered in
 * Int32Arrays and emitted in batches of at most `batchSize` rows.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import type * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { RoleExpandExec } from "../Engine/PhysicalPlan.js"
import { anchorOrdinals, assemble, type Assembly, capacityOf, expandStream, Matches } from "./internal/expand.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: RoleExpandExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const anchorAt = node.input.output.indexOf(node.anchorColumn)
  return expandStream(input, (index, context) => {
    if (anchorAt < 0) throw new Error(`RoleExpandExec: no anchor column ${node.anchorColumn} in its input`)
    const bindings = index.bindings(node.edgeLabel)
    const toRole = bindings.roles.indexOf(node.toRole)
    const wantHyperedge = node.targetKind === "hyperedge" ? 1 : 0
    const mask = node.toLabel === undefined
      ? undefined
      : node.targetKind === "node"
      ? index.nodeLabelMask(node.toLabel)
      : index.hyperedgeLabelMask(node.toLabel)
    const capacity = capacityOf(context)
    const assembly: Assembly = {
      output: node.output,
      index,
      targetKind: node.targetKind,
      targetColumns: node.targetColumns,
      edgeColumns: node.edgeQualifier === undefined ? [] : node.edgeColumns,
      predicate: node.predicate
    }
    const { offsets, role, target, targetIsHyperedge } = bindings
    const optional = node.optional

    /** Whether binding position `p` is a `toRole` binding to a wanted target, other than binding `own`. */
    const matching = (own: number, p: number): boolean =>
      p !== own && role[p] === toRole && targetIsHyperedge[p] === wantHyperedge &&
      (mask === undefined || mask[target[p]!] !== 0)

    if (node.anchorKind === "hyperedge") {
      return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
        const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.hyperedgeOrdinals)
        const matches = new Matches(capacity)
        for (let r = 0; r < batch.numRows; r++) {
          const h = anchors[r]!
          let matched = false
          if (h >= 0 && toRole >= 0) {
            for (let p = offsets[h]!, stop = offsets[h + 1]!; p < stop; p++) {
              if (!matching(-1, p)) continue
              matched = true
              if (matches.push(r, target[p]!, h)) yield assemble(assembly, batch, matches)
            }
          }
          if (!matched && optional && matches.push(r, -1, -1)) yield assemble(assembly, batch, matches)
        }
        if (matches.count > 0) yield assemble(assembly, batch, matches)
      }
    }

    const incidence = index.incidence(node.edgeLabel, "node")
    const fromRole = node.fromRole === undefined ? -1 : incidence.roles.indexOf(node.fromRole)
    const sameRole = node.fromRole === node.toRole
    return function*(batch: Arrow.RecordBatch): Generator<Arrow.RecordBatch> {
      const anchors = anchorOrdinals(Batch.column(batch, anchorAt), index.nodeOrdinals)
      const matches = new Matches(capacity)
      for (let r = 0; r < batch.numRows; r++) {
        const v = anchors[r]!
        let matched = false
        if (v >= 0 && fromRole >= 0 && toRole >= 0) {
          for (let q = incidence.offsets[v]!, qEnd = incidence.offsets[v + 1]!; q < qEnd; q++) {
            if (incidence.role[q] !== fromRole) continue
            const h = incidence.hyperedges[q]!
            const own = sameRole ? incidence.binding[q]! : -1
            for (let p = offsets[h]!, stop = offsets[h + 1]!; p < stop; p++) {
              if (!matching(own, p)) continue
              matched = true
              if (matches.push(r, target[p]!, h)) yield assemble(assembly, batch, matches)
            }
          }
        }
        if (!matched && optional && matches.push(r, -1, -1)) yield assemble(assembly, batch, matches)
      }
      if (matches.count > 0) yield assemble(assembly, batch, matches)
    }
  })
}
