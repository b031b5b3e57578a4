/**
 * The schema of the batches an operator emits: Arrow fields plus entity qualifiers
 * (SEMANTICS §3). Column names are `qualifier.field` for entity columns and the output
 * name for computed ones.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Schema from "effect/Schema"
import * as DataType from "./DataType.js"

/** One column: its full name, the entity qualifier and field it belongs to (if any), and its type. */
export class Field extends Schema.Class<Field>("Field")({
  name: Schema.String,
  qualifier: Schema.optional(Schema.String),
  field: Schema.String,
  dataType: DataType.DataType
}) {}

/** The kinds of entity a qualifier can bind. */
export const EntityKind = Schema.Literal("node", "hyperedge")
/** @see EntityKind */
export type EntityKind = typeof EntityKind.Type

/** An entity bound in a frame: its qualifier, kind and the labels it was bound with (empty: any label). */
export class Entity extends Schema.Class<Entity>("Entity")({
  qualifier: Schema.String,
  kind: EntityKind,
  labels: Schema.Array(Schema.String)
}) {}

/** Columns and bound entities of a frame; `anchor` is the qualifier of the most recently bound node (expand starts there). */
export class PhysicalSchema extends Schema.Class<PhysicalSchema>("PhysicalSchema")({
  fields: Schema.Array(Field),
  entities: Schema.Array(Entity),
  anchor: Schema.optional(Schema.String)
}) {
  /** Column names in order. */
  get names(): ReadonlyArray<string> {
    return this.fields.map((f) => f.name)
  }
  /** Index of a column by full name, or -1. */
  indexOf(name: string): number {
    return this.fields.findIndex((f) => f.name === name)
  }
  /** A column by full name. */
  field(name: string): Field | undefined {
    return this.fields.find((f) => f.name === name)
  }
  /** An entity by qualifier. */
  entity(qualifier: string): Entity | undefined {
    return this.entities.find((e) => e.qualifier === qualifier)
  }
  /** The Arrow schema of batches with this physical schema. */
  toArrow(): Arrow.Schema {
    return new Arrow.Schema(this.fields.map((f) => new Arrow.Field(f.name, DataType.toArrow(f.dataType), true)))
  }
}

/** A schema of plain computed columns, with no entities. */
export const fromColumns = (columns: ReadonlyArray<readonly [name: string, type: DataType.DataType]>): PhysicalSchema =>
  new PhysicalSchema({
    fields: columns.map(([name, dataType]) => new Field({ name, field: name, dataType })),
    entities: []
  })

/** An empty schema. */
export const empty: PhysicalSchema = new PhysicalSchema({ fields: [], entities: [] })
