/**
 * Benchmark results: their JSON shape, the printed table, and the JSON file.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** Measurements of one side (engine or reference) of one query or of the load. */
export interface SideResult {
  /** Median wall time of the timed runs (ms). */
  readonly medianMs: number
  /** Median process CPU time (user + system, ms) of the timed runs. */
  readonly medianCpuMs: number
  /** Every timed run (ms). */
  readonly runsMs: ReadonlyArray<number>
  /** The untimed warm-up run (ms); for the engine it includes first-use work. */
  readonly warmupMs: number
  /** Work rows (persons scanned + edges traversed) per second at the median. */
  readonly rowsPerSec: number
  /** Peak growth of JS heap + external memory in the memory run, after a forced GC (bytes). */
  readonly heapDeltaBytes: number
  /** Peak RSS growth in the memory run, after a forced GC (bytes). */
  readonly rssDeltaBytes: number
  /** The engine's peak memory reservation of one run (bytes), engine only. */
  readonly peakReservationBytes?: number | undefined
}

/** One query's results. */
export interface QueryResult {
  readonly id: string
  readonly description: string
  readonly outputRows: number
  /** Persons scanned + edges traversed, as counted by the reference. */
  readonly workRows: number
  readonly engine: SideResult
  readonly reference: SideResult
  /** engine median / reference median (wall time). */
  readonly ratio: number
  /** engine median / reference median (CPU time). */
  readonly cpuRatio: number
  readonly check: "ok" | string
}

/** Load: building each side's structures from the generated Arrow tables. */
export interface LoadResult {
  /** `InMemoryStorage.makeFromArrow` (ms). */
  readonly engineStorageMs: number
  /** First-use index build: the snapshot's GraphIndex with KNOWS/WORKS_AT adjacency (ms). */
  readonly engineIndexMs: number
  readonly engineMs: number
  readonly referenceMs: number
  readonly ratio: number
  /** CPU time of each side's load, including the engine's GC threads (ms). */
  readonly engineCpuMs: number
  readonly referenceCpuMs: number
  readonly engineHeapDeltaBytes: number
  readonly referenceHeapDeltaBytes: number
}

/** The whole run. */
export interface BenchResult {
  readonly meta: {
    readonly scale: number
    readonly seed: number
    readonly runs: number
    readonly runtime: string
    readonly persons: number
    readonly companies: number
    readonly knows: number
    readonly worksAt: number
    readonly generateMs: number
    readonly node: string
    readonly date: string
    readonly maxRssBytes: number
    /** 1/5/15-minute load averages at the end: above `cpus`, other processes competed for the cores. */
    readonly loadAverage: ReadonlyArray<number>
    readonly cpus: number
  }
  readonly load: LoadResult
  readonly queries: ReadonlyArray<QueryResult>
  readonly ok: boolean
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? "-" : (bytes / (1024 * 1024)).toFixed(1))
const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(3))
const rate = (value: number): string => (value / 1e6).toFixed(1)

const pad = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)))
  return rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join("  ")).join("\n")
}

/** The results as a printable table. */
export const table = (result: BenchResult): string => {
  const m = result.meta
  const header = [
    `Grism bench — scale ${m.scale} (${m.persons} Person, ${m.knows} KNOWS, ${m.companies} Company, ${m.worksAt} WORKS_AT),`,
    `seed ${m.seed}, runtime ${m.runtime}, median of ${m.runs} runs after a warm-up; generated in ${ms(m.generateMs)} ms; node ${m.node}`,
    `load average ${m.loadAverage.map((x) => x.toFixed(1)).join(" ")} on ${m.cpus} cores${m.loadAverage[0]! > m.cpus ? " (cores shared with other processes: wall times are inflated; the cpu ratio is steadier)" : ""}`
  ].join("\n")
  const rows: Array<Array<string>> = [[
    "query", "engine ms", "ref ms", "ratio", "cpu ratio", "eng warm ms", "out rows", "eng Mrows/s", "ref Mrows/s",
    "eng heapΔ MB", "eng rssΔ MB", "eng resv MB", "ref heapΔ MB", "check"
  ]]
  const l = result.load
  rows.push([
    "load", ms(l.engineMs), ms(l.referenceMs), l.ratio.toFixed(2), "-", "-", "-", "-", "-",
    mb(l.engineHeapDeltaBytes), "-", "-", mb(l.referenceHeapDeltaBytes), "-"
  ])
  for (const q of result.queries) {
    rows.push([
      q.id, ms(q.engine.medianMs), ms(q.reference.medianMs), q.ratio.toFixed(2), q.cpuRatio.toFixed(2), ms(q.engine.warmupMs),
      String(q.outputRows), rate(q.engine.rowsPerSec), rate(q.reference.rowsPerSec),
      mb(q.engine.heapDeltaBytes), mb(q.engine.rssDeltaBytes), mb(q.engine.peakReservationBytes),
      mb(q.reference.heapDeltaBytes), q.check === "ok" ? "ok" : q.check.startsWith("engine failed") ? "FAILED" : "MISMATCH"
    ])
  }
  const notes = [
    `load: engine = makeFromArrow ${ms(l.engineStorageMs)} ms + first-use index ${ms(l.engineIndexMs)} ms; reference = typed arrays + dictionary codes + CSR`,
    "Mrows/s = (persons scanned + edges traversed) / median time; heapΔ = peak (heapUsed + external) growth; resv = engine's peak memory reservation",
    ...result.queries.map((q) => `${q.id}: ${q.description}`),
    ...result.queries.filter((q) => q.check !== "ok").map((q) => `${q.id} ${q.check.startsWith("engine failed") ? "FAILED" : "MISMATCH"}: ${q.check}`)
  ]
  return [header, pad(rows), ...notes].join("\n")
}

/** Writes the results as JSON (creating the directory). */
export const writeJson = (file: string, result: BenchResult): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n")
}
