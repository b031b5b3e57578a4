/**
 * The coordinator-side object store shared by the in-process and process clusters:
 * immutable byte arrays under generated refs. (Both clusters keep every object in the
 * coordinator and ship input bytes with each task; a Ray cluster keeps them in Ray.)
 */
import * as Effect from "effect/Effect"
import { type ObjectRef, TaskFailure } from "../Protocol.js"

/** A store of Arrow IPC objects. */
export interface ObjectStore {
  readonly put: (bytes: Uint8Array) => Effect.Effect<ObjectRef>
  readonly get: (ref: ObjectRef) => Effect.Effect<Uint8Array, TaskFailure>
  readonly release: (refs: Iterable<ObjectRef>) => Effect.Effect<void>
  readonly held: Effect.Effect<ReadonlyArray<ObjectRef>>
  /** Stores synchronously (for callbacks that already run in the coordinator). */
  readonly putSync: (bytes: Uint8Array) => ObjectRef
}

/** An empty store whose refs start with `prefix`. */
export const make = (prefix: string): ObjectStore => {
  const objects = new Map<string, Uint8Array>()
  let next = 0
  const putSync = (bytes: Uint8Array): ObjectRef => {
    const ref = `${prefix}-${next++}` as ObjectRef
    objects.set(ref, bytes)
    return ref
  }
  return {
    putSync,
    put: (bytes) => Effect.sync(() => putSync(bytes)),
    get: (ref) =>
      Effect.suspend(() => {
        const bytes = objects.get(ref)
        return bytes === undefined
          ? Effect.fail(new TaskFailure({ kind: "INPUT_LOST", worker: "coordinator", detail: `object ${ref} is not held` }))
          : Effect.succeed(bytes)
      }),
    release: (refs) =>
      Effect.sync(() => {
        for (const ref of refs) objects.delete(ref)
      }),
    held: Effect.sync(() => [...objects.keys()] as Array<ObjectRef>)
  }
}
