/**
 * HashAggregateExec (SEMANTICS §5 Aggregate): streams its input batch by batch, maps each
 * row's group keys to a dense group id (`Hash.hashColumns` + grouping equality: NULL keys
 * form one group, NaN groups with NaN, -0.0 with 0.0) and feeds typed per-group
 * accumulators (`Kernels/Aggregates`). It reserves the memory of its hash table and
 * accumulators as they grow, failing with `MemoryExceeded` over the limit.
 *
 * Modes:
 * - `single`: evaluates keys and arguments, emits keys then results;
 * - `partial`: evaluates keys and arguments, emits keys then every aggregate's state
 *   columns (`Aggregates.partialSchema`);
 * - `final`: its input has the partial schema: the first `keys.length` columns are the
 *   group keys, then the state columns in order; it merges states and emits keys then
 *   results. Its `keys` expressions are not evaluated.
 *
 * With no keys there is exactly one group, even on empty input (count 0, collect [],
 * others NULL); with keys, empty input gives no rows. Output batches have at most
 * `config.batchSize` rows. Aggregates over equal argument expressions share one
 * evaluation (and one cast) per batch.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import * as DataType from "../Engine/DataType.js"
import * as Evaluator from "../Engine/Evaluator.js"
import { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import * as Aggregates from "../Engine/Kernels/Aggregates.js"
import type { HashAggregateExec } from "../Engine/PhysicalPlan.js"
import { reserve } from "./internal/memory.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** A column in the canonical storage of `type` (identity when it already is). */
const canonical = (data: Arrow.Data, type: DataType.DataType, arrow: Arrow.DataType): Arrow.Data =>
  Arrow.util.compareTypes(data.type, arrow) ? data : Batch.castData(data, type)

const isInt64 = (type: Arrow.DataType): boolean =>
  type.typeId === Arrow.Type.Int && (type as Arrow.Int).bitWidth === 64 && (type as Arrow.Int).isSigned

/** Runs the operator over its input stream. */
export const execute = (
  node: HashAggregateExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const context = yield* ExecutionContext
      const batchSize = Math.max(1, context.config.batchSize)
      const final = node.mode === "final"
      const keyCount = node.keys.length
      const inputPhysical = node.input.output
      const inputSchema = arrowSchema(inputPhysical)
      const outputSchema = arrowSchema(node.output)
      const keyTypes = node.output.fields.slice(0, keyCount).map((f) => f.dataType)
      const keyArrow = keyTypes.map(DataType.toArrow)

      // per aggregate: the accumulator, the type of its values, and (final) where its state columns start
      const specs = node.aggregates
      const stateStart: Array<number> = []
      const argTypes = specs.map((spec) => {
        if (spec.fn !== "countDistinct") return undefined
        if (!final) return Aggregates.argTypeIn(spec, inputPhysical)
        return undefined
      })
      if (final) {
        let at = keyCount
        specs.forEach((spec, a) => {
          stateStart.push(at)
          if (spec.fn === "countDistinct") {
            const state = inputPhysical.fields[at]?.dataType
            argTypes[a] = state !== undefined && state._tag === "List" ? state.element : DataType.Null
          }
          at += Aggregates.stateFields(spec, argTypes[a] ?? DataType.Null).length
        })
        if (inputPhysical.fields.length !== at) {
          return yield* Effect.die(
            new Error(`${node._tag} ${node.id}: final input has ${inputPhysical.fields.length} columns, expected ${at} (keys then states)`)
          )
        }
      }
      const valueTypes = specs.map((spec, a) => Aggregates.valueType(spec, argTypes[a]))
      const valueArrow = valueTypes.map((t) => (t === undefined ? undefined : DataType.toArrow(t)))
      const accumulators = specs.map((spec, a) => Aggregates.make(spec, argTypes[a]))
      // aggregates over the same argument expression share one evaluation per batch
      const argSlots = specs.map((spec, a) => {
        const arg = spec.arg
        if (arg === undefined) return -1
        for (let b = 0; b < a; b++) {
          const other = specs[b]!.arg
          if (other !== undefined && Equal.equals(other, arg)) return b
        }
        return a
      })
      const stateWidths = specs.map((spec, a) => Aggregates.stateFields(spec, argTypes[a] ?? DataType.Null).length)
      const table = new Aggregates.GroupTable(keyArrow)
      if (keyCount === 0) table.findOrInsert([], new Uint32Array(0), 0)

      const reservation = yield* reserve(node)
      const held = () => table.byteSize() + accumulators.reduce((n, acc) => n + acc.byteSize(), 0)
      yield* reservation.resize(held())

      // without keys every row is in group 0: one zero-filled id array, reused by every batch
      let zeroIds = new Int32Array(0)
      const zeros = (n: number): Int32Array => {
        if (zeroIds.length < n) zeroIds = new Int32Array(n)
        return zeroIds.subarray(0, n)
      }

      const consume = (raw: Arrow.RecordBatch) =>
        Effect.gen(function*() {
          const batch = conform(raw, inputSchema, inputPhysical)
          const n = batch.numRows
          const keys: Array<Arrow.Data> = []
          for (let k = 0; k < keyCount; k++) {
            const data = final ? Batch.column(batch, k) : yield* Evaluator.evaluatePreservingDictionary(node.keys[k]!, batch)
            keys.push(Batch.isStringDictionary(data) ? data : canonical(data, keyTypes[k]!, keyArrow[k]!))
          }
          const args: Array<Arrow.Data | undefined> = []
          if (!final) {
            const evaluated: Array<Arrow.Data | undefined> = []
            for (let a = 0; a < specs.length; a++) {
              const arg = specs[a]!.arg
              const slot = argSlots[a]!
              if (arg === undefined) {
                args.push(undefined)
                continue
              }
              const data = slot < a ? evaluated[slot]! : yield* Evaluator.evaluate(arg, batch)
              evaluated[a] = data
              const type = valueTypes[a]
              // avg reads Int64 as it is (no Float64 copy of the column)
              const direct = type === undefined || (specs[a]!.fn === "avg" && isInt64(data.type))
              if (direct) {
                args.push(data)
                continue
              }
              // and one cast per (argument, type)
              let cast: Arrow.Data | undefined
              for (let b = slot; b < a && cast === undefined; b++) {
                const prior = args[b]
                if (argSlots[b] === slot && prior !== undefined && Arrow.util.compareTypes(prior.type, valueArrow[a]!)) cast = prior
              }
              args.push(cast ?? canonical(data, type!, valueArrow[a]!))
            }
          }
          yield* Aggregates.guard(() => {
            const groups = keyCount === 0
              ? zeros(n)
              : table.findOrInsertColumns(keys, n)
            for (let a = 0; a < specs.length; a++) {
              const acc = accumulators[a]!
              if (final) {
                const states: Array<Arrow.Data> = []
                for (let s = 0; s < stateWidths[a]!; s++) states.push(Batch.column(batch, stateStart[a]! + s))
                acc.merge(groups, states, table.size)
              } else {
                // the table gives every row a group (no −1 ids)
                acc.update(groups, args[a], table.size, true)
              }
            }
          })
          yield* reservation.resize(held())
        })

      yield* Stream.runForEach(input, (batch) => (batch.numRows === 0 ? Effect.void : consume(batch)))

      const groups = table.size
      if (groups === 0) return Stream.empty
      const columns = yield* Aggregates.guard(() => [
        ...table.columns(),
        ...accumulators.flatMap((acc) => (node.mode === "partial" ? acc.state(groups) : [acc.finish(groups)]))
      ])
      if (columns.length !== outputSchema.fields.length) {
        return yield* Effect.die(
          new Error(`${node._tag} ${node.id}: ${columns.length} result columns for ${outputSchema.fields.length} output columns`)
        )
      }
      const types = node.output.fields.map((f) => f.dataType)
      const out = Batch.make(
        outputSchema,
        columns.map((c, i) => canonical(c, types[i]!, outputSchema.fields[i]!.type)),
        groups
      )
      // from here on only the result is held
      yield* reservation.resize(Batch.byteSize(out))
      return Stream.unfold(0, (start) =>
        start >= groups
          ? Option.none()
          : Option.some([Batch.slice(out, start, Math.min(groups, start + batchSize)), start + batchSize] as const))
    })
  )
