/**
 * A naive `GraphIndex` over a JS graph, for unit-testing the expand operators without a
 * storage backend. Built straight from the Storage contract's doc comments with plain
 * loops and Arrow builders (test code: JS values per row are fine here).
 *
 * Ordinals: nodes in input order; hyperedges are the binary edges (input order) then the
 * n-ary hyperedges (input order), as `Catalog.make` lists them.
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../../src/Engine/DataType.js"
import type * as Storage from "../../../src/Engine/Storage.js"
import * as Catalog from "./Catalog.js"

const isBinary = (e: Catalog.RefEntity): boolean =>
  e.bindings.length === 2 && e.bindings.every((b) => b.kind === "node") &&
  e.bindings.some((b) => b.role === "source") && e.bindings.some((b) => b.role === "target")

const build = (type: DataType.DataType, values: ReadonlyArray<unknown>): Arrow.Data => {
  const builder = Arrow.makeBuilder({ type: DataType.toArrow(type), nullValues: [null, undefined] })
  for (const v of values) builder.append(v as never)
  return builder.finish().flush()
}

/** The index of a graph, and what it was asked (to assert that operators ask once). */
export interface TestIndex extends Storage.GraphIndex {
  readonly requests: Array<string>
}

/** Builds a {@link TestIndex} over a graph. */
export const make = (input: Storage.GraphInput): TestIndex => {
  const graph = Catalog.make(input)
  const nodes = graph.nodes
  const hyperedges = graph.hyperedges
  const nodeAt = new Map(nodes.map((n, i) => [n.id, i]))
  const hyperAt = new Map(hyperedges.map((h, i) => [h.id, i]))
  const requests: Array<string> = []

  const csr = (lists: ReadonlyArray<ReadonlyArray<readonly [number, ...Array<number>]>>, width: number) => {
    const offsets = new Int32Array(lists.length + 1)
    lists.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l.length))
    const columns = Array.from({ length: width }, () => new Int32Array(offsets[lists.length]!))
    lists.forEach((l, i) => l.forEach((entry, k) => entry.forEach((v, c) => (columns[c]![offsets[i]! + k] = v))))
    return { offsets, columns }
  }

  const take = (entities: ReadonlyArray<Catalog.RefEntity>, types: Catalog.RefGraph["nodeTypes"]) =>
  (ordinals: Int32Array, columns: ReadonlyArray<Storage.ScanColumn>): ReadonlyArray<Arrow.Data> =>
    columns.map((column) => {
      const values = Array.from(ordinals, (o) => {
        const e = o < 0 ? undefined : entities[o]
        if (e === undefined) return null
        switch (column.field) {
          case "_id":
            return e.id
          case "_label":
            return e.labels[0]
          case "_labels":
            return e.labels
          case "_arity":
            return BigInt(e.bindings.length)
          case "_source":
            return e.bindings.find((b) => b.role === "source")?.id ?? null
          case "_target":
            return e.bindings.find((b) => b.role === "target")?.id ?? null
          default: {
            const declared = e.labels.some((l) => types.get(l)?.has(column.field))
            return declared ? Catalog.convert(e.properties[column.field], column.dataType) : null
          }
        }
      })
      return build(column.dataType, values)
    })

  return {
    requests,
    nodeCount: nodes.length,
    hyperedgeCount: hyperedges.length,
    nodeOrdinals: (ids) => Int32Array.from(ids, (id) => nodeAt.get(id) ?? -1),
    hyperedgeOrdinals: (ids) => Int32Array.from(ids, (id) => hyperAt.get(id) ?? -1),
    nodeLabelMask: (label) => Uint8Array.from(nodes, (n) => (n.labels.includes(label) ? 1 : 0)),
    hyperedgeLabelMask: (label) => Uint8Array.from(hyperedges, (h) => (h.labels[0] === label ? 1 : 0)),
    adjacency: (label, direction) => {
      requests.push(`adjacency(${label ?? "*"}, ${direction})`)
      const lists: Array<Array<[number, number]>> = nodes.map(() => [])
      hyperedges.forEach((h, ordinal) => {
        if (!isBinary(h) || (label !== undefined && h.labels[0] !== label)) return
        const source = nodeAt.get(h.bindings.find((b) => b.role === "source")!.id)!
        const target = nodeAt.get(h.bindings.find((b) => b.role === "target")!.id)!
        if (direction === "out") lists[source]!.push([target, ordinal])
        else lists[target]!.push([source, ordinal])
      })
      const { columns, offsets } = csr(lists, 2)
      return { offsets, neighbours: columns[0]!, edges: columns[1]! }
    },
    bindings: (label) => {
      requests.push(`bindings(${label ?? "*"})`)
      const roles = [...new Set(hyperedges.flatMap((h) => h.bindings.map((b) => b.role)))].sort()
      const lists = hyperedges.map((h) =>
        label !== undefined && h.labels[0] !== label
          ? []
          : h.bindings.map((b): [number, number, number] => [
            roles.indexOf(b.role),
            b.kind === "hyperedge" ? 1 : 0,
            b.kind === "hyperedge" ? hyperAt.get(b.id)! : nodeAt.get(b.id)!
          ])
      )
      const { columns, offsets } = csr(lists, 3)
      return { roles, offsets, role: columns[0]!, targetIsHyperedge: Uint8Array.from(columns[1]!), target: columns[2]! }
    },
    incidence: (label, kind) => {
      requests.push(`incidence(${label ?? "*"}, ${kind})`)
      // Role indexes in reverse order from `bindings`, so an operator that mixes the two index spaces fails.
      const roles = [...new Set(hyperedges.flatMap((h) => h.bindings.map((b) => b.role)))].sort().reverse()
      const lists: Array<Array<[number, number, number]>> = (kind === "node" ? nodes : hyperedges).map(() => [])
      let position = 0
      hyperedges.forEach((h, ordinal) => {
        if (label !== undefined && h.labels[0] !== label) return
        h.bindings.forEach((b) => {
          const at = position++
          if (b.kind !== kind) return
          const entity = kind === "node" ? nodeAt.get(b.id)! : hyperAt.get(b.id)!
          lists[entity]!.push([ordinal, roles.indexOf(b.role), at])
        })
      })
      const { columns, offsets } = csr(lists, 3)
      return { roles, offsets, hyperedges: columns[0]!, role: columns[1]!, binding: columns[2]! }
    },
    takeNodes: take(nodes, graph.nodeTypes),
    takeHyperedges: take(hyperedges, graph.hyperedgeTypes)
  }
}
