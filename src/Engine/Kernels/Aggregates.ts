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
  /** Adds the argument values of a batch (`undefined` for `count(*)`) to groups `groups[i]`; rows with id −1 are skipped. `groupCount` is the number of groups now. */
  readonly update: (groups: Int32Array, arg: Arrow.Data | undefined, groupCount: number) => void
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

const expressionOf = (spec: AggregateSpec): string =>
  spec.arg === undefined ? `${spec.fn}(*)` : Expr.display(new Expr.Aggregate({ fn: spec.fn, arg: spec.arg }))

// ---------------------------------------------------------------------------
// count
// ---------------------------------------------------------------------------

const count = (): Accumulator => {
  let counts: Float64Array = new Float64Array(16)
  return {
    update: (groups, arg, groupCount) => {
      counts = growF64(counts, groupCount)
      const n = groups.length
      if (arg === undefined) {
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g >= 0) counts[g]!++
        }
        return
      }
      if (arg.typeId === Arrow.Type.Null) return
      const valid = Column.validity(arg)
      for (let i = 0; i < n; i++) {
        const g = groups[i]!
        if (g >= 0 && isValidAt(valid, i)) counts[g]!++
      }
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
  const add = (groups: Int32Array, data: Arrow.Data, groupCount: number) => {
    ensure(groupCount)
    if (data.typeId === Arrow.Type.Null) return
    const v = data.values as Float64Array
    const valid = Column.validity(data)
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!
      if (g >= 0 && isValidAt(valid, i)) {
        sums[g]! += v[i]!
        seen[g] = 1
      }
    }
  }
  const result = (groupCount: number) => {
    ensure(groupCount)
    return Column.float64(sums.slice(0, groupCount), seenValidity(seen, groupCount))
  }
  return {
    update: (groups, arg, groupCount) => add(groups, arg!, groupCount),
    merge: (groups, [state], groupCount) => add(groups, state!, groupCount),
    state: (groupCount) => [result(groupCount)],
    finish: result,
    byteSize: () => sums.byteLength + seen.byteLength
  }
}

/**
 * Exact Int64 sums: per group the sum of the unsigned low halves (`lo`) and of the signed
 * high halves (`hi`) of the values, both exact in a double; the value is `hi · 2^32 + lo`.
 */
const sumInt64 = (spec: AggregateSpec): Accumulator => {
  let hi: Float64Array = new Float64Array(16)
  let lo: Float64Array = new Float64Array(16)
  let seen: Uint8Array = new Uint8Array(16)
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
  const add = (g: number, l: number, h: number) => {
    lo[g]! += l
    hi[g]! += h
    seen[g] = 1
    if (lo[g]! >= TWO52 || hi[g]! > TWO52 || hi[g]! < -TWO52) normalize(g)
  }
  return {
    update: (groups, arg, groupCount) => {
      ensure(groupCount)
      if (arg!.typeId === Arrow.Type.Null) return
      const w = words64(arg!)
      const valid = Column.validity(arg!)
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!
        if (g >= 0 && isValidAt(valid, i)) add(g, w[2 * i]! >>> 0, w[2 * i + 1]!)
      }
    },
    merge: (groups, [sum, wraps], groupCount) => {
      ensure(groupCount)
      if (sum!.typeId === Arrow.Type.Null) return
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
    update: (groups, arg, groupCount) => {
      ensure(groupCount)
      if (arg!.typeId === Arrow.Type.Null) return
      const valid = Column.validity(arg!)
      if (arg!.values instanceof BigInt64Array) {
        // Int64 values read as Numbers (hi · 2^32 + unsigned lo: the same value a cast to Float64 gives)
        const w = words64(arg!)
        for (let i = 0; i < groups.length; i++) {
          const g = groups[i]!
          if (g >= 0 && isValidAt(valid, i)) {
            sums[g]! += int64At(w, i)
            counts[g]!++
          }
        }
        return
      }
      const v = arg!.values as Float64Array
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i]!
        if (g >= 0 && isValidAt(valid, i)) {
          sums[g]! += v[i]!
          counts[g]!++
        }
      }
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
  let floats: Float64Array = new Float64Array(16)
  let words: Int32Array = new Int32Array(16)
  // strings: per group [start, end) into an arena; per batch the best row of each touched group
  let starts: Int32Array = new Int32Array(16)
  let ends: Int32Array = new Int32Array(16)
  let arena: Uint8Array = new Uint8Array(256)
  let used = 0
  let garbage = 0
  let batchBest: Int32Array = new Int32Array(16).fill(-1)

  const ensure = (n: number) => {
    seen = growU8(seen, n)
    if (kind === "f64") floats = growF64(floats, n)
    else if (kind === "i64") words = growI32(words, 2 * n)
    else if (kind === "i32" || kind === "bool") words = growI32(words, n)
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

  const add = (groups: Int32Array, data: Arrow.Data, groupCount: number) => {
    ensure(groupCount)
    if (data.typeId === Arrow.Type.Null || kind === "null") return
    const valid = Column.validity(data)
    const n = groups.length
    switch (kind) {
      case "f64": {
        const v = data.values as Float64Array
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g < 0 || !isValidAt(valid, i)) continue
          const x = v[i]!
          if (seen[g] === 0) {
            floats[g] = x
            seen[g] = 1
            continue
          }
          const cur = floats[g]!
          const better = isMax ? x > cur || (x !== x && cur === cur) : x < cur || (cur !== cur && x === x)
          if (better) floats[g] = x
        }
        return
      }
      case "i64": {
        const w = words64(data)
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g < 0 || !isValidAt(valid, i)) continue
          const h = w[2 * i + 1]!, l = w[2 * i]! >>> 0
          if (seen[g] !== 0) {
            const ch = words[2 * g + 1]!, cl = words[2 * g]! >>> 0
            const c = h !== ch ? h - ch : l - cl
            if (isMax ? c <= 0 : c >= 0) continue
          }
          words[2 * g] = l | 0
          words[2 * g + 1] = h
          seen[g] = 1
        }
        return
      }
      case "i32":
      case "bool": {
        const bits = kind === "bool" ? Column.boolBits(data as Arrow.Data<Arrow.Bool>) : undefined
        const v = kind === "i32" ? (data.values as Int32Array) : undefined
        for (let i = 0; i < n; i++) {
          const g = groups[i]!
          if (g < 0 || !isValidAt(valid, i)) continue
          const x = bits !== undefined ? (bits[i >> 3]! >> (i & 7)) & 1 : v![i]!
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
    update: (groups, arg, groupCount) => add(groups, arg!, groupCount),
    merge: (groups, [state], groupCount) => add(groups, state!, groupCount),
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
