/**
 * Chunks from graph input: JS objects (grouped by label set / label, input order kept
 * within a group) and Arrow tables (zero-copy where the column is already stored as Grism
 * stores it). Checks each entity on its own; checks across entities (duplicate ids,
 * dangling bindings, types per label) happen at commit.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import { InvalidGraphData } from "../../Engine/ExecutionError.js"
import type { ArrowGraphInput, EdgeInput, GraphInput, HyperedgeInput, NodeInput, Properties } from "../../Engine/Storage.js"
import { buildColumn, dictionaryEncode, inferType, normalizeArrow } from "./columns.js"
import type { HyperedgeChunk, NodeChunk, StoredColumn, Topology } from "./snapshot.js"

/** Field names reserved for system columns. */
export const SYSTEM_FIELDS: ReadonlySet<string> = new Set(["_id", "_label", "_labels", "_arity", "_source", "_target"])

const fail = (entity: string, detail: string): never => {
  throw new InvalidGraphData({ entity, detail })
}

const MIN = -(2n ** 63n)
const MAX = 2n ** 63n - 1n

/** An id as bigint, or InvalidGraphData. */
export const toId = (id: unknown, entity: string): bigint => {
  if (typeof id === "bigint") {
    if (id < MIN || id > MAX) fail(entity, `id ${id} is outside the Int64 range`)
    return id
  }
  if (typeof id === "number" && Number.isSafeInteger(id)) return BigInt(id)
  return fail(entity, `id must be an integer number or a bigint, got ${String(id)}`)
}

const checkProperties = (properties: Properties | undefined, entity: string): Properties => {
  if (properties === undefined) return {}
  if (properties === null || typeof properties !== "object") return fail(entity, "properties must be an object")
  for (const key of Object.keys(properties)) {
    if (SYSTEM_FIELDS.has(key)) fail(entity, `property name ${key} is reserved for a system field`)
  }
  return properties
}

/** Property columns of a group of entities (union of their keys, first-appearance order). */
const columnsOf = (
  group: ReadonlyArray<Properties>,
  entity: string
): Map<string, StoredColumn> => {
  const names: Array<string> = []
  const seen = new Set<string>()
  for (const p of group) {
    for (const key of Object.keys(p)) {
      if (!seen.has(key)) {
        seen.add(key)
        names.push(key)
      }
    }
  }
  const columns = new Map<string, StoredColumn>()
  for (const name of names) {
    const values = group.map((p) => (Object.prototype.hasOwnProperty.call(p, name) ? p[name] : undefined))
    for (const p of group) {
      if (Object.prototype.hasOwnProperty.call(p, name) && p[name] === undefined) {
        fail(`${entity}, property ${name}`, "undefined is not a property value (use null)")
      }
    }
    const type = inferType(values)
    if (typeof type === "string") fail(`${entity}, property ${name}`, type)
    columns.set(name, { data: dictionaryEncode(buildColumn(values, type as DataType.DataType)), type: type as DataType.DataType })
  }
  return columns
}

const groupBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Array<Array<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) {
    const k = key(item)
    let g = groups.get(k)
    if (g === undefined) groups.set(k, g = [])
    g.push(item)
  }
  return [...groups.values()]
}

const checkLabel = (label: unknown, entity: string): string => {
  if (typeof label !== "string" || label.length === 0) return fail(entity, "a label must be a non-empty string")
  return label
}

/** Node chunks of JS nodes (one chunk per distinct label set). */
export const nodesFromJs = (nodes: ReadonlyArray<NodeInput>): Array<NodeChunk> => {
  for (const n of nodes) {
    const entity = `node ${String(n.id)}`
    toId(n.id, entity)
    if (!Array.isArray(n.labels) || n.labels.length === 0) fail(entity, "a node needs at least one label")
    for (const l of n.labels) checkLabel(l, entity)
    if (new Set(n.labels).size !== n.labels.length) fail(entity, `repeated label in ${n.labels.join(", ")}`)
    checkProperties(n.properties, entity)
  }
  return groupBy(nodes, (n) => n.labels.join("\u0000")).map((group) => {
    const labels = [...group[0]!.labels]
    const ids = new BigInt64Array(group.length)
    group.forEach((n, i) => ids[i] = toId(n.id, "node"))
    return {
      length: group.length,
      ids,
      labels,
      columns: columnsOf(group.map((n) => n.properties ?? {}), `nodes labelled ${labels.join(":")}`)
    }
  })
}

/** Hyperedge chunks of JS binary edges (one chunk per label). */
export const edgesFromJs = (edges: ReadonlyArray<EdgeInput>): Array<HyperedgeChunk> => {
  for (const e of edges) {
    const entity = `edge ${String(e.id)}`
    toId(e.id, entity)
    checkLabel(e.label, entity)
    toId(e.source, `${entity} source`)
    toId(e.target, `${entity} target`)
    checkProperties(e.properties, entity)
  }
  return groupBy(edges, (e) => e.label).map((group) => {
    const n = group.length
    const ids = new BigInt64Array(n)
    const source = new BigInt64Array(n)
    const target = new BigInt64Array(n)
    group.forEach((e, i) => {
      ids[i] = toId(e.id, "edge")
      source[i] = toId(e.source, "edge")
      target[i] = toId(e.target, "edge")
    })
    return {
      length: n,
      ids,
      label: group[0]!.label,
      columns: columnsOf(group.map((e) => e.properties ?? {}), `edges labelled ${group[0]!.label}`),
      topology: { kind: "edges", source, target }
    }
  })
}

/** Hyperedge chunks of JS hyperedges (one chunk per label); binary edges among them are detected. */
export const hyperedgesFromJs = (hyperedges: ReadonlyArray<HyperedgeInput>): Array<HyperedgeChunk> => {
  for (const h of hyperedges) {
    const entity = `hyperedge ${String(h.id)}`
    toId(h.id, entity)
    checkLabel(h.label, entity)
    if (!Array.isArray(h.bindings)) fail(entity, "bindings must be an array")
    if (h.bindings.length < 2) fail(entity, `arity ${h.bindings.length} < 2`)
    for (const b of h.bindings) {
      if (typeof b.role !== "string" || b.role.length === 0) fail(entity, "a role must be a non-empty string")
      if ("node" in b) toId(b.node, `${entity} role ${b.role}`)
      else if ("hyperedge" in b) toId(b.hyperedge, `${entity} role ${b.role}`)
      else fail(entity, `binding ${(b as { role: string }).role} names neither a node nor a hyperedge`)
    }
    checkProperties(h.properties, entity)
  }
  return groupBy(hyperedges, (h) => h.label).map((group) => {
    const n = group.length
    const ids = new BigInt64Array(n)
    const offsets = new Int32Array(n + 1)
    let total = 0
    group.forEach((h, i) => {
      ids[i] = toId(h.id, "hyperedge")
      total += h.bindings.length
      offsets[i + 1] = total
    })
    const roles: Array<string> = []
    const roleIndex = new Map<string, number>()
    const role = new Int32Array(total)
    const isHyperedge = new Uint8Array(total)
    const targetIds = new BigInt64Array(total)
    const binary = new Uint8Array(n)
    const source = new BigInt64Array(n)
    const target = new BigInt64Array(n)
    const binaryRows: Array<number> = []
    group.forEach((h, i) => {
      let k = offsets[i]!
      for (const b of h.bindings) {
        let r = roleIndex.get(b.role)
        if (r === undefined) {
          r = roles.length
          roles.push(b.role)
          roleIndex.set(b.role, r)
        }
        role[k] = r
        if ("node" in b) targetIds[k] = toId(b.node, "binding")
        else {
          isHyperedge[k] = 1
          targetIds[k] = toId(b.hyperedge, "binding")
        }
        k++
      }
      if (h.bindings.length === 2) {
        const [a, b] = h.bindings as readonly [HyperedgeInput["bindings"][number], HyperedgeInput["bindings"][number]]
        if ("node" in a && "node" in b) {
          const s = a.role === "source" && b.role === "target" ? [a, b] : a.role === "target" && b.role === "source" ? [b, a] : null
          if (s !== null) {
            binary[i] = 1
            binaryRows.push(i)
            source[i] = toId((s[0] as { node: number | bigint }).node, "binding")
            target[i] = toId((s[1] as { node: number | bigint }).node, "binding")
          }
        }
      }
    })
    const topology: Topology = {
      kind: "general",
      roles,
      offsets,
      role,
      isHyperedge,
      targetIds,
      binary,
      binaryRows: Int32Array.from(binaryRows),
      source,
      target
    }
    return {
      length: n,
      ids,
      label: group[0]!.label,
      columns: columnsOf(group.map((h) => h.properties ?? {}), `hyperedges labelled ${group[0]!.label}`),
      topology
    }
  })
}

/** Every chunk of a JS graph. */
export const fromGraph = (graph: GraphInput): { nodes: Array<NodeChunk>; hyperedges: Array<HyperedgeChunk> } => ({
  nodes: nodesFromJs(graph.nodes ?? []),
  hyperedges: [...edgesFromJs(graph.edges ?? []), ...hyperedgesFromJs(graph.hyperedges ?? [])]
})

// ---------------------------------------------------------------------------
// Arrow input
// ---------------------------------------------------------------------------

/** The columns of a table as single chunks. */
const tableColumns = (table: Arrow.Table): Map<string, Arrow.Data> => {
  const batch = table.batches.length === 1
    ? table.batches[0]!
    : Batch.concat(table.schema, table.batches)
  const out = new Map<string, Arrow.Data>()
  table.schema.fields.forEach((field, c) => {
    out.set(field.name, table.numRows === 0 ? Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length: 0 }), DataType.fromArrow(field.type) ?? DataType.Null) : Batch.column(batch, c))
  })
  return out
}

const idColumn = (columns: Map<string, Arrow.Data>, name: string, entity: string, length: number): BigInt64Array => {
  const data = columns.get(name)
  if (data === undefined) return fail(entity, `the table has no ${name} column`)
  if (data.typeId !== Arrow.Type.Int) return fail(entity, `column ${name} must be an integer column, got ${String(data.type)}`)
  if (data.nullCount > 0) return fail(entity, `column ${name} has NULLs`)
  if (length === 0) return new BigInt64Array(0)
  const int64 = Batch.castData(data, DataType.Int64)
  const values = int64.values as BigInt64Array
  return values.length === length ? values : values.subarray(0, length)
}

const propertyColumns = (
  columns: Map<string, Arrow.Data>,
  skip: ReadonlySet<string>,
  entity: string
): Map<string, StoredColumn> => {
  const out = new Map<string, StoredColumn>()
  for (const [name, data] of columns) {
    if (skip.has(name)) continue
    if (SYSTEM_FIELDS.has(name)) fail(entity, `property name ${name} is reserved for a system field`)
    const normalized = normalizeArrow(data)
    if (typeof normalized === "string") return fail(`${entity}, property ${name}`, normalized)
    out.set(name, normalized)
  }
  return out
}

const NODE_SYSTEM = new Set(["_id"])
const EDGE_SYSTEM = new Set(["_id", "source", "target"])

/** Chunks of Arrow input: one per node table, one per edge table (every row a binary edge). */
export const fromArrow = (input: ArrowGraphInput): { nodes: Array<NodeChunk>; hyperedges: Array<HyperedgeChunk> } => {
  const nodes: Array<NodeChunk> = []
  for (const { labels, table } of input.nodes ?? []) {
    const entity = `node table ${Array.isArray(labels) ? labels.join(":") : "?"}`
    if (!Array.isArray(labels) || labels.length === 0) fail(entity, "a node table needs at least one label")
    for (const l of labels) checkLabel(l, entity)
    if (new Set(labels).size !== labels.length) fail(entity, "repeated label")
    const columns = tableColumns(table)
    const ids = idColumn(columns, "_id", entity, table.numRows)
    if (table.numRows === 0) continue
    nodes.push({ length: table.numRows, ids, labels: [...labels], columns: propertyColumns(columns, NODE_SYSTEM, entity) })
  }
  const hyperedges: Array<HyperedgeChunk> = []
  for (const { label, table } of input.edges ?? []) {
    const entity = `edge table ${String(label)}`
    checkLabel(label, entity)
    const columns = tableColumns(table)
    const ids = idColumn(columns, "_id", entity, table.numRows)
    const source = idColumn(columns, "source", entity, table.numRows)
    const target = idColumn(columns, "target", entity, table.numRows)
    if (table.numRows === 0) continue
    hyperedges.push({
      length: table.numRows,
      ids,
      label,
      columns: propertyColumns(columns, EDGE_SYSTEM, entity),
      topology: { kind: "edges", source, target }
    })
  }
  return { nodes, hyperedges }
}
