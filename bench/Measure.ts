/**
 * Timing and memory measurement for the benchmark: wall and CPU time of back-to-back runs
 * ({@link time}: no forced GC, no sampler, as a program runs query after query), medians,
 * and, in a separate run ({@link measure}), memory deltas (JS heap + external/ArrayBuffer
 * memory, and RSS) against a baseline taken right after a forced GC, with the peak sampled
 * on a timer while async work yields to the event loop.
 *
 * @since 0.1.0
 */
import * as v8 from "node:v8"
import * as vm from "node:vm"

let gcFn: (() => void) | undefined

/** A forced full GC (enables `--expose-gc` at runtime when the process was not started with it). */
export const gc = (): void => {
  if (gcFn === undefined) {
    const global = (globalThis as { gc?: () => void }).gc
    if (typeof global === "function") gcFn = global
    else {
      v8.setFlagsFromString("--expose-gc")
      gcFn = vm.runInNewContext("gc") as () => void
    }
  }
  gcFn()
}

/** The median of a non-empty list. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Memory growth of one measured run, in bytes. */
export interface MemoryDelta {
  /** Peak of (heapUsed + external) above the post-GC baseline. */
  readonly heap: number
  /** Peak RSS above the post-GC baseline. */
  readonly rss: number
}

const heapNow = (): number => {
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

/** One measured run. */
export interface Measured<A> {
  readonly value: A
  /** Wall time (ms). */
  readonly ms: number
  /** Process CPU time, user + system (ms): robust when other processes compete for the cores. */
  readonly cpuMs: number
  readonly memory: MemoryDelta
}

/** One timed run: wall and CPU time (ms) and the result. */
export interface Timed<A> {
  readonly value: A
  readonly ms: number
  /** Process CPU time, user + system (ms). */
  readonly cpuMs: number
}

/** Runs `f` once and reports its wall and CPU time and its result (nothing else runs around it). */
export const time = async <A>(f: () => Promise<A> | A): Promise<Timed<A>> => {
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  const value = await f()
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, value }
}

/** Runs `f` once after a GC and reports its wall and CPU time, its result and the memory growth (peak sampled every 10 ms). */
export const measure = async <A>(f: () => Promise<A> | A): Promise<Measured<A>> => {
  gc()
  const baseHeap = heapNow()
  const baseRss = process.memoryUsage.rss()
  let peakHeap = baseHeap
  let peakRss = baseRss
  const sample = () => {
    const h = heapNow()
    const r = process.memoryUsage.rss()
    if (h > peakHeap) peakHeap = h
    if (r > peakRss) peakRss = r
  }
  const timer = setInterval(sample, 10)
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let value: A
  try {
    value = await f()
  } finally {
    clearInterval(timer)
  }
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  sample()
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, value, memory: { heap: peakHeap - baseHeap, rss: peakRss - baseRss } }
}
