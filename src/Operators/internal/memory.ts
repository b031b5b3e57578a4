/**
 * Memory reservations of blocking operators, recording the operator's peak in its metrics.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { ExecutionContext } from "../../Engine/ExecutionContext.js"
import type { Reservation } from "../../Engine/MemoryPool.js"
import type { PhysicalPlan } from "../../Engine/PhysicalPlan.js"

/**
 * Opens a reservation for `node` in the query's pool (named by the node's tag, as
 * `MemoryExceeded.operator` reports it). It is freed when the scope closes (stream end,
 * failure or interruption); every size it reaches updates `peakMemory` of the node's metrics.
 */
export const reserve = (node: PhysicalPlan): Effect.Effect<Reservation, never, Scope.Scope | ExecutionContext> =>
  Effect.gen(function*() {
    const context = yield* ExecutionContext
    const reservation = yield* context.memory.reserve(node._tag)
    const metrics = context.metrics.operator(node.id, node._tag)
    const track = Effect.sync(() => {
      const size = reservation.size()
      if (size > metrics.peakMemory) metrics.peakMemory = size
    })
    return {
      size: reservation.size,
      resize: (bytes) => Effect.zipRight(reservation.resize(bytes), track),
      grow: (bytes) => Effect.zipRight(reservation.grow(bytes), track),
      free: reservation.free
    }
  })
