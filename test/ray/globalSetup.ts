/** Builds (or reuses) the Ray venv once before the Ray suites run; prints how long it took. */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  const script = fileURLToPath(new URL("../../scripts/ray-venv.sh", import.meta.url))
  const started = performance.now()
  const out = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  const python = out.trim().split("\n").pop()!
  process.env["GRISM_RAY_PYTHON"] = python
  console.log(`ray venv ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${python}`)
}
