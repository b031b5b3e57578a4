/**
 * Aggregate functions (SEMANTICS §5 Aggregate) as typed accumulators over dense group ids:
 * every accumulator keeps typed arrays indexed by group id (no object per row or per
 * group), can emit its *partial state* as Arrow columns, *merge* such states, and
 * *finish* into the result column. Running `partial` on pieces of the input, then `merge`
 * on the concatenated states, gives the same result as one `update` over all the input.
 *
 * Partial states (see {@link stateFields}):
 * - `count`: `count` Int64;
 * - `sum` Float64: `sum` Float64 (NULL when no non-NULL value);
 * - `sum` Int64: `sum` Int64 (the exact sum modulo 2^64, NULL when no non-NULL value) and
 *   `wraps` Int64 (how many times 2^64 to add), so an intermediate sum may leave the Int64
 *   range as long as the final one does not (overflow is decided on the final sum;
 *   intermediate sums beyond ±2^84 raise it early);
 * - `avg`: `sum` Float64 and `count` Int64 (its update also reads Int64 values directly);
 * - `min` / `max`: the value;
 * - `collect`: the list of values; `countDistinct` / `collectDistinct`: the list of
 *   distinct values (grouping equality: NaN = NaN, -0.0 = 0.0).
 *
 * Updates of count, sum, avg and numeric min/max run row kernels: one monomorphic loop per
 * value type over the group ids and the values' typed arrays (Int64 read as 32-bit words,
 * never as BigInt), the validity bitmap taken a byte at a time, no allocation per row.
 *
 * Accumulator methods are synchronous; an Int64 overflow is thrown as a kernel failure
 * (`internal/failure`) carrying `ArithmeticOverflow`.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as DataType from "../DataType.js"
import * as Evaluator from "../Evaluator.js"
import { ArithmeticOverflow, type ExecutionError } from "../ExecutionError.js"
import * as Expr from "../Expr.js"
import type { AggregateSpec, HashAggregateExec } from "../PhysicalPlan.js"
import * as PhysicalSchema from "../PhysicalSchema.js"
import * as Column from "./Column.js"
import * as Hash from "./Hash.js"
import { concatData, emptyData, takeData } from "./internal/batch.js"
import { fail, isKernelFailure } from "./internal/failure.js"
import { GroupTable } from "./internal/groupTable.js"

/** The hash table from group-key rows to dense group ids that feeds the accumulators. */
export { GroupTable }

// ---------------------------------------------------------------------------
// Types and partial schemas
// ---------------------------------------------------------------------------

/** One column of an aggregate's partial state. */
export interface StateField {
  readonly name: string
  readonly dataType: DataType.DataType
}

/**
 * The type of the values an aggregate's accumulator reads: the result type for `sum`,
 * `min`, `max`; Float64 for `avg`; the element type for `collect*`; the argument's own
 * type (`argType`, required) for `countDistinct`; none for `count`.
 */
export const valueType = (spec: AggregateSpec, argType?: DataType.DataType): DataType.DataType | undefined => {
  switch (spec.fn) {
    case "count":
      return undefined
    case "countDistinct":
      if (argType === undefined) throw new Error(`Aggregates: countDistinct ${spec.name} needs its argument type`)
      return argType
    case "sum":
    case "min":
    case "max":
      return spec.dataType
    case "avg":
      return DataType.Float64
    case "collect":
    case "collectDistinct":
      return spec.dataType._tag === "List" ? spec.dataType.element : DataType.Null
  }
}

/** The partial-state columns of an aggregate (names `<name>:<part>`); `argType` is needed for `countDistinct`. */
export const stateFields = (spec: AggregateSpec, argType?: DataType.DataType): Array<StateField> => {
  const field = (part: string, dataType: DataType.DataType): StateField => ({ name: `${spec.name}:${part}`, dataType })
  switch (spec.fn) {
    case "count":
      return [field("count", DataType.Int64)]
    case "sum":
      return spec.dataType._tag === "Float64"
        ? [field("sum", DataType.Float64)]
        : [field("sum", DataType.Int64), field("wraps", DataType.Int64)]
    case "avg":
      return [field("sum", DataType.Float64), field("count", DataType.Int64)]
    case "min":
    case "max":
      return [field(spec.fn, spec.dataType)]
    case "collect":
      return [field("list", DataType.List(valueType(spec)!))]
    case "countDistinct":
    case "collectDistinct":
      return [field("distinct", DataType.List(valueType(spec, argType)!))]
  }
}

/** The type of an aggregate's argument over the input schema (what `countDistinct` states need). */
export const argTypeIn = (spec: AggregateSpec, input: PhysicalSchema.PhysicalSchema): DataType.DataType | undefined =>
  spec.arg === undefined ? undefined : Evaluator.typeOf(spec.arg, input.toArrow())

/**
 * The output schema of a `partial` aggregation of `node`: its group keys (as in
 * `node.output`), then every aggregate's state columns in order. For a node already in
 * `final` mode it is the node's input schema. A distributed planner builds
 * `partial → Exchange(Hash on keys) → final` from it.
 */
export const partialSchema = (node: HashAggregateExec): PhysicalSchema.PhysicalSchema => {
  if (node.mode === "final") return node.input.output
  const keys = node.output.fields.slice(0, node.keys.length)
  const states = node.aggregates.flatMap((spec) =>
    stateFields(spec, argTypeIn(spec, node.input.output)).map(
      (s) => new PhysicalSchema.Field({ name: s.name, field: s.name, dataType: s.dataType })
    )
  )
  return new PhysicalSchema.PhysicalSchema({ fields: [...keys, ...states], entities: [] })
}

// ---------------------------------------------------------------------------
// Accumulator interface
// ---------------------------------------------------------------------------

/** The per-group state of one aggregate. */
export interface Accumulator {
  /**
   * Adds the argument values of a batch (`undefined` for `count(*)`) to groups `groups[i]`;
   * rows with id −1 are skipped. `groupCount` is the number of groups now. `dense` promises
   * that no id is negative (it saves a pass over the ids).
   */
  readonly update: (groups: Int32Array, arg: Arrow.Data | undefined, groupCount: number, dense?: boolean) => void
  /** Merges partial states (columns as {@link stateFields}) into groups `groups[i]`. */
  readonly merge: (groups: Int32Array, state: ReadonlyArray<Arrow.Data>, groupCount: number) => void
  /** The partial state of groups `[0, groupCount)`. */
  readonly state: (groupCount: number) => Array<Arrow.Data>
  /** The result of groups `[0, groupCount)`. */
  readonly finish: (groupCount: number) => Arrow.Data
  /** Bytes held. */
  readonly byteSize: () => number
}

const TWO32 = 4294967296
const TWO52 = 4503599627370496

const growF64 = (a: Float64Array, n: number): Float64Array => {
  if (n <= a.length) return a
  const out = new Float64Array(Math.max(n, a.length * 2, 16))
  out.set(a)
  return out
}
/** Like growF64, with new slots set to `fill`. */
const growF64Filled = (a: Float64Array, n: number, fill: number): Float64Array => {
  if (n <= a.length) return a
  const out = new Float64Array(Math.max(n, a.length * 2, 16))
  out.fill(fill, a.length)
  out.set(a)
  return out
}
/** Grows an array of words whose slots are `fill.length` words each, new slots set to `fill`. */
const growWords = (a: Int32Array, n: number, fill: ReadonlyArray<number>): Int32Array => {
  if (n <= a.length) return a
  const out = new Int32Array(Math.max(n, a.length * 2, 16))
  const k = fill.length
  for (let i = a.length; i < out.length; i++) out[i] = fill[i % k]!
  out.set(a)
  return out
}
const growU8 = (a: Uint8Array, n: number): Uint8Array => {
  if (n <= a.length) return a
  const out = new Uint8Array(Math.max(n, a.length * 2, 16))
  out.set(a)
  return out
}
const growI32 = (a: Int32Array, n: number, fill = 0): Int32Array => {
  if (n <= a.length) return a
  const out = new Int32Array(Math.max(n, a.length * 2, 16))
  if (fill !== 0) out.fill(fill)
  out.set(a)
  return out
}

/** Int32 halves of an Int64-like column, row i at [2i, 2i+1]. */
const words64 = (data: Arrow.Data): Int32Array => {
  const v = data.values as BigInt64Array
  return new Int32Array(v.buffer, v.byteOffset, data.length * 2)
}

/** An Int64 column from integer-valued numbers (|v| < 2^53) and an optional "seen" flag per row. */
const int64FromNumbers = (values: Float64Array, n: number, seen?: Uint8Array): Arrow.Data => {
  const out = new BigInt64Array(n)
  const w = new Int32Array(out.buffer)
  for (let g = 0; g < n; g++) {
    const v = values[g]!
    w[2 * g] = v >>> 0
    w[2 * g + 1] = Math.floor(v / TWO32) | 0
  }
  return Column.int64(out, seen === undefined ? null : seenValidity(seen, n))
}

/** A validity bitmap from one byte per group (1 = valid); `null` when all are valid. */
const seenValidity = (seen: Uint8Array, n: number): Uint8Array | null => {
  let all = true
  for (let g = 0; g < n; g++) if (seen[g] === 0) { all = false; break }
  if (all) return null
  const bitmap = Column.allocBitmap(n)
  for (let g = 0; g < n; g++) if (seen[g] !== 0) Column.setBit(bitmap, g)
  return bitmap
}

const isValidAt = (validity: Uint8Array | null, i: number): boolean =>
  validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0

const int64At = (w: Int32Array, i: number): number => w[2 * i + 1]! * TWO32 + (w[2 * i]! >>> 0)

// ---------------------------------------------------------------------------
// Row kernels: tight loops over typed arrays, monomorphic (one element type each), no
// allocation, no branch on the group id. The validity bitmap (null = no NULL row) is read
// a byte (8 rows) at a time: all-NULL bytes are skipped, all-valid bytes run without a
// per-row test. Ids < 0 (rows to skip) are first routed by {@link routeIds} to a *sink*
// slot (index `groupCount`, one past the last group) that the accumulator clears after
// the kernel ran; callers that promise `dense` ids skip that pass.
// ---------------------------------------------------------------------------

let scratch: Int32Array = new Int32Array(1024)

/**
 * `groups` itself when `dense` (the caller promises no id is negative), else a copy with
 * `sink` in place of every negative id (in a shared scratch buffer, valid until the next call).
 */
const routeIds = (groups: Int32Array, dense: boolean, sink: number): Int32Array => {
  if (dense) return groups
  const n = groups.length
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, scratch.length * 2))
  const out = scratch
  for (let i = 0; i < n; i++) {
    const g = groups[i]!
    out[i] = g < 0 ? sink : g
  }
  return out.subarray(0, n)
}

/** Ids with `sink` for NULL rows as well (for the kernels that take no validity). */
const routeRows = (groups: Int32Array, valid: Uint8Array | null, dense: boolean, sink: number): Int32Array => {
  if (valid === null) return routeIds(groups, dense, sink)
  const n = groups.length
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, scratch.length * 2))
  const out = scratch
  for (let i = 0; i < n; i++) {
    const g = groups[i]!
    out[i] = g < 0 || ((valid[i >> 3]! >> (i & 7)) & 1) === 0 ? sink : g
  }
  return out.subarray(0, n)
}

/** `counts[g] += 1` per non-NULL row. */
const countRows = (groups: Int32Array, valid: Uint8Array | null, counts: Float64Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      counts[g]!++
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        counts[g]!++
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        counts[g]!++
      }
    }
  }
}

/** `sums[g] += v[i]`, `seen[g] = 1` per non-NULL row. */
const sumF64Rows = (groups: Int32Array, valid: Uint8Array | null, v: Float64Array, sums: Float64Array, seen: Uint8Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      sums[g]! += v[i]!
      seen[g] = 1
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        sums[g]! += v[i]!
        seen[g] = 1
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        sums[g]! += v[i]!
        seen[g] = 1
      }
    }
  }
}

/** `sums[g] += v[i]`, `counts[g] += 1` per non-NULL row. */
const avgF64Rows = (groups: Int32Array, valid: Uint8Array | null, v: Float64Array, sums: Float64Array, counts: Float64Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      sums[g]! += v[i]!
      counts[g]!++
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        sums[g]! += v[i]!
        counts[g]!++
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        sums[g]! += v[i]!
        counts[g]!++
      }
    }
  }
}

/**
 * Like {@link avgF64Rows} over Int64 words: each value read as hi · 2^32 + unsigned lo (the
 * Float64 a cast gives). (2^32 is written as a literal: a module constant is not folded.)
 */
const avgI64Rows = (groups: Int32Array, valid: Uint8Array | null, w: Int32Array, sums: Float64Array, counts: Float64Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      sums[g]! += w[2 * i + 1]! * 4294967296 + (w[2 * i]! >>> 0)
      counts[g]!++
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        sums[g]! += w[2 * i + 1]! * 4294967296 + (w[2 * i]! >>> 0)
        counts[g]!++
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        sums[g]! += w[2 * i + 1]! * 4294967296 + (w[2 * i]! >>> 0)
        counts[g]!++
      }
    }
  }
}

/**
 * Float64 max (NaN above everything) per non-NULL row. Unseen slots of `best` hold
 * −Infinity, so a row writes only on an improvement (rare) or a −Infinity value; once a
 * group's max is NaN nothing replaces it.
 */
const maxF64Rows = (groups: Int32Array, valid: Uint8Array | null, v: Float64Array, best: Float64Array, seen: Uint8Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      const x = v[i]!
      const cur = best[g]!
      if (!(x <= cur)) {
        if (cur === cur) {
          best[g] = x
          seen[g] = 1
        }
      } else if (x === -Infinity) {
        seen[g] = 1
      }
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        const x = v[i]!
        const cur = best[g]!
        if (!(x <= cur)) {
        if (cur === cur) {
          best[g] = x
          seen[g] = 1
        }
      } else if (x === -Infinity) {
        seen[g] = 1
      }
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        const x = v[i]!
        const cur = best[g]!
        if (!(x <= cur)) {
        if (cur === cur) {
          best[g] = x
          seen[g] = 1
        }
      } else if (x === -Infinity) {
        seen[g] = 1
      }
      }
    }
  }
}

/**
 * Float64 min (NaN only when every value is NaN) per non-NULL row. Unseen slots of `best`
 * hold NaN, which every first value replaces, so a row writes only on an improvement.
 */
const minF64Rows = (groups: Int32Array, valid: Uint8Array | null, v: Float64Array, best: Float64Array, seen: Uint8Array): void => {
  const n = groups.length
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = groups[i]!
      const x = v[i]!
      const cur = best[g]!
      if (x < cur || cur !== cur) {
        best[g] = x
        seen[g] = 1
      }
    }
    return
  }
  for (let base = 0; base < n; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const end = base + 8 < n ? base + 8 : n
    if (bits === 0xff) {
      for (let i = base; i < end; i++) {
        const g = groups[i]!
        const x = v[i]!
        const cur = best[g]!
        if (x < cur || cur !== cur) {
        best[g] = x
        seen[g] = 1
      }
      }
    } else {
      for (let i = base; i < end; i++) {
        if (((bits >> (i - base)) & 1) === 0) continue
        const g = groups[i]!
        const x = v[i]!
        const cur = best[g]!
        if (x < cur || cur !== cur) {
        best[g] = x
        seen[g] = 1
      }
      }
    }
  }
}

/** Exact Int64 partial sums of the non-NULL rows in [from, to): `lo[g]` += unsigned low word, `hi[g]` += signed high word. */
const sumI64Rows = (
  groups: Int32Array,
  valid: Uint8Array | null,
  w: Int32Array,
  from: number,
  to: number,
  lo: Float64Array,
  hi: Float64Array,
  seen: Uint8Array
): void => {
  if (valid === null) {
    for (let i = from; i < to; i++) {
      const g = groups[i]!
      lo[g]! += w[2 * i]! >>> 0
      hi[g]! += w[2 * i + 1]!
      seen[g] = 1
    }
    return
  }
  for (let base = from & ~7; base < to; base += 8) {
    const bits = valid[base >> 3]!
    if (bits === 0) continue
    const start = base < from ? from : base
    const end = base + 8 < to ? base + 8 : to
    if (bits === 0xff) {
      for (let i = start; i < end; i++) {
        const g = groups[i]!
        lo[g]! += w[2 * i]! >>> 0
        hi[g]! += w[2 * i + 1]!
        seen[g] = 1
      }
      continue
    }
    for (let i = start; i < end; i++) {
      if (((bits >> (i - base)) & 1) === 0) continue
      const g = groups[i]!
      lo[g]! += w[2 * i]! >>> 0
      hi[g]! += w[2 * i + 1]!
      seen[g] = 1
    }
  }
}

/**
 * Int64 max over words; every id is a slot (no NULL rows). Unseen slots hold −2^63, so a
 * row writes only on an improvement or a −2^63 value.
 */
const maxI64Rows = (groups: Int32Array, w: Int32Array, best: Int32Array, seen: Uint8Array): void => {
  for (let i = 0, n = groups.length; i < n; i++) {
    const g = groups[i]!
    const h = w[2 * i + 1]!, l = w[2 * i]!
    const ch = best[2 * g + 1]!
    if (h > ch || (h === ch && (l >>> 0) > (best[2 * g]! >>> 0))) {
      best[2 * g] = l
      best[2 * g + 1] = h
      seen[g] = 1
    } else if (h === -2147483648 && l === 0) {
      seen[g] = 1
    }
  }
}

/** Int64 min over words, like {@link maxI64Rows} with unseen slots holding 2^63 − 1. */
const minI64Rows = (groups: Int32Array, w: Int32Array, best: Int32Array, seen: Uint8Array): void => {
  for (let i = 0, n = groups.length; i < n; i++) {
    const g = groups[i]!
    const h = w[2 * i + 1]!, l = w[2 * i]!
    const ch = best[2 * g + 1]!
    if (h < ch || (h === ch && (l >>> 0) < (best[2 * g]! >>> 0))) {
      best[2 * g] = l
      best[2 * g + 1] = h
      seen[g] = 1
    } else if (h === 2147483647 && l === -1) {
      seen[g] = 1
    }
  }
}

/** Int32 max/min (`sign` 1 for max, −1 for min); every id is a slot (no NULL rows). Unseen slots hold the identity (−2^31 / 2^31 − 1). */
const extremeI32Rows = (groups: Int32Array, v: Int32Array, sign: number, best: Int32Array, seen: Uint8Array): void => {
  const identity = sign > 0 ? -2147483648 : 2147483647
  for (let i = 0, n = groups.length; i < n; i++) {
    const g = groups[i]!
    const x = v[i]!
    if ((x - best[g]!) * sign > 0) {
      best[g] = x
      seen[g] = 1
    } else if (x === identity) {
      seen[g] = 1
    }
  }
}

const expressionOf = (spec: AggregateSpec): string =>
  spec.arg === undefined ? `${spec.fn}(*)` : Expr.display(new Expr.Aggregate({ fn: spec.fn, arg: spec.arg }))

// ---------------------------------------------------------------------------
// count
// ---------------------------------------------------------------------------

const count = (): Accumulator => {
  let counts: Float64Array = new Float64Array(16)
  return {
    update: (groups, arg, groupCount, dense = false) => {
      counts = growF64(counts, groupCount + 1)
      if (arg !== undefined && arg.typeId === Arrow.Type.Null) return
      if (dense && groupCount === 1) {
        // every id is 0: no pass over the ids
        counts[0]! += arg === undefined ? groups.length : groups.length - arg.nullCount
        return
      }
      countRows(routeIds(groups, dense, groupCount), arg === undefined ? null : Column.validity(arg), counts)
      counts[groupCount] = 0
    },
    merge: (groups, [state], groupCount) => {
      counts = growF64(counts, groupCount)
      if (state!.typeId === Arrow.Type.Null) return
      const w = words64(state!)
      const valid = Column.validity(state!)
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!
        if (g >= 0 && isValidAt(valid, i)) counts[g]! += int64At(w, i)
      }
    },
    state: (groupCount) => [int64FromNumbers(growF64(counts, groupCount), groupCount)],
    finish: (groupCount) => int64FromNumbers(growF64(counts, groupCount), groupCount),
    byteSize: () => counts.byteLength
  }
}

// ---------------------------------------------------------------------------
// sum
// ---------------------------------------------------------------------------

const sumFloat = (): Accumulator => {
  let sums: Float64Array = new Float64Array(16)
  let seen: Uint8Array = new Uint8Array(16)
  const ensure = (n: number) => {
    sums = growF64(sums, n)
    seen = growU8(seen, n)
  }
  const add = (groups: Int32Array, data: Arrow.Data, groupCount: number, dense: boolean) => {
    ensure(groupCount + 1)
    if (data.typeId === Arrow.Type.Null) return
    sumF64Rows(routeIds(groups, dense, groupCount), Column.validity(data), data.values as Float64Array, sums, seen)
    sums[groupCount] = 0
    seen[groupCount] = 0
  }
  const result = (groupCount: number) => {
    ensure(groupCount)
    return Column.float64(sums.slice(0, groupCount), seenValidity(seen, groupCount))
  }
  return {
    update: (groups, arg, groupCount, dense = false) => add(groups, arg!, groupCount, dense),
    merge: (groups, [state], groupCount) => add(groups, state!, groupCount, false),
    state: (groupCount) => [result(groupCount)],
    finish: result,
    byteSize: () => sums.byteLength + seen.byteLength
  }
}

/** Rows an Int64 sum adds between two normalizations (keeps `lo` and `hi` exact, see {@link sumInt64}). */
const SUM_CHUNK = 1 << 20

/**
 * Exact Int64 sums: per group the sum of the unsigned low halves (`lo`) and of the signed
 * high halves (`hi`) of the values, both exact in a double; the value is `hi · 2^32 + lo`.
 *
 * A normalization moves whole multiples of 2^32 from `lo` to `hi` (leaving 0 ≤ lo < 2^32)
 * and fails when |hi| > 2^52. `update` adds rows without any per-row check and normalizes
 * every group once per {@link SUM_CHUNK} rows: from a normalized state, 2^20 rows keep
 * lo < 2^32 + 2^20 · 2^32 < 2^53 and |hi| ≤ 2^52 + 2^20 · 2^31 < 2^53, so both stay exact.
 * `merge` (whose high words carry wraps of 2^32) checks per row as it adds.
 */
const sumInt64 = (spec: AggregateSpec): Accumulator => {
  let hi: Float64Array = new Float64Array(16)
  let lo: Float64Array = new Float64Array(16)
  let seen: Uint8Array = new Uint8Array(16)
  /** Rows added by `update` since every group was last normalized. */
  let pending = 0
  /** Whether `merge` ran since then (it leaves lo below 2^52 only). */
  let merged = false
  const ensure = (n: number) => {
    hi = growF64(hi, n)
    lo = growF64(lo, n)
    seen = growU8(seen, n)
  }
  const overflow = () => fail(new ArithmeticOverflow({ expression: expressionOf(spec) }))
  const normalize = (g: number) => {
    const carry = Math.floor(lo[g]! / TWO32)
    lo[g]! -= carry * TWO32
    hi[g]! += carry
    if (hi[g]! > TWO52 || hi[g]! < -TWO52) overflow()
  }
  const normalizeAll = (groupCount: number) => {
    for (let g = 0; g < groupCount; g++) if (seen[g] !== 0) normalize(g)
    pending = 0
    merged = false
  }
  const add = (g: number, l: number, h: number) => {
    lo[g]! += l
    hi[g]! += h
    seen[g] = 1
    if (lo[g]! >= TWO52 || hi[g]! > TWO52 || hi[g]! < -TWO52) normalize(g)
  }
  return {
    update: (groups, arg, groupCount, dense = false) => {
      ensure(groupCount + 1)
      if (arg!.typeId === Arrow.Type.Null) return
      const w = words64(arg!)
      const routed = routeIds(groups, dense, groupCount)
      const valid = Column.validity(arg!)
      const n = routed.length
      for (let from = 0; from < n;) {
        if (pending >= SUM_CHUNK || merged) normalizeAll(groupCount)
        const to = Math.min(n, from + SUM_CHUNK - pending)
        sumI64Rows(routed, valid, w, from, to, lo, hi, seen)
        lo[groupCount] = 0
        hi[groupCount] = 0
        seen[groupCount] = 0
        pending += to - from
        from = to
      }
    },
    merge: (groups, [sum, wraps], groupCount) => {
      ensure(groupCount)
      if (sum!.typeId === Arrow.Type.Null) return
      if (pending > 0) normalizeAll(groupCount)
      const w = words64(sum!)
      const valid = Column.validity(sum!)
      const nulls = wraps!.typeId === Arrow.Type.Null
      const ww = nulls ? w : words64(wraps!)
      const wvalid = nulls ? null : Column.validity(wraps!)
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!
        if (g < 0 || !isValidAt(valid, i)) continue
        const k = nulls || !isValidAt(wvalid, i) ? 0 : int64At(ww, i)
        add(g, w[2 * i]! >>> 0, w[2 * i + 1]! + k * TWO32)
      }
      merged = true
    },
    state: (groupCount) => {
      ensure(groupCount)
      const sums = new BigInt64Array(groupCount)
      const sw = new Int32Array(sums.buffer)
      const wraps = new Float64Array(groupCount)
      for (let g = 0; g < groupCount; g++) {
        normalize(g)
        const k = Math.floor((hi[g]! + 2147483648) / TWO32)
        sw[2 * g] = lo[g]! | 0
        sw[2 * g + 1] = (hi[g]! - k * TWO32) | 0
        wraps[g] = k
      }
      return [Column.int64(sums, seenValidity(seen, groupCount)), int64FromNumbers(wraps, groupCount)]
    },
    finish: (groupCount) => {
      ensure(groupCount)
      const sums = new BigInt64Array(groupCount)
      const sw = new Int32Array(sums.buffer)
      for (let g = 0; g < groupCount; g++) {
        if (seen[g] === 0) continue
        normalize(g)
        if (hi[g]! >= 2147483648 || hi[g]! < -2147483648) overflow()
        sw[2 * g] = lo[g]! | 0
        sw[2 * g + 1] = hi[g]! | 0
      }
      return Column.int64(sums, seenValidity(seen, groupCount))
    },
    byteSize: () => hi.byteLength + lo.byteLength + seen.byteLength
  }
}

// ---------------------------------------------------------------------------
// avg
// ---------------------------------------------------------------------------

const avg = (): Accumulator => {
  let sums: Float64Array = new Float64Array(16)
  let counts: Float64Array = new Float64Array(16)
  const ensure = (n: number) => {
    sums = growF64(sums, n)
    counts = growF64(counts, n)
  }
  return {
    update: (groups, arg, groupCount, dense = false) => {
      ensure(groupCount + 1)
      if (arg!.typeId === Arrow.Type.Null) return
      const routed = routeIds(groups, dense, groupCount)
      const valid = Column.validity(arg!)
      // Int64 values are read from their 32-bit words (no BigInt, no Float64 copy of the column)
      if (arg!.values instanceof BigInt64Array) avgI64Rows(routed, valid, words64(arg!), sums, counts)
      else avgF64Rows(routed, valid, arg!.values as Float64Array, sums, counts)
      sums[groupCount] = 0
      counts[groupCount] = 0
    },
    merge: (groups, [sum, cnt], groupCount) => {
      ensure(groupCount)
      if (sum!.typeId === Arrow.Type.Null || cnt!.typeId === Arrow.Type.Null) return
      const v = sum!.values as Float64Array
      const valid = Column.validity(sum!)
      const c = words64(cnt!)
      const cvalid = Column.validity(cnt!)
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!
        if (g < 0 || !isValidAt(cvalid, i)) continue
        const k = int64At(c, i)
        if (k === 0) continue
        if (isValidAt(valid, i)) sums[g]! += v[i]!
        counts[g]! += k
      }
    },
    state: (groupCount) => {
      ensure(groupCount)
      return [Column.float64(sums.slice(0, groupCount)), int64FromNumbers(counts, groupCount)]
    },
    finish: (groupCount) => {
      ensure(groupCount)
      const out = new Float64Array(groupCount)
      const seen = new Uint8Array(groupCount)
      for (let g = 0; g < groupCount; g++) {
        if (counts[g]! > 0) {
          out[g] = sums[g]! / counts[g]!
          seen[g] = 1
        }
      }
      return Column.float64(out, seenValidity(seen, groupCount))
    },
    byteSize: () => sums.byteLength + counts.byteLength
  }
}

// ---------------------------------------------------------------------------
// min / max
// ---------------------------------------------------------------------------

const minMax = (spec: AggregateSpec, type: DataType.DataType): Accumulator => {
  const isMax = spec.fn === "max"
  const arrowType = DataType.toArrow(type)
  const kind = Hash.keyKindOf(arrowType)
  if (kind === undefined) throw new Error(`Aggregates: ${spec.fn} of ${DataType.display(type)} is not supported`)
  let seen: Uint8Array = new Uint8Array(16)
  // fixed-width values
  // unseen Float64 slots hold the identity of the comparison (see maxF64Rows / minF64Rows)
  const floatFill = isMax ? -Infinity : NaN
  let floats: Float64Array = new Float64Array(16).fill(floatFill)
  // unseen Int64 / Int32 slots hold the identity too (see maxI64Rows / extremeI32Rows)
  const wordFill = kind === "i64" ? (isMax ? [0, -2147483648] : [-1, 2147483647]) : isMax ? [-2147483648] : [2147483647]
  let words: Int32Array = growWords(new Int32Array(0), 16, wordFill)
  // strings: per group [start, end) into an arena; per batch the best row of each touched group
  let starts: Int32Array = new Int32Array(16)
  let ends: Int32Array = new Int32Array(16)
  let arena: Uint8Array = new Uint8Array(256)
  let used = 0
  let garbage = 0
  let batchBest: Int32Array = new Int32Array(16).fill(-1)

  const ensure = (n: number) => {
    seen = growU8(seen, n)
    if (kind === "f64") floats = growF64Filled(floats, n, floatFill)
    else if (kind === "i64") words = growWords(words, 2 * n, wordFill)
    else if (kind === "i32") words = growWords(words, n, wordFill)
    else if (kind === "bool") words = growI32(words, n)
    else if (kind === "utf8") {
      starts = growI32(starts, n)
      ends = growI32(ends, n)
      batchBest = growI32(batchBest, n, -1)
    }
  }

  const compact = () => {
    const live = used - garbage
    const next = new Uint8Array(Math.max(256, live * 2))
    let at = 0
    for (let g = 0; g < seen.length; g++) {
      if (seen[g] === 0) continue
      const len = ends[g]! - starts[g]!
      next.set(arena.subarray(starts[g]!, ends[g]!), at)
      starts[g] = at
      ends[g] = at + len
      at += len
    }
    arena = next
    used = at
    garbage = 0
  }

  const store = (g: number, bytes: Uint8Array, start: number, end: number) => {
    const len = end - start
    if (seen[g] !== 0) garbage += ends[g]! - starts[g]!
    if (used + len > arena.length) {
      if (garbage > (used >> 1)) compact()
      if (used + len > arena.length) {
        const next = new Uint8Array(Math.max(used + len, arena.length * 2))
        next.set(arena.subarray(0, used))
        arena = next
      }
    }
    arena.set(bytes.subarray(start, end), used)
    starts[g] = used
    ends[g] = used + len
    used += len
    seen[g] = 1
  }

  const add = (groups: Int32Array, data: Arrow.Data, groupCount: number, dense: boolean) => {
    ensure(groupCount + 1)
    if (data.typeId === Arrow.Type.Null || kind === "null") return
    const valid = Column.validity(data)
    const n = groups.length
    const sink = groupCount
    switch (kind) {
      case "f64": {
        const routed = routeIds(groups, dense, sink)
        if (isMax) maxF64Rows(routed, valid, data.values as Float64Array, floats, seen)
        else minF64Rows(routed, valid, data.values as Float64Array, floats, seen)
        floats[sink] = floatFill
        seen[sink] = 0
        return
      }
      case "i64": {
        const routed = routeRows(groups, valid, dense, sink)
        if (isMax) maxI64Rows(routed, words64(data), words, seen)
        else minI64Rows(routed, words64(data), words, seen)
        words[2 * sink] = wordFill[0]!
        words[2 * sink + 1] = wordFill[1]!
        seen[sink] = 0
        return
      }
      case "i32":
        extremeI32Rows(routeRows(groups, valid, dense, sink), data.values as Int32Array, isMax ? 1 : -1, words, seen)
        words[sink] = wordFill[0]!
        seen[sink] = 0
        return
      case "bool": {
        const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g < 0 || !isValidAt(valid, i)) continue
          const x = (bits[i >> 3]! >> (i & 7)) & 1
          if (seen[g] === 0 || (isMax ? x > words[g]! : x < words[g]!)) {
            words[g] = x
            seen[g] = 1
          }
        }
        return
      }
      case "utf8": {
        const o = data.valueOffsets as Int32Array
        const b = data.values as Uint8Array
        const touched: Array<number> = []
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g < 0 || !isValidAt(valid, i)) continue
          const best = batchBest[g]!
          if (best === -1) {
            batchBest[g] = i
            touched.push(g)
            continue
          }
          const c = Column.compareBytes(b, o[i]!, o[i + 1]!, b, o[best]!, o[best + 1]!)
          if (isMax ? c > 0 : c < 0) batchBest[g] = i
        }
        for (const g of touched) {
          const i = batchBest[g]!
          batchBest[g] = -1
          if (seen[g] !== 0) {
            const c = Column.compareBytes(b, o[i]!, o[i + 1]!, arena, starts[g]!, ends[g]!)
            if (isMax ? c <= 0 : c >= 0) continue
          }
          store(g, b, o[i]!, o[i + 1]!)
        }
        return
      }
    }
  }

  const result = (groupCount: number): Arrow.Data => {
    ensure(groupCount)
    const validity = seenValidity(seen, groupCount)
    const props = { type: arrowType, length: groupCount, nullBitmap: validity ?? undefined, nullCount: Column.countNulls(validity, groupCount) }
    switch (kind) {
      case "null":
        return Arrow.makeData({ type: arrowType as Arrow.Null, length: groupCount })
      case "f64":
        return Arrow.makeData({ ...props, data: floats.slice(0, groupCount) } as any) as Arrow.Data
      case "i64":
        return Arrow.makeData({ ...props, data: new BigInt64Array(words.slice(0, 2 * groupCount).buffer) } as any) as Arrow.Data
      case "i32":
        return Arrow.makeData({ ...props, data: words.slice(0, groupCount) } as any) as Arrow.Data
      case "bool": {
        const bits = Column.allocBitmap(groupCount)
        for (let g = 0; g < groupCount; g++) if (words[g] !== 0) Column.setBit(bits, g)
        return Arrow.makeData({ ...props, data: bits } as any) as Arrow.Data
      }
      case "utf8": {
        const offsets = new Int32Array(groupCount + 1)
        let total = 0
        for (let g = 0; g < groupCount; g++) {
          if (seen[g] !== 0) total += ends[g]! - starts[g]!
          offsets[g + 1] = total
        }
        const bytes = new Uint8Array(total)
        for (let g = 0; g < groupCount; g++) if (seen[g] !== 0) bytes.set(arena.subarray(starts[g]!, ends[g]!), offsets[g]!)
        return Column.utf8(offsets, bytes, validity)
      }
    }
  }

  return {
    update: (groups, arg, groupCount, dense = false) => add(groups, arg!, groupCount, dense),
    merge: (groups, [state], groupCount) => add(groups, state!, groupCount, false),
    state: (groupCount) => [result(groupCount)],
    finish: result,
    byteSize: () =>
      seen.byteLength + floats.byteLength + words.byteLength + starts.byteLength + ends.byteLength +
      batchBest.byteLength + arena.byteLength
  }
}

// ---------------------------------------------------------------------------
// collect
// ---------------------------------------------------------------------------

/** Per element of a list column: its group (−1 for elements of NULL lists or NULL elements) and the child rows covered. */
const listElements = (
  groups: Int32Array,
  list: Arrow.Data
): { readonly elements: Arrow.Data; readonly owners: Int32Array } | undefined => {
  if (list.typeId === Arrow.Type.Null || list.length === 0) return undefined
  const o = list.valueOffsets as Int32Array
  const base = o[0]!
  const m = o[list.length]! - base
  if (m === 0) return undefined
  const elements = list.children[0]!.slice(base, m)
  const owners = new Int32Array(m).fill(-1)
  const valid = Column.validity(list)
  for (let i = 0; i < groups.length; i++) {
    if (!isValidAt(valid, i)) continue
    const g = groups[i]!
    for (let k = o[i]! - base; k < o[i + 1]! - base; k++) owners[k] = g
  }
  return { elements, owners }
}

/** Offsets and a stable order of `owners` (group ids, −1 dropped) grouped by owner. */
const groupOrder = (owners: Int32Array, groupCount: number): { readonly offsets: Int32Array; readonly order: Int32Array } => {
  const offsets = new Int32Array(groupCount + 1)
  for (let k = 0; k < owners.length; k++) {
    const g = owners[k]!
    if (g >= 0) offsets[g + 1]!++
  }
  for (let g = 0; g < groupCount; g++) offsets[g + 1]! += offsets[g]!
  const order = new Int32Array(offsets[groupCount]!)
  const cursor = offsets.slice(0, groupCount)
  for (let k = 0; k < owners.length; k++) {
    const g = owners[k]!
    if (g >= 0) order[cursor[g]!++] = k
  }
  return { offsets, order }
}

const collect = (type: DataType.DataType): Accumulator => {
  const elementType = DataType.toArrow(type)
  const listType = DataType.toArrow(DataType.List(type)) as Arrow.List
  const pieces: Array<Arrow.Data> = []
  const owners: Array<Int32Array> = []
  let bytes = 0
  const add = (groups: Int32Array, data: Arrow.Data) => {
    if (data.typeId === Arrow.Type.Null) return
    const valid = Column.validity(data)
    let n = 0
    for (let i = 0; i < groups.length; i++) if (groups[i]! >= 0 && isValidAt(valid, i)) n++
    if (n === 0) return
    const indices = new Int32Array(n)
    const own = new Int32Array(n)
    let k = 0
    for (let i = 0; i < groups.length; i++) {
      if (groups[i]! >= 0 && isValidAt(valid, i)) {
        indices[k] = i
        own[k++] = groups[i]!
      }
    }
    const piece = takeData(data, indices)
    pieces.push(piece)
    owners.push(own)
    bytes += own.byteLength + piece.byteLength
  }
  const result = (groupCount: number): Arrow.Data => {
    let total = 0
    for (const o of owners) total += o.length
    const all = new Int32Array(total)
    let at = 0
    for (const o of owners) {
      all.set(o, at)
      at += o.length
    }
    const { offsets, order } = groupOrder(all, groupCount)
    const values = pieces.length === 0 ? emptyData(elementType) : concatData(elementType, pieces)
    const child = pieces.length === 0 ? values : takeData(values, order)
    return Column.list(listType, offsets, child)
  }
  return {
    update: (groups, arg) => add(groups, arg!),
    merge: (groups, [state]) => {
      const e = listElements(groups, state!)
      if (e !== undefined) add(e.owners, e.elements)
    },
    state: (groupCount) => [result(groupCount)],
    finish: result,
    byteSize: () => bytes
  }
}

// ---------------------------------------------------------------------------
// countDistinct / collectDistinct
// ---------------------------------------------------------------------------

const int32Data = (values: Int32Array): Arrow.Data =>
  Arrow.makeData({ type: new Arrow.Int32(), length: values.length, data: values })

const distinct = (type: DataType.DataType, emit: "count" | "list"): Accumulator => {
  const elementType = DataType.toArrow(type)
  const listType = DataType.toArrow(DataType.List(type)) as Arrow.List
  const nullType = type._tag === "Null"
  const table = nullType ? undefined : new GroupTable([new Arrow.Int32(), elementType])
  const add = (groups: Int32Array, data: Arrow.Data) => {
    if (table === undefined || data.typeId === Arrow.Type.Null) return
    const n = groups.length
    const owner = int32Data(groups)
    const valid = Column.validity(data)
    const only = Column.allocBitmap(n)
    for (let i = 0; i < n; i++) if (groups[i]! >= 0 && isValidAt(valid, i)) Column.setBit(only, i)
    const hashes = Hash.hashColumns([owner, data], n)
    table.findOrInsert([Hash.keyView(owner), Hash.keyView(data)], hashes, n, only)
  }
  const entries = (groupCount: number) => {
    const owners = table === undefined ? new Int32Array(0) : table.views[0]!.words.subarray(0, table.size)
    return groupOrder(owners, groupCount)
  }
  const list = (groupCount: number): Arrow.Data => {
    const { offsets, order } = entries(groupCount)
    const child = table === undefined || table.size === 0
      ? emptyData(elementType)
      : takeData(table.keys[1]!.toData(), order)
    return Column.list(listType, offsets, child)
  }
  return {
    update: (groups, arg) => add(groups, arg!),
    merge: (groups, [state]) => {
      const e = listElements(groups, state!)
      if (e !== undefined) add(e.owners, e.elements)
    },
    state: (groupCount) => [list(groupCount)],
    finish: (groupCount) => {
      if (emit === "list") return list(groupCount)
      const { offsets } = entries(groupCount)
      const counts = new Float64Array(groupCount)
      for (let g = 0; g < groupCount; g++) counts[g] = offsets[g + 1]! - offsets[g]!
      return int64FromNumbers(counts, groupCount)
    },
    byteSize: () => (table === undefined ? 0 : table.byteSize())
  }
}

// ---------------------------------------------------------------------------
// Constructor
// ---------------------------------------------------------------------------

/**
 * A fresh accumulator for `spec`. `argType` is the argument's type (needed by
 * `countDistinct`; the others derive it from the spec, see {@link valueType}). Argument
 * columns given to `update` must be in the canonical storage of {@link valueType}
 * (cast them first: `Batch.castData`), states in that of {@link stateFields}.
 */
export const make = (spec: AggregateSpec, argType?: DataType.DataType): Accumulator => {
  switch (spec.fn) {
    case "count":
      return count()
    case "sum":
      return spec.dataType._tag === "Float64" ? sumFloat() : sumInt64(spec)
    case "avg":
      return avg()
    case "min":
    case "max":
      return minMax(spec, spec.dataType)
    case "collect":
      return collect(valueType(spec)!)
    case "countDistinct":
      return distinct(valueType(spec, argType)!, "count")
    case "collectDistinct":
      return distinct(valueType(spec)!, "list")
  }
}

/** Runs synchronous accumulator work, turning a thrown kernel failure (Int64 overflow) into a typed failure. */
export const guard = <A>(f: () => A): Effect.Effect<A, ExecutionError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      return isKernelFailure(e) ? Effect.fail(e.error) : Effect.die(e)
    }
  })
