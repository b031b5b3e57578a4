/**
 * Every way a query can fail, as one tagged union (SEMANTICS §7).
 *
 * Each variant is a `Schema.TaggedError` with the fields a user needs and a readable
 * `message`. `ExecutionError` is both the union type and a `Schema.Union`, so an error
 * can be encoded in one process (a worker) and decoded in another as the same class.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/** A column reference that matches no visible column. */
export class ColumnNotFound extends Schema.TaggedError<ColumnNotFound>()("ColumnNotFound", {
  column: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  get message(): string {
    return `Column not found: ${this.column}. Available columns: ${this.available.join(", ") || "(none)"}`
  }
}

/** An unqualified column reference that matches more than one visible column. */
export class AmbiguousColumn extends Schema.TaggedError<AmbiguousColumn>()("AmbiguousColumn", {
  column: Schema.String,
  candidates: Schema.Array(Schema.String)
}) {
  get message(): string {
    return `Ambiguous column: ${this.column} could be any of ${this.candidates.join(", ")}; qualify it`
  }
}

/** An expression whose operand types do not fit (SEMANTICS §2). */
export class TypeMismatch extends Schema.TaggedError<TypeMismatch>()("TypeMismatch", {
  expected: Schema.String,
  actual: Schema.String,
  expression: Schema.String
}) {
  get message(): string {
    return `Type mismatch in ${this.expression}: expected ${this.expected}, got ${this.actual}`
  }
}

/** Why a plan is invalid. */
export const InvalidPlanReason = Schema.Literal(
  "MissingAlias",
  "DuplicateQualifier",
  "DuplicateColumn",
  "InvalidLimit",
  "InvalidExpand",
  "HopLimitExceeded",
  "UnknownFunction",
  "AggregateMisuse",
  "InvalidArgument",
  "UnionMismatch",
  "MalformedPlan"
)
/** @see InvalidPlanReason */
export type InvalidPlanReason = typeof InvalidPlanReason.Type

/** A query or plan that cannot run as written; `reason` says which rule it broke. */
export class InvalidPlan extends Schema.TaggedError<InvalidPlan>()("InvalidPlan", {
  reason: InvalidPlanReason,
  detail: Schema.String
}) {
  get message(): string {
    return `Invalid plan (${this.reason}): ${this.detail}`
  }
}

/** Graph input refused by storage; nothing was changed. */
export class InvalidGraphData extends Schema.TaggedError<InvalidGraphData>()("InvalidGraphData", {
  entity: Schema.String,
  detail: Schema.String
}) {
  get message(): string {
    return `Invalid graph data at ${this.entity}: ${this.detail}`
  }
}

/** An Int64 division or modulo by zero. */
export class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", {
  expression: Schema.String
}) {
  get message(): string {
    return `Division by zero in ${this.expression}`
  }
}

/** An Int64 result outside the 64-bit range. */
export class ArithmeticOverflow extends Schema.TaggedError<ArithmeticOverflow>()("ArithmeticOverflow", {
  expression: Schema.String
}) {
  get message(): string {
    return `Int64 overflow in ${this.expression}`
  }
}

/** A snapshot id the storage does not hold. */
export class SnapshotNotFound extends Schema.TaggedError<SnapshotNotFound>()("SnapshotNotFound", {
  snapshot: Schema.Number
}) {
  get message(): string {
    return `Snapshot not found: ${this.snapshot}`
  }
}

/** The storage backend failed (I/O, corruption). */
export class StorageFailure extends Schema.TaggedError<StorageFailure>()("StorageFailure", {
  operation: Schema.String,
  cause: Schema.Defect
}) {
  get message(): string {
    return `Storage failure during ${this.operation}: ${String(this.cause)}`
  }
}

/** A memory reservation that would pass the pool's limit. */
export class MemoryExceeded extends Schema.TaggedError<MemoryExceeded>()("MemoryExceeded", {
  operator: Schema.String,
  requested: Schema.Number,
  reserved: Schema.Number,
  limit: Schema.Number
}) {
  get message(): string {
    return `Memory limit exceeded in ${this.operator}: requested ${this.requested} bytes with ${this.reserved} reserved, limit ${this.limit} bytes`
  }
}

/** The closed set of reasons a distributed task can fail. */
export const FailureKind = Schema.Literal(
  "STAGE_ERROR",
  "WORKER_DIED",
  "INPUT_LOST",
  "OOM",
  "CANCELLED",
  "BRIDGE_DIED"
)
/** @see FailureKind */
export type FailureKind = typeof FailureKind.Type

/** A worker process or bridge failed in a way retries could not mend. */
export class WorkerFailure extends Schema.TaggedError<WorkerFailure>()("WorkerFailure", {
  kind: FailureKind,
  detail: Schema.String
}) {
  get message(): string {
    return `Worker failure (${this.kind}): ${this.detail}`
  }
}

/** Schema of the errors that may be carried as the cause of a failed stage. */
const StageCause = Schema.suspend((): Schema.Schema<ExecutionError, ExecutionErrorEncoded> => ExecutionError)

/** A stage of a distributed query failed; `cause` is the typed error of the failing task. */
export class StageFailed extends Schema.TaggedError<StageFailed>()("StageFailed", {
  stage: Schema.Number,
  partition: Schema.Number,
  attempts: Schema.Number,
  cause: StageCause
}) {
  get message(): string {
    return `Stage ${this.stage} partition ${this.partition} failed after ${this.attempts} attempt(s): ${this.cause.message}`
  }
}

/** Every failure of a query. */
export type ExecutionError =
  | ColumnNotFound
  | AmbiguousColumn
  | TypeMismatch
  | InvalidPlan
  | InvalidGraphData
  | DivisionByZero
  | ArithmeticOverflow
  | SnapshotNotFound
  | StorageFailure
  | MemoryExceeded
  | WorkerFailure
  | StageFailed

/** The JSON form of an {@link ExecutionError}. */
export type ExecutionErrorEncoded = { readonly _tag: ExecutionError["_tag"] } & Record<string, unknown>

/** Schema of {@link ExecutionError}: encode in one process, decode in another to the same class. */
export const ExecutionError: Schema.Schema<ExecutionError, ExecutionErrorEncoded> = Schema.Union(
  ColumnNotFound,
  AmbiguousColumn,
  TypeMismatch,
  InvalidPlan,
  InvalidGraphData,
  DivisionByZero,
  ArithmeticOverflow,
  SnapshotNotFound,
  StorageFailure,
  MemoryExceeded,
  WorkerFailure,
  StageFailed
) as any

/** Shorthand for an `InvalidPlan` error. */
export const invalidPlan = (reason: InvalidPlanReason, detail: string): InvalidPlan =>
  new InvalidPlan({ reason, detail })
