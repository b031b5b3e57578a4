/**
 * A per-query memory pool. Blocking operators reserve what they buffer; a reservation
 * belongs to a `Scope` and returns its bytes when the scope closes (query end,
 * failure or interruption), so the pool is back at zero after every query.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { MemoryExceeded } from "./ExecutionError.js"

/** Bytes held by one operator; grows and shrinks, freed when its scope closes. */
export interface Reservation {
  /** Bytes currently held. */
  readonly size: () => number
  /** Sets the held size to `bytes`, failing with MemoryExceeded when the pool would pass its limit. */
  readonly resize: (bytes: number) => Effect.Effect<void, MemoryExceeded>
  /** Adds `bytes` to the held size. */
  readonly grow: (bytes: number) => Effect.Effect<void, MemoryExceeded>
  /** Returns every held byte to the pool (also done by the scope). */
  readonly free: Effect.Effect<void>
}

/** A memory pool with a limit. */
export interface MemoryPool {
  readonly limit: number
  /** Bytes reserved now. */
  readonly reserved: () => number
  /** The most bytes ever reserved at once. */
  readonly peak: () => number
  /** Opens an empty reservation for `operator`, freed when the scope closes. */
  readonly reserve: (operator: string) => Effect.Effect<Reservation, never, Scope.Scope>
}

/** A pool of `limit` bytes. */
export const make = (limit: number): MemoryPool => {
  let reserved = 0
  let peak = 0
  const reservation = (operator: string): Reservation => {
    let held = 0
    const resize = (bytes: number) =>
      Effect.suspend(() => {
        const next = reserved - held + bytes
        if (bytes > held && next > limit) {
          return Effect.fail(new MemoryExceeded({ operator, requested: bytes - held, reserved, limit }))
        }
        reserved = next
        held = bytes
        if (reserved > peak) peak = reserved
        return Effect.void
      })
    return {
      size: () => held,
      resize,
      grow: (bytes) => Effect.suspend(() => resize(held + bytes)),
      free: Effect.sync(() => {
        reserved -= held
        held = 0
      })
    }
  }
  return {
    limit,
    reserved: () => reserved,
    peak: () => peak,
    reserve: (operator) => Effect.acquireRelease(Effect.sync(() => reservation(operator)), (r) => r.free)
  }
}
