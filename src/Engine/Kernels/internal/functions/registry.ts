/**
 * The table of scalar functions by lower-case name.
 *
 * @internal
 */
import type { ScalarFunction } from "../../Functions.js"
import { mathFunctions } from "./math.js"
import { miscFunctions } from "./misc.js"
import { stringFunctions } from "./strings.js"

/** Every scalar function by lower-case name. */
export const registry: ReadonlyMap<string, ScalarFunction> = new Map(
  [...stringFunctions, ...mathFunctions, ...miscFunctions].map((f) => [f.name, f] as const)
)
