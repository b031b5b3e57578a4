/**
 * Scan schemas from the catalog (SEMANTICS §3, §10).
 *
 * - node scan: `_id` Int64, `_label` String, [`_labels` List<String> on demand], then the
 *   properties sorted by name with their catalog types;
 * - hyperedge scan: `_id`, `_label`, `_arity` Int64, then properties;
 * - binary edges view (`binaryOnly`): the hyperedge columns `_id`, `_label`, `_arity`, then
 *   `_source` and `_target` (Int64 node ids), then properties.
 * A label-less scan unifies each property over every label of its kind; a property whose
 * types do not unify is left out of the fields and recorded as a conflict, raised only when
 * the column is referenced or output. An unknown label has only the system columns.
 *
 * @internal
 */
import * as DataType from "../../Engine/DataType.js"
import { ColumnNotFound, TypeMismatch } from "../../Engine/ExecutionError.js"
import { unchecked } from "../../Engine/Expr.js"
import { Field } from "../../Engine/PhysicalSchema.js"
import type { Catalog, LabelInfo } from "../../Engine/Storage.js"
import { fail } from "./scope.js"

/** The fields of a scan of `kind` before qualification, plus conflicting properties. */
export interface ScanFields {
  readonly fields: ReadonlyArray<readonly [field: string, type: DataType.DataType]>
  readonly conflicts: ReadonlyArray<{ readonly field: string; readonly error: TypeMismatch }>
}

const systemFields = (
  kind: "node" | "hyperedge" | "edge",
  withLabels: boolean
): ReadonlyArray<readonly [string, DataType.DataType]> => {
  switch (kind) {
    case "node":
      return withLabels
        ? [["_id", DataType.Int64], ["_label", DataType.String], ["_labels", DataType.List(DataType.String)]]
        : [["_id", DataType.Int64], ["_label", DataType.String]]
    case "hyperedge":
      return [["_id", DataType.Int64], ["_label", DataType.String], ["_arity", DataType.Int64]]
    case "edge":
      return [
        ["_id", DataType.Int64],
        ["_label", DataType.String],
        ["_arity", DataType.Int64],
        ["_source", DataType.Int64],
        ["_target", DataType.Int64]
      ]
  }
}

/** Unified property types over some labels; incompatible ones become conflicts naming the labels. */
export const unifyProperties = (
  labels: ReadonlyArray<LabelInfo>,
  describe: (field: string) => string
): ScanFields => {
  const types = new Map<string, { type: DataType.DataType; label: string } | { conflict: TypeMismatch }>()
  for (const info of labels) {
    for (const [name, type] of info.properties) {
      const seen = types.get(name)
      if (seen === undefined) {
        types.set(name, { type, label: info.label })
      } else if ("type" in seen) {
        const unified = DataType.unify(seen.type, type)
        if (unified === undefined) {
          types.set(name, {
            conflict: new TypeMismatch({
              expected: `${DataType.display(seen.type)} (label ${seen.label})`,
              actual: `${DataType.display(type)} (label ${info.label})`,
              expression: describe(name)
            })
          })
        } else {
          types.set(name, { type: unified, label: seen.label })
        }
      }
    }
  }
  const fields: Array<readonly [string, DataType.DataType]> = []
  const conflicts: Array<{ field: string; error: TypeMismatch }> = []
  for (const name of [...types.keys()].sort()) {
    const t = types.get(name)!
    if ("type" in t) fields.push([name, t.type])
    else conflicts.push({ field: name, error: t.conflict })
  }
  return { fields, conflicts }
}

/** The labels a scan reads from the catalog. */
const labelInfos = (
  catalog: Catalog,
  kind: "node" | "hyperedge" | "edge",
  label: string | undefined
): ReadonlyArray<LabelInfo> => {
  const map = kind === "node" ? catalog.nodeLabels : catalog.hyperedgeLabels
  if (label !== undefined) {
    const info = map.get(label)
    return info === undefined ? [] : [info]
  }
  const all = [...map.values()]
  return kind === "edge" ? all.filter((l) => "binaryCount" in l && (l as { binaryCount: number }).binaryCount > 0) : all
}

/** Full list of fields of a scan (system + properties), with `_labels` when asked. */
export const scanFields = (
  catalog: Catalog,
  kind: "node" | "hyperedge" | "edge",
  label: string | undefined,
  qualifier: string,
  withLabels: boolean
): ScanFields => {
  const props = unifyProperties(labelInfos(catalog, kind, label), (f) => `${qualifier}.${f} over all ${kind} labels`)
  return { fields: [...systemFields(kind, withLabels), ...props.fields], conflicts: props.conflicts }
}

/** The qualified fields of a scan restricted to `columns` (in the order given). */
export const selectColumns = (
  all: ScanFields,
  kind: "node" | "hyperedge" | "edge",
  qualifier: string,
  columns: ReadonlyArray<string> | undefined
): ReadonlyArray<Field> => {
  const qualify = ([field, dataType]: readonly [string, DataType.DataType]) =>
    new Field({ name: `${qualifier}.${field}`, qualifier, field, dataType }, unchecked)
  if (columns === undefined) return all.fields.map(qualify)
  return columns.map((c) => {
    const found = all.fields.find(([f]) => f === c)
    if (found !== undefined) return qualify(found)
    if (kind === "node" && c === "_labels") return qualify(["_labels", DataType.List(DataType.String)])
    const conflict = all.conflicts.find((x) => x.field === c)
    if (conflict !== undefined) return fail(conflict.error)
    return fail(new ColumnNotFound({ column: `${qualifier}.${c}`, available: all.fields.map(([f]) => `${qualifier}.${f}`) }))
  })
}
