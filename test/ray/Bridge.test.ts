/**
 * The Ray bridge without a Ray cluster: the venv script, the Python frame codec against
 * the golden frame, the hello/ping round trip, typed refusals, and the bridge's death
 * failing a pending request with BRIDGE_DIED within seconds.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Cause, Effect, Exit, Fiber } from "effect"
import * as RayCluster from "../../src/RayRuntime/RayCluster.js"
import { type Bridge, BridgeFailure, spawn } from "../../src/RayRuntime/internal/bridge.js"
import { alive, eventually, exampleGraph, killPid, rayPython, storageOf } from "./harness.js"

const root = fileURLToPath(new URL("../../", import.meta.url))
const python = rayPython
const script = `${root}src/RayRuntime/python/bridge.py`

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

const withBridge = async <A>(use: (bridge: Bridge) => Promise<A>): Promise<A> => {
  const bridge = await Effect.runPromise(spawn({ python, script }))
  try {
    return await use(bridge)
  } finally {
    await Effect.runPromise(bridge.close(10_000))
  }
}

describe("scripts/ray-venv.sh", () => {
  it("reuses the venv holding ray 2.58.0 and prints its python", () => {
    const started = performance.now()
    const out = execFileSync("bash", [`${root}scripts/ray-venv.sh`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    const elapsed = performance.now() - started
    const printed = out.trim().split("\n").pop()!
    expect(printed).toMatch(/\/bin\/python$/)
    const version = execFileSync(printed, ["-c", "import ray; print(ray.__version__)"], { encoding: "utf8" }).trim()
    expect(version).toBe("2.58.0")
    expect(elapsed).toBeLessThan(10_000) // reuse, not a rebuild (~10 s)
  })

  it("fails with a clear message when the pinned wheel is not in the mirror", () => {
    const result = spawnSync("bash", [`${root}scripts/ray-venv.sh`], {
      encoding: "utf8",
      env: { ...process.env, RAY_VENV: `/tmp/grism-ray-venv-missing-${process.pid}`, RAY_VERSION_PIN: "0.0.1" }
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/could not install ray==0\.0\.1 .*configured mirrors/)
  })
})

describe("the bridge's frame codec", () => {
  it("passes the Python codec tests against the golden frame", () => {
    const result = spawnSync(python, [`${root}test/ray/test_grism_frames.py`], { encoding: "utf8" })
    expect(result.stderr).toMatch(/Ran 5 tests[\s\S]*OK/)
    expect(result.status).toBe(0)
  })
})

describe("the bridge process", () => {
  it("greets with its protocol version and answers ping before Ray starts", async () => {
    await withBridge(async (bridge) => {
      expect(bridge.pid).toBeGreaterThan(0)
      const started = performance.now()
      const pong = await Effect.runPromise(bridge.request("ping"))
      expect(performance.now() - started).toBeLessThan(1000)
      expect(pong.header["refs"]).toBe(0)
      expect(pong.header["tasks"]).toBe(0)
    })
  })

  it("refuses unknown requests and requests before init with typed failures", async () => {
    await withBridge(async (bridge) => {
      const unknown = failureOf(await Effect.runPromiseExit(bridge.request("launchRockets")))
      expect(unknown).toBeInstanceOf(BridgeFailure)
      expect(unknown.kind).toBe("STAGE_ERROR")
      expect(unknown.detail).toMatch(/unknown request type/)
      const early = failureOf(await Effect.runPromiseExit(bridge.request("put", {}, [new Uint8Array([1])])))
      expect(early.kind).toBe("STAGE_ERROR")
      expect(early.detail).toMatch(/not initialised/)
      expect(bridge.deathCause()).toBeUndefined()
    })
  })

  it("fails a pending request with BRIDGE_DIED within seconds when the bridge is SIGKILLed", async () => {
    await withBridge(async (bridge) => {
      // Connecting to a loopback port where no Ray listens blocks for minutes.
      const pending = Effect.runFork(bridge.request("init", { address: "127.0.0.1:9", loopbackOnly: true }))
      await new Promise((r) => setTimeout(r, 1500))
      expect(pending.unsafePoll()).toBeNull()
      killPid(bridge.pid)
      const started = performance.now()
      const failure = failureOf(await Effect.runPromise(Fiber.await(pending)))
      expect(performance.now() - started).toBeLessThan(2000)
      expect(failure.kind).toBe("BRIDGE_DIED")
      expect(failure.detail).toMatch(/SIGKILL/)
      // Later requests fail at once, with the same cause.
      const later = failureOf(await Effect.runPromiseExit(bridge.request("ping")))
      expect(later.kind).toBe("BRIDGE_DIED")
      expect(await eventually(() => !alive(bridge.pid), 2000)).toBe(true)
    })
  })

  it("kills a wedged bridge (no answer to the heartbeat) and fails pending requests with BRIDGE_DIED", async () => {
    await withBridge(async (bridge) => {
      bridge.startHeartbeat(200, 1000)
      await new Promise((r) => setTimeout(r, 500))
      expect(bridge.deathCause()).toBeUndefined() // answering: alive
      process.kill(bridge.pid, "SIGSTOP")
      const started = performance.now()
      const failure = failureOf(await Effect.runPromiseExit(bridge.request("ping")))
      expect(performance.now() - started).toBeLessThan(3000)
      expect(failure.kind).toBe("BRIDGE_DIED")
      expect(failure.detail).toMatch(/no reply to ping within 1000 ms/)
      expect(await eventually(() => !alive(bridge.pid), 2000)).toBe(true)
    })
  })

  it("closes gracefully: the bridge exits on shutdown", async () => {
    const bridge = await Effect.runPromise(spawn({ python, script }))
    const started = performance.now()
    await Effect.runPromise(bridge.close(10_000))
    expect(performance.now() - started).toBeLessThan(5000)
    expect(alive(bridge.pid)).toBe(false)
    expect(bridge.deathCause()?.detail).toMatch(/stopped/)
  })
})

describe("RayCluster start failures", () => {
  it("fails with a typed WorkerFailure naming the venv script when the Python is missing", async () => {
    const storage = await storageOf(exampleGraph)
    const exit = await Effect.runPromiseExit(Effect.scoped(RayCluster.make(storage, { python: "/nonexistent/python" })))
    const failure = failureOf(exit)
    expect(failure._tag).toBe("WorkerFailure")
    expect(failure.kind).toBe("BRIDGE_DIED")
    expect(failure.detail).toMatch(/ray-venv\.sh/)
  })
})
