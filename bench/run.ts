/**
 * `npm run bench [--scale N] [--runtime local] [--runs K] [--out file.json] [--seed S] [--queries Q1,Q4]`
 *
 * Generates the seeded social graph, loads the engine (InMemoryStorage from Arrow) and the
 * typed-array reference from the same tables, runs the seven queries on both (a warm-up,
 * one run after a forced GC that measures the peak memory, one more untimed run, then K
 * timed runs back to back; the median is reported), checks the engine's answers against
 * the reference's, prints a table and writes JSON (default `bench/results/results.json`).
 * Exits non-zero when an answer differs or a query fails.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as os from "node:os"
import * as Check from "./Check.js"
import * as Engine from "./Engine.js"
import * as Measure from "./Measure.js"
import * as Queries from "./Queries.js"
import * as Reference from "./Reference.js"
import * as Report from "./Report.js"
import * as SocialGraph from "./SocialGraph.js"

interface Args {
  readonly scale: number
  readonly runtime: string
  readonly runs: number
  readonly out: string
  readonly seed: number
  readonly queries: ReadonlyArray<string> | undefined
}

const usage = "usage: npm run bench -- [--scale N] [--runtime local] [--runs K] [--out file.json] [--seed S] [--queries Q1,Q4]"

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  const values = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--help" || arg === "-h") {
      console.log(usage)
      process.exit(0)
    }
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}\n${usage}`)
    const eq = arg.indexOf("=")
    if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1))
    else {
      const value = argv[++i]
      if (value === undefined) throw new Error(`missing value for ${arg}\n${usage}`)
      values.set(arg.slice(2), value)
    }
  }
  for (const key of values.keys()) {
    if (!["scale", "runtime", "runs", "out", "seed", "queries"].includes(key)) throw new Error(`unknown option --${key}\n${usage}`)
  }
  const int = (key: string, fallback: number, min: number): number => {
    const raw = values.get(key)
    if (raw === undefined) return fallback
    const n = Number(raw.replace(/_/g, ""))
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${key} must be an integer >= ${min} (got ${raw})`)
    return n
  }
  const runtime = values.get("runtime") ?? "local"
  if (runtime !== "local") throw new Error(`--runtime ${runtime} is not supported by the benchmark (only "local")`)
  return {
    scale: int("scale", 1_000_000, 2),
    runtime,
    runs: int("runs", 9, 1),
    out: values.get("out") ?? "bench/results/results.json",
    seed: int("seed", 42, 0),
    queries: values.get("queries")?.split(",").map((q) => q.trim().toUpperCase())
  }
}

const log = (message: string) => console.error(`[bench] ${message}`)

type Run = Omit<Measure.Timed<unknown>, "value">

const side = (
  warmupMs: number,
  runs: ReadonlyArray<Run>,
  memory: Measure.MemoryDelta,
  work: number,
  peakReservationBytes?: number
): Report.SideResult => {
  const runsMs = runs.map((r) => r.ms)
  const medianMs = Measure.median(runsMs)
  return {
    medianMs,
    medianCpuMs: Measure.median(runs.map((r) => r.cpuMs)),
    runsMs,
    warmupMs,
    rowsPerSec: medianMs > 0 ? (work / medianMs) * 1000 : 0,
    heapDeltaBytes: memory.heap,
    rssDeltaBytes: memory.rss,
    ...(peakReservationBytes === undefined ? {} : { peakReservationBytes })
  }
}

const errorText = (e: unknown): string => {
  if (e instanceof Error) return e.message
  try {
    return JSON.stringify(e)
  } catch {
    return String(e)
  }
}

const main = async (): Promise<number> => {
  const args = parseArgs(process.argv.slice(2))
  log(`generating scale ${args.scale} (seed ${args.seed})`)
  const generated = await Measure.measure(() => SocialGraph.generate({ scale: args.scale, seed: args.seed }))
  const graph = generated.value
  log(`generated ${graph.persons.numRows} persons, ${graph.knows.numRows} KNOWS, ${graph.companies.numRows} companies in ${generated.ms.toFixed(0)} ms`)

  const refLoad = await Measure.measure(() => Reference.load(graph))
  const ref = refLoad.value
  log(`reference loaded in ${refLoad.ms.toFixed(0)} ms`)
  const engineLoad = await Measure.measure(() => Engine.load(graph.input))
  const engine = engineLoad.value
  log(`engine loaded in ${engineLoad.ms.toFixed(0)} ms (storage ${engine.storageMs.toFixed(0)} ms, index ${engine.indexMs.toFixed(0)} ms)`)

  const queries = Queries.make().filter((q) => args.queries === undefined || args.queries.includes(q.id))
  const results: Array<Report.QueryResult> = []
  for (const query of queries) {
    // Each side: a warm-up, one run after a GC for the peak memory, one more untimed run (code
    // the forced GC deoptimized is compiled again), then the timed runs back to back.
    const refWarm = await Measure.time(() => query.reference(ref))
    const refMemory = await Measure.measure(() => query.reference(ref))
    await Measure.time(() => query.reference(ref))
    let refResult = refWarm.value
    const refRuns: Array<Run> = []
    for (let r = 0; r < args.runs; r++) {
      const m = await Measure.time(() => query.reference(ref))
      refResult = m.value
      refRuns.push(m)
    }
    const reference = side(refWarm.ms, refRuns, refMemory.memory, refResult.work)

    let check = "ok"
    let engine_: Report.SideResult
    try {
      const warm = await Measure.time(() => Engine.collect(engine, query.frame))
      const memory = await Measure.measure(() => Engine.collect(engine, query.frame))
      await Measure.time(() => Engine.collect(engine, query.frame))
      let table: Arrow.Table = warm.value
      const runs: Array<Run> = []
      for (let r = 0; r < args.runs; r++) {
        const m = await Measure.time(() => Engine.collect(engine, query.frame))
        table = m.value
        runs.push({ ms: m.ms, cpuMs: m.cpuMs })
      }
      let reservation: number | undefined
      try {
        reservation = await Engine.peakReservation(engine, query.frame)
      } catch (e) {
        log(`${query.id}: peak reservation run failed: ${errorText(e)}`)
      }
      engine_ = side(warm.ms, runs, memory.memory, refResult.work, reservation)
      const outcome = Check.check(query, table, refResult)
      if (!outcome.ok) check = outcome.reason
    } catch (e) {
      check = `engine failed: ${errorText(e)}`
      engine_ = { medianMs: NaN, medianCpuMs: NaN, runsMs: [], warmupMs: NaN, rowsPerSec: 0, heapDeltaBytes: 0, rssDeltaBytes: 0 }
    }
    const result: Report.QueryResult = {
      id: query.id,
      description: query.description,
      outputRows: refResult.rows,
      workRows: refResult.work,
      engine: engine_,
      reference,
      ratio: engine_.medianMs / reference.medianMs,
      cpuRatio: engine_.medianCpuMs / reference.medianCpuMs,
      check
    }
    results.push(result)
    log(`${query.id}: engine ${engine_.medianMs.toFixed(1)} ms, reference ${reference.medianMs.toFixed(2)} ms, ratio ${result.ratio.toFixed(2)} (cpu ${result.cpuRatio.toFixed(2)}), ${check === "ok" ? "answers match" : `MISMATCH: ${check}`}`)
  }
  await Engine.dispose(engine)

  const engineLoadMs = engine.storageMs + engine.indexMs
  const result: Report.BenchResult = {
    meta: {
      scale: args.scale,
      seed: args.seed,
      runs: args.runs,
      runtime: args.runtime,
      persons: graph.persons.numRows,
      companies: graph.companies.numRows,
      knows: graph.knows.numRows,
      worksAt: graph.worksAt.numRows,
      generateMs: generated.ms,
      node: process.version,
      date: new Date().toISOString(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      loadAverage: os.loadavg(),
      cpus: os.cpus().length
    },
    load: {
      engineStorageMs: engine.storageMs,
      engineIndexMs: engine.indexMs,
      engineMs: engineLoadMs,
      referenceMs: refLoad.ms,
      ratio: engineLoadMs / refLoad.ms,
      engineCpuMs: engineLoad.cpuMs,
      referenceCpuMs: refLoad.cpuMs,
      engineHeapDeltaBytes: engineLoad.memory.heap,
      referenceHeapDeltaBytes: refLoad.memory.heap
    },
    queries: results,
    ok: results.every((q) => q.check === "ok")
  }
  console.log(Report.table(result))
  Report.writeJson(args.out, result)
  log(`wrote ${args.out}`)
  return result.ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e)
    process.exit(2)
  }
)
