/**
 * The verdict of a property test: does the engine's outcome (rows or a typed failure)
 * agree with the reference evaluator's? Shared by the property suites.
 */
import type * as Arrow from "apache-arrow"
import { Cause, Exit, Option } from "effect"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as Compare from "./Compare.js"
import type { ReferenceResult } from "./Reference.js"

/** A graph as JSON that keeps bigints, non-finite numbers and -0 readable. */
export const showGraph = (graph: GraphInput): string => Compare.show(graph)

/**
 * Compares the engine's exit with the reference's result; returns a description of the
 * disagreement (with `context()` appended), or undefined when they agree. A failure must be
 * one the reference allows (or one of its latent errors when the reference succeeded).
 */
export const verdict = (
  expected: ReferenceResult,
  exit: Exit.Exit<Arrow.Table, unknown>,
  context: () => string
): string | undefined => {
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return `engine defect: ${Cause.pretty(exit.cause)}\n${context()}`
    const tag = (failure.value as { _tag?: string })._tag ?? String(failure.value)
    if (expected._tag === "Error") {
      return expected.allowed.includes(tag)
        ? undefined
        : `engine failed with ${tag}, reference expects ${expected.allowed.join(" | ")} (${expected.detail})\n` +
          `engine error: ${String((failure.value as Error).message)}\n${context()}`
    }
    if (expected.latent.includes(tag)) return undefined
    return `engine failed with ${tag}: ${String((failure.value as Error).message)}\nreference rows: ${expected.rows.length}\n${context()}`
  }
  if (expected._tag === "Error") {
    return `engine succeeded with ${exit.value.numRows} rows, reference expects ${expected.error} (${expected.detail})\n${context()}`
  }
  const diff = Compare.compare(expected, Compare.tableToRows(exit.value))
  return diff === undefined ? undefined : `${diff}\n${context()}`
}

/** The tag of an exit's typed failure, if it failed with one. */
export const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined =>
  Exit.isFailure(exit)
    ? Option.getOrUndefined(Option.map(Cause.failureOption(exit.cause), (e) => (e as { _tag?: string })._tag))
    : undefined
