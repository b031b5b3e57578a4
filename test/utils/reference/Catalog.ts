/**
 * The reference evaluator's own view of a graph: entities with their labels and raw
 * properties, and the type of every (label, property) decided over the whole graph
 * (SEMANTICS §2, §10). Independent of the engine's storage.
 */
import * as DataType from "../../../src/Engine/DataType.js"
import type { GraphInput, PropertyValue } from "../../../src/Engine/Storage.js"
import type { Value } from "./Values.js"

/** A node or hyperedge of the reference graph. */
export interface RefEntity {
  readonly kind: "node" | "hyperedge"
  readonly id: bigint
  readonly labels: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, PropertyValue>>
  /** Hyperedges only: role bindings in order. */
  readonly bindings: ReadonlyArray<{ readonly role: string; readonly kind: "node" | "hyperedge"; readonly id: bigint }>
}

/** A property type, or the reason two labels disagree. */
export type PropertyType = { readonly type: DataType.DataType } | { readonly conflict: string }

/** The reference graph. */
export interface RefGraph {
  readonly nodes: ReadonlyArray<RefEntity>
  readonly hyperedges: ReadonlyArray<RefEntity>
  /** node label → property → type */
  readonly nodeTypes: ReadonlyMap<string, ReadonlyMap<string, DataType.DataType>>
  /** hyperedge label → property → type */
  readonly hyperedgeTypes: ReadonlyMap<string, ReadonlyMap<string, DataType.DataType>>
}

const valueType = (v: PropertyValue): DataType.DataType => {
  if (v === null) return DataType.Null
  if (typeof v === "boolean") return DataType.Bool
  if (typeof v === "bigint") return DataType.Int64
  if (typeof v === "number") return Number.isInteger(v) ? DataType.Int64 : DataType.Float64
  if (typeof v === "string") return DataType.String
  if (v instanceof Date) return DataType.Timestamp
  if (v instanceof Float32Array) return DataType.Vector(v.length)
  let element: DataType.DataType = DataType.Null
  for (const x of v as ReadonlyArray<PropertyValue>) element = DataType.unify(element, valueType(x)) ?? element
  return DataType.List(element)
}

const typesOf = (entities: ReadonlyArray<RefEntity>): Map<string, Map<string, DataType.DataType>> => {
  const out = new Map<string, Map<string, DataType.DataType>>()
  for (const e of entities) {
    for (const label of e.labels) {
      let props = out.get(label)
      if (props === undefined) out.set(label, (props = new Map()))
      for (const [key, v] of Object.entries(e.properties)) {
        const prev = props.get(key) ?? DataType.Null
        const next = DataType.unify(prev, valueType(v))
        if (next === undefined) throw new Error(`reference: graph mixes types in ${label}.${key}`)
        props.set(key, next)
      }
    }
  }
  return out
}

/** Builds the reference graph from JS input. */
export const make = (graph: GraphInput): RefGraph => {
  const nodes: Array<RefEntity> = (graph.nodes ?? []).map((n) => ({
    kind: "node",
    id: BigInt(n.id),
    labels: n.labels,
    properties: n.properties ?? {},
    bindings: []
  }))
  const hyperedges: Array<RefEntity> = [
    ...(graph.edges ?? []).map((e): RefEntity => ({
      kind: "hyperedge",
      id: BigInt(e.id),
      labels: [e.label],
      properties: e.properties ?? {},
      bindings: [
        { role: "source", kind: "node", id: BigInt(e.source) },
        { role: "target", kind: "node", id: BigInt(e.target) }
      ]
    })),
    ...(graph.hyperedges ?? []).map((h): RefEntity => ({
      kind: "hyperedge",
      id: BigInt(h.id),
      labels: [h.label],
      properties: h.properties ?? {},
      bindings: h.bindings.map((b) =>
        "node" in b
          ? { role: b.role, kind: "node" as const, id: BigInt(b.node) }
          : { role: b.role, kind: "hyperedge" as const, id: BigInt(b.hyperedge) }
      )
    }))
  ]
  return { nodes, hyperedges, nodeTypes: typesOf(nodes), hyperedgeTypes: typesOf(hyperedges) }
}

/**
 * Property columns of a scan over `labels` (every label when undefined): name → type, or
 * a conflict when two labels disagree (reported only when the column is used, §10).
 */
export const scanProperties = (
  types: ReadonlyMap<string, ReadonlyMap<string, DataType.DataType>>,
  label: string | undefined
): Map<string, PropertyType> => {
  const out = new Map<string, PropertyType>()
  const labels = label === undefined ? [...types.keys()] : types.has(label) ? [label] : []
  for (const l of labels) {
    for (const [prop, type] of types.get(l)!) {
      const prev = out.get(prop)
      if (prev === undefined) out.set(prop, { type })
      else if ("type" in prev) {
        const unified = DataType.unify(prev.type, type)
        out.set(
          prop,
          unified === undefined
            ? { conflict: `${prop}: ${DataType.display(prev.type)} vs ${DataType.display(type)} across labels` }
            : { type: unified }
        )
      }
    }
  }
  return out
}

/** Converts a raw property value to a value of the column's type. */
export const convert = (v: PropertyValue | undefined, type: DataType.DataType): Value => {
  if (v === undefined || v === null) return null
  switch (type._tag) {
    case "Int64":
      return typeof v === "bigint" ? v : BigInt(v as number)
    case "Float64":
      return Number(v as number | bigint)
    case "Timestamp":
      return v instanceof Date ? v.getTime() : (v as number)
    case "List": {
      const element = type.element
      return (v as ReadonlyArray<PropertyValue>).map((x) => convert(x, element))
    }
    case "Vector":
      return Array.from(v as Float32Array)
    case "Null":
      return null
    default:
      return v as Value
  }
}
