/**
 * The embedded storage backend: every snapshot in memory, column-wise.
 *
 * - Entities are stored in chunks: the nodes of one commit that share a label set (the
 *   hyperedges of one commit that share a label), each property one Arrow column. Storage
 *   order = chunk order (commit order, then first appearance of the label set in the
 *   input), input order within a chunk. Arrow input is kept zero-copy where possible.
 * - Every commit makes a new immutable snapshot that shares unchanged chunks with the one
 *   before; older snapshots stay readable. Snapshot 1 is the initial graph.
 * - Commits are validated as a whole (nothing changes on failure): ids unique (edges and
 *   hyperedges share one namespace), at least one label per node, arity ≥ 2, every binding
 *   names an existing node / hyperedge, one type per (label, property).
 * - RemoveNodes / RemoveHyperedges refuse (InvalidGraphData) to leave a hyperedge bound to
 *   a removed entity: remove those hyperedges in the same commit. SetProperties merges the
 *   given properties into the entity's (a `null` value sets NULL).
 * - `index(snapshot)` builds the graph index on first use and caches it in the snapshot.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { InvalidGraphData, SnapshotNotFound } from "../Engine/ExecutionError.js"
import {
  type ArrowGraphInput,
  type GraphInput,
  type Mutation,
  type SnapshotId,
  Storage,
  type StorageService
} from "../Engine/Storage.js"
import { apply } from "./internal/commit.js"
import { make as makeIndex } from "./internal/graphIndex.js"
import { scanBindings, scanHyperedges, scanNodes } from "./internal/scan.js"
import type { Snapshot } from "./internal/snapshot.js"

const tryApply = (
  previous: Snapshot | undefined,
  mutations: ReadonlyArray<Mutation>,
  id: SnapshotId
): Effect.Effect<Snapshot, InvalidGraphData> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(apply(previous, mutations, id))
    } catch (error) {
      if (error instanceof InvalidGraphData) return Effect.fail(error)
      return Effect.die(error)
    }
  })

const fromMutations = (mutations: ReadonlyArray<Mutation>): Effect.Effect<StorageService, InvalidGraphData> =>
  Effect.map(tryApply(undefined, mutations, 1), (initial) => {
    const snapshots = new Map<SnapshotId, Snapshot>([[1, initial]])
    let current = initial
    const get = (id: SnapshotId): Effect.Effect<Snapshot, SnapshotNotFound> =>
      Effect.suspend(() => {
        const s = snapshots.get(id)
        return s === undefined ? Effect.fail(new SnapshotNotFound({ snapshot: id })) : Effect.succeed(s)
      })
    const service: StorageService = {
      current: Effect.sync(() => current.id),
      catalog: (id) => Effect.map(get(id), (s) => s.catalog),
      scanNodes: (id, options) => Stream.unwrap(Effect.map(get(id), (s) => scanNodes(s, options))),
      scanHyperedges: (id, options) => Stream.unwrap(Effect.map(get(id), (s) => scanHyperedges(s, options))),
      scanBindings: (id, options) => Stream.unwrap(Effect.map(get(id), (s) => scanBindings(s, options))),
      index: (id) => Effect.map(get(id), (s) => s.index ??= makeIndex(s)),
      commit: (mutations) =>
        Effect.suspend(() =>
          Effect.map(tryApply(current, mutations, current.id + 1), (next) => {
            snapshots.set(next.id, next)
            current = next
            return next.id
          })
        )
    }
    return service
  })

/** A storage holding `input` as snapshot 1 (an empty graph when absent). */
export const make = (input?: GraphInput): Effect.Effect<StorageService, InvalidGraphData> =>
  fromMutations(input === undefined ? [] : [{ _tag: "AddGraph", graph: input }])

/** A storage holding Arrow tables as snapshot 1 (the fast bulk-load path). */
export const makeFromArrow = (input: ArrowGraphInput): Effect.Effect<StorageService, InvalidGraphData> =>
  fromMutations([{ _tag: "AddArrow", input }])

/** The Storage layer of {@link make}. */
export const layer = (input?: GraphInput): Layer.Layer<Storage, InvalidGraphData> => Layer.effect(Storage, make(input))

/** The Storage layer of {@link makeFromArrow}. */
export const layerFromArrow = (input: ArrowGraphInput): Layer.Layer<Storage, InvalidGraphData> =>
  Layer.effect(Storage, makeFromArrow(input))
