/**
 * The immutable, lazy query frame (SEMANTICS §3, §5, §10). Every method returns a new
 * Frame wrapping a new LogicalPlan node; nothing runs before `collect` / `stream` /
 * `count` / `explain`, which only need the `Runtime` service.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import * as Expr from "../Engine/Expr.js"
import type { Direction } from "../Engine/PhysicalPlan.js"
import * as LogicalPlan from "./LogicalPlan.js"
import { type ExplainOptions, type RunOptions, Runtime } from "./Runtime.js"

/** An item of `select`: a column name, an expression, or `{ outputName: exprOrColumnName }`. */
export type SelectItem = string | Expr.Expr | Readonly<Record<string, Expr.Expr | string>>

/** A sort key: a SortKey, or an expression / column name (ascending). */
export type OrderItem = Expr.SortKey | Expr.Expr | string

/** Options of a binary expand. */
export interface ExpandOptions {
  /** Keep only targets carrying this label; also the target's default qualifier. */
  readonly to?: string | undefined
  /** The target's qualifier. */
  readonly as?: string | undefined
  /** The edge's qualifier (default: the edge label). */
  readonly edgeAs?: string | undefined
  /** Default `out`. */
  readonly direction?: Direction | undefined
  /** `k` hops, or every path length in `[min, max]`; default 1. */
  readonly hops?: number | readonly [number, number] | undefined
}

/** Options of a role expand. */
export interface ExpandRoleOptions {
  /** From a node anchor: the role the anchor is bound under. Absent: expand from the frame's hyperedge. */
  readonly fromRole?: string | undefined
  /** Hyperedge label (from a node anchor). */
  readonly edgeLabel?: string | undefined
  readonly to?: string | undefined
  readonly as?: string | undefined
  readonly edgeAs?: string | undefined
  /** Keep unmatched input rows once with NULL new columns. */
  readonly optional?: boolean | undefined
}

const toColumnExpr = (item: Expr.Expr | string): Expr.Expr => (typeof item === "string" ? Expr.col(item) : item)

const isExpr = (value: unknown): value is Expr.Expr =>
  typeof value === "object" && value !== null && "_tag" in value

const validCount = (n: number | undefined): boolean => n === undefined || (Number.isSafeInteger(n) && n >= 0)

/** The result of `groupBy`: call `agg` to finish it. */
export class GroupedFrame {
  constructor(readonly frame: Frame, readonly keys: ReadonlyArray<Expr.Expr>) {}
  /** One row per group: the keys, then one column per aggregate. */
  agg(aggregates: Readonly<Record<string, Expr.Expr>>): Frame {
    return new Frame(
      new LogicalPlan.Aggregate({
        input: this.frame.plan,
        keys: this.keys,
        aggregates: Object.entries(aggregates).map(([name, e]) => new Expr.Alias({ operand: e, name }))
      })
    )
  }
}

/** An immutable, lazy frame over a logical plan. */
export class Frame {
  constructor(readonly plan: LogicalPlan.LogicalPlan) {}

  /** Keeps rows whose predicate is TRUE. */
  filter(predicate: Expr.ExprLike): Frame {
    return new Frame(new LogicalPlan.Filter({ input: this.plan, predicate: Expr.toExpr(predicate) }))
  }

  /** Alias of {@link filter}. */
  where(predicate: Expr.ExprLike): Frame {
    return this.filter(predicate)
  }

  /** Exactly these output columns. */
  select(...items: ReadonlyArray<SelectItem>): Frame {
    const exprs = items.flatMap((item): ReadonlyArray<Expr.Expr> => {
      if (typeof item === "string") return [Expr.col(item)]
      if (isExpr(item)) return [item]
      return Object.entries(item).map(([name, e]) => new Expr.Alias({ operand: toColumnExpr(e), name }))
    })
    return new Frame(new LogicalPlan.Project({ input: this.plan, exprs }))
  }

  /** Every column plus `name` (replacing a column of that name). */
  withColumn(name: string, expr: Expr.ExprLike): Frame {
    return new Frame(
      new LogicalPlan.WithColumns({ input: this.plan, exprs: [new Expr.Alias({ operand: Expr.toExpr(expr), name })] })
    )
  }

  /** Renames columns: `rename({ "p.name": "name" })` or `rename("p.name", "name")`. */
  rename(mapping: Readonly<Record<string, string>> | string, to?: string): Frame {
    const pairs = typeof mapping === "string" ? [[mapping, to ?? mapping] as const] : Object.entries(mapping)
    return new Frame(
      new LogicalPlan.Rename({
        input: this.plan,
        renamings: pairs.map(([from, t]) => new LogicalPlan.Renaming({ from, to: t }))
      })
    )
  }

  /** Groups by keys (names or expressions); finish with `.agg({...})`. */
  groupBy(...keys: ReadonlyArray<Expr.Expr | string>): GroupedFrame {
    return new GroupedFrame(this, keys.map(toColumnExpr))
  }

  /** Aggregates the whole frame into exactly one row. */
  agg(aggregates: Readonly<Record<string, Expr.Expr>>): Frame {
    return new GroupedFrame(this, []).agg(aggregates)
  }

  /** Stable sort; names and expressions sort ascending. */
  orderBy(...keys: ReadonlyArray<OrderItem>): Frame {
    return new Frame(
      new LogicalPlan.Sort({
        input: this.plan,
        keys: keys.map((k) => (k instanceof Expr.SortKey ? k : new Expr.SortKey({ expr: toColumnExpr(k), descending: false })))
      })
    )
  }

  /** At most `n` rows of this frame. */
  limit(n: number): Frame {
    const p = this.plan
    if (p._tag === "Limit" && validCount(n) && validCount(p.limit) && validCount(p.offset)) {
      const limit = p.limit === undefined ? n : Math.min(p.limit, n)
      return new Frame(new LogicalPlan.Limit({ input: p.input, offset: p.offset, limit }))
    }
    return new Frame(new LogicalPlan.Limit({ input: p, offset: 0, limit: n }))
  }

  /** Skips the first `n` rows of this frame. */
  offset(n: number): Frame {
    const p = this.plan
    if (p._tag === "Limit" && validCount(n) && validCount(p.limit) && validCount(p.offset)) {
      return new Frame(
        new LogicalPlan.Limit({
          input: p.input,
          offset: p.offset + n,
          ...(p.limit === undefined ? {} : { limit: Math.max(p.limit - n, 0) })
        })
      )
    }
    return new Frame(new LogicalPlan.Limit({ input: p, offset: n }))
  }

  /** Rows of both frames without duplicates (same column names required). */
  union(other: Frame): Frame {
    return new Frame(new LogicalPlan.Union({ left: this.plan, right: other.plan, distinct: true }))
  }

  /** Rows of both frames, duplicates kept. */
  unionAll(other: Frame): Frame {
    return new Frame(new LogicalPlan.Union({ left: this.plan, right: other.plan, distinct: false }))
  }

  /** Removes duplicate rows, comparing every column. */
  distinct(): Frame {
    return new Frame(new LogicalPlan.Distinct({ input: this.plan }))
  }

  /** Binary expand from the anchor node over edges of `edgeLabel` (any when absent). */
  expand(edgeLabel?: string, options: ExpandOptions = {}): Frame {
    return this.expandWith(edgeLabel, options, false)
  }

  /** Like {@link expand}, but keeps unmatched rows once with NULL new columns. */
  optionalExpand(edgeLabel?: string, options: ExpandOptions = {}): Frame {
    return this.expandWith(edgeLabel, options, true)
  }

  /** Role expand: entities bound under `toRole` (see `LogicalPlan.RoleExpand`). */
  expandRole(toRole: string, options: ExpandRoleOptions = {}): Frame {
    return new Frame(
      new LogicalPlan.RoleExpand({
        input: this.plan,
        toRole,
        optional: options.optional ?? false,
        ...(options.edgeLabel === undefined ? {} : { edgeLabel: options.edgeLabel }),
        ...(options.fromRole === undefined ? {} : { fromRole: options.fromRole }),
        ...(options.to === undefined ? {} : { to: options.to }),
        ...(options.as === undefined ? {} : { alias: options.as }),
        ...(options.edgeAs === undefined ? {} : { edgeAlias: options.edgeAs })
      })
    )
  }

  private expandWith(edgeLabel: string | undefined, options: ExpandOptions, optional: boolean): Frame {
    const hops = options.hops ?? 1
    const [minHops, maxHops] = typeof hops === "number" ? [hops, hops] : hops
    return new Frame(
      new LogicalPlan.Expand({
        input: this.plan,
        direction: options.direction ?? "out",
        minHops,
        maxHops,
        optional,
        ...(edgeLabel === undefined ? {} : { edgeLabel }),
        ...(options.to === undefined ? {} : { to: options.to }),
        ...(options.as === undefined ? {} : { alias: options.as }),
        ...(options.edgeAs === undefined ? {} : { edgeAlias: options.edgeAs })
      })
    )
  }

  /** Runs the query and streams its batches. */
  stream(options?: RunOptions): Stream.Stream<Arrow.RecordBatch, ExecutionError, Runtime> {
    return Stream.unwrap(Effect.map(Runtime, (runtime) => runtime.execute(this.plan, options)))
  }

  /** Runs the query into one Arrow Table (with the output schema, also when empty). */
  collect(options?: RunOptions): Effect.Effect<Arrow.Table, ExecutionError, Runtime> {
    return Effect.map(Stream.runCollect(this.stream(options)), (chunk) => {
      const batches = Chunk.toReadonlyArray(chunk)
      return batches.length === 0 ? new Arrow.Table() : new Arrow.Table(batches[0]!.schema, [...batches])
    })
  }

  /** The number of rows of this frame. */
  count(options?: RunOptions): Effect.Effect<number, ExecutionError, Runtime> {
    return Effect.map(this.agg({ count: Expr.count() }).collect(options), (table) => {
      const value = table.getChild("count")?.get(0)
      return value === undefined || value === null ? 0 : Number(value)
    })
  }

  /** The logical, optimized and physical plans; with `analyze`, also runs the query and adds metrics. */
  explain(options?: ExplainOptions): Effect.Effect<string, ExecutionError, Runtime> {
    return Effect.flatMap(Runtime, (runtime) => runtime.explain(this.plan, options))
  }
}
