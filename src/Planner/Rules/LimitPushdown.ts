/**
 * Limits (SEMANTICS §5 Limit): a Limit right above another Limit merges with it; a Limit
 * over a Sort makes the Sort a top-k (`fetch` = offset + limit, the Limit stays for the
 * offset and the count); a Limit sets `limit` = offset + limit on the scans (and the `fetch` of the Sorts) it reaches through operators
 * that keep the row count (Project, Rename, and both branches of a UNION ALL, each of
 * which needs at most that many rows). The Limit itself always stays: a scan limit only
 * lets the scan stop early. Which rows a Limit without a Sort returns is unspecified, so
 * reading fewer rows changes no determined result.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { unchecked } from "../../Engine/Expr.js"
import * as LogicalPlan from "../../Query/LogicalPlan.js"
import { rescan, transformUp, withInputs } from "./internal/plans.js"
import type { Rule } from "./Rule.js"

type Plan = LogicalPlan.LogicalPlan

const minOf = (a: number | undefined, b: number): number => (a === undefined ? b : Math.min(a, b))

/**
 * Lets the scans below `plan` stop after `n` rows (and makes a Sort a top-k of `n`),
 * through row-count-preserving operators only.
 */
const limitScans = (plan: Plan, n: number): Plan => {
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan": {
      const limit = minOf(plan.limit, n)
      return limit === plan.limit ? plan : rescan(plan, plan.columns, limit)
    }
    case "Sort": {
      const fetch = minOf(plan.fetch, n)
      return fetch === plan.fetch ? plan : new LogicalPlan.Sort({ input: plan.input, keys: plan.keys, fetch }, unchecked)
    }
    case "Project":
    case "Rename": {
      const input = limitScans(plan.input, n)
      return input === plan.input ? plan : withInputs(plan, [input])
    }
    case "Union": {
      if (plan.distinct) return plan
      const left = limitScans(plan.left, n)
      const right = limitScans(plan.right, n)
      return left === plan.left && right === plan.right ? plan : withInputs(plan, [left, right])
    }
    default:
      return plan
  }
}

/** Outer Limit(l2, o2) over inner Limit(l1, o1): skip o1 + o2, take min(l2, l1 - o2). */
const merge = (outer: LogicalPlan.Limit, inner: LogicalPlan.Limit): LogicalPlan.Limit => {
  const innerLeft = inner.limit === undefined ? undefined : Math.max(0, inner.limit - outer.offset)
  const limit = innerLeft === undefined ? outer.limit : minOf(outer.limit, innerLeft)
  return new LogicalPlan.Limit({
    input: inner.input,
    offset: inner.offset + outer.offset,
    ...(limit === undefined ? {} : { limit })
  }, unchecked)
}

const rewrite = (plan: Plan): Plan => {
  if (plan._tag !== "Limit") return plan
  let limit = plan
  while (limit.input._tag === "Limit") limit = merge(limit, limit.input)
  if (limit.limit === undefined) return limit
  const n = limit.offset + limit.limit
  const input = limit.input
  const below = limitScans(input, n)
  return below === input ? limit : withInputs(limit, [below])
}

/** Merges limits, turns Sort + Limit into a top-k and pushes limits into scans. */
export const rule: Rule = {
  name: "LimitPushdown",
  apply: (plan) => Effect.succeed(transformUp(plan, rewrite))
}
