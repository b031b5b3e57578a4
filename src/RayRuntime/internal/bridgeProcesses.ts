/**
 * The processes a Ray bridge started, tracked by pid and start time so they can be stopped
 * by id after the bridge is gone. A local Ray started by the bridge dies with it (Ray
 * fate-shares its GCS and raylet with the driver), but some agents are re-parented and
 * survive a SIGKILL of the bridge; we never run `ray stop`, which would kill every Ray
 * process on the machine. Linux only (`/proc`); elsewhere nothing is tracked.
 */
import * as fs from "node:fs"

/** One tracked process: its pid and its start time (clock ticks since boot). */
export interface TrackedProcess {
  readonly pid: number
  readonly start: string
}

interface Stat {
  readonly ppid: number
  readonly start: string
}

/** Reads `/proc/<pid>/stat` (the command name may contain spaces and parentheses). */
const stat = (pid: number): Stat | undefined => {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    // fields[0] is the state (field 3); ppid is field 4, starttime field 22.
    if (fields[0] === "Z") return undefined
    return { ppid: Number(fields[1]), start: fields[19]! }
  } catch {
    return undefined
  }
}

/** Every live descendant of `root` (not `root` itself). */
export const descendants = (root: number): ReadonlyArray<TrackedProcess> => {
  let entries: Array<string>
  try {
    entries = fs.readdirSync("/proc")
  } catch {
    return []
  }
  const children = new Map<number, Array<TrackedProcess>>()
  for (const entry of entries) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid <= 0) continue
    const s = stat(pid)
    if (s === undefined) continue
    const list = children.get(s.ppid) ?? []
    list.push({ pid, start: s.start })
    children.set(s.ppid, list)
  }
  const out: Array<TrackedProcess> = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child.pid)
    }
  }
  return out
}

/** Whether the tracked process is still the same live process (pid not reused). */
export const isAlive = (p: TrackedProcess): boolean => stat(p.pid)?.start === p.start

/** SIGKILLs every tracked process that is still alive; returns how many were signalled. */
export const killAll = (processes: Iterable<TrackedProcess>): number => {
  let killed = 0
  for (const p of processes) {
    if (!isAlive(p)) continue
    try {
      process.kill(p.pid, "SIGKILL")
      killed++
    } catch {
      // already gone
    }
  }
  return killed
}

/** A set of tracked processes keyed by pid. */
export class ProcessSet {
  private readonly byPid = new Map<number, TrackedProcess>()

  /** Adds every current descendant of `root`. */
  addDescendants(root: number): void {
    for (const p of descendants(root)) this.byPid.set(p.pid, p)
  }

  /** The tracked processes still alive. */
  alive(): ReadonlyArray<TrackedProcess> {
    return [...this.byPid.values()].filter(isAlive)
  }

  /** SIGKILLs the tracked processes still alive. */
  killAll(): number {
    return killAll(this.byPid.values())
  }
}
