/**
 * The name-resolution scope of a frame: its physical schema plus the bookkeeping the
 * resolver needs (hidden on-demand columns, columns whose type conflicts across labels).
 *
 * @internal
 */
import * as DataType from "../../Engine/DataType.js"
import { AmbiguousColumn, ColumnNotFound, type ExecutionError, TypeMismatch } from "../../Engine/ExecutionError.js"
import { unchecked } from "../../Engine/Expr.js"
import { type Entity, Field, PhysicalSchema } from "../../Engine/PhysicalSchema.js"

/** Thrown inside the resolver and turned into a typed failure at its boundary. */
export class ResolveFailure {
  constructor(readonly error: ExecutionError) {}
}

/** Fails resolution with a typed error. */
export const fail = (error: ExecutionError): never => {
  throw new ResolveFailure(error)
}

/** A frame's scope during resolution. */
export interface Scope {
  readonly schema: PhysicalSchema
  /** Full names of columns present in batches but not visible in the output (`_labels` read on demand). */
  readonly hidden: ReadonlySet<string>
  /** Columns of a label-less scan whose types do not unify across labels: the error to raise when referenced or output. */
  readonly conflicts: ReadonlyMap<string, { readonly field: string; readonly error: TypeMismatch }>
}

/** A scope with no hidden columns and no conflicts. */
export const plain = (schema: PhysicalSchema): Scope => ({ schema, hidden: new Set(), conflicts: new Map() })

/** Visible column names. */
export const visibleNames = (scope: Scope): ReadonlyArray<string> =>
  scope.schema.fields.filter((f) => !scope.hidden.has(f.name)).map((f) => f.name)

/** Resolves a column reference to an exact full column name (SEMANTICS §3). */
export const resolveColumn = (name: string, scope: Scope): string => {
  const fields = scope.schema.fields
  if (fields.some((f) => f.name === name)) return name
  const conflict = scope.conflicts.get(name)
  if (conflict !== undefined) return fail(conflict.error)
  const candidates = fields.filter((f) => f.qualifier !== undefined && f.field === name).map((f) => f.name)
  const conflicting = [...scope.conflicts.entries()].filter(([, c]) => c.field === name)
  if (candidates.length + conflicting.length > 1) {
    return fail(new AmbiguousColumn({ column: name, candidates: [...candidates, ...conflicting.map(([n]) => n)] }))
  }
  if (candidates.length === 1) return candidates[0]!
  if (conflicting.length === 1) return fail(conflicting[0]![1].error)
  if (scope.schema.entity(name) !== undefined) {
    return fail(
      new TypeMismatch({
        expected: "a value column",
        actual: `entity ${name}`,
        expression: `${name} (use id(${name}), labels(${name}) or type(${name}), or a column such as ${name}._id)`
      })
    )
  }
  return fail(new ColumnNotFound({ column: name, available: visibleNames(scope) }))
}

/**
 * The entities still bound after the columns changed: an entity stays bound while its
 * `q._id` column is present under its qualifier. The anchor stays when its entity does,
 * otherwise it moves to the most recently bound node left (or none).
 */
export const retainEntities = (
  fields: ReadonlyArray<Field>,
  entities: ReadonlyArray<Entity>,
  anchor: string | undefined
): { entities: ReadonlyArray<Entity>; anchor: string | undefined } => {
  const kept = entities.filter((e) =>
    fields.some((f) => f.qualifier === e.qualifier && f.field === "_id" && f.name === `${e.qualifier}._id`)
  )
  if (anchor !== undefined && kept.some((e) => e.qualifier === anchor)) return { entities: kept, anchor }
  const nodes = kept.filter((e) => e.kind === "node")
  return { entities: kept, anchor: nodes.length > 0 ? nodes[nodes.length - 1]!.qualifier : undefined }
}

/** Builds a schema whose entity list follows {@link retainEntities}. */
export const schemaWith = (fields: ReadonlyArray<Field>, previous: PhysicalSchema): PhysicalSchema => {
  const { anchor, entities } = retainEntities(fields, previous.entities, previous.anchor)
  return new PhysicalSchema(
    anchor === undefined ? { fields, entities } : { fields, entities, anchor }, unchecked
  )
}

/** A computed (unqualified) field. */
export const computedField = (name: string, dataType: DataType.DataType): Field =>
  new Field({ name, field: name, dataType }, unchecked)

/** A field with a new type. */
export const retype = (field: Field, dataType: DataType.DataType): Field =>
  new Field(
    field.qualifier === undefined
      ? { name: field.name, field: field.field, dataType }
      : { name: field.name, qualifier: field.qualifier, field: field.field, dataType }, unchecked
  )
