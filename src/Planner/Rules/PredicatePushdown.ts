/**
 * Predicate pushdown (SEMANTICS §5). A Filter's predicate is split into its conjuncts and
 * each conjunct moves down as far as it can:
 *
 * - through Filter (merged), Sort without `fetch`, Rename (names rewritten back) and
 *   Project when every column it reads is a pass-through column (`Column`, or an `Alias`
 *   of a `Column`: names rewritten to the input's);
 * - into both branches of a Union (ALL; the branches have the union's column names);
 * - below Expand / RoleExpand when it reads only the input's columns (an input row is kept
 *   or dropped with all its expansions, optional or not);
 * - never past Limit, Aggregate, a top-k Sort, or into scans (the logical scans carry no
 *   predicate): it stops in a Filter right above them.
 *
 * Errors: the engine evaluates both sides of AND on every row, so a conjunct that can
 * raise a run-time error (Int64 arithmetic, casts, most functions) is never split off or
 * moved; it stays where it was, conjoined with the other unmoved conjuncts. Moving safe
 * conjuncts down only removes rows earlier, so it can remove an error but never add one.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Expr from "../../Engine/Expr.js"
import { unchecked } from "../../Engine/Expr.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"
import * as LogicalPlan from "../../Query/LogicalPlan.js"
import * as Resolver from "../../Query/Resolver.js"
import { conjoin, conjuncts, mayFail, renameColumns } from "./internal/exprs.js"
import { withInputs } from "./internal/plans.js"
import type { Rule } from "./Rule.js"

type Plan = LogicalPlan.LogicalPlan

/** Wraps `plan` in a Filter of the conjuncts (none: the plan itself). */
const filtered = (plan: Plan, preds: ReadonlyArray<Expr.Expr>): Plan => {
  const predicate = conjoin(preds)
  return predicate === undefined ? plan : new LogicalPlan.Filter({ input: plan, predicate }, unchecked)
}

const readsOnly = (e: Expr.Expr, names: ReadonlySet<string>): boolean => Expr.columnsOf(e).every((c) => names.has(c))

/**
 * Pushes `preds` (safe conjuncts, resolved over the output of `node`) into `node`;
 * returns the rewritten subtree, which applies every one of them.
 */
const push = (node: Resolver.Annotated, preds: ReadonlyArray<Expr.Expr>): Plan => {
  const plan = node.plan
  const inputSchema: PhysicalSchema | undefined = node.inputs[0]?.schema
  switch (plan._tag) {
    case "Filter": {
      const own = conjuncts(plan.predicate)
      const safe = own.filter((c) => !mayFail(c, inputSchema!))
      const kept = own.filter((c) => mayFail(c, inputSchema!))
      return filtered(push(node.inputs[0]!, [...preds, ...safe]), kept)
    }
    case "Sort": {
      if (plan.fetch !== undefined) break
      return withInputs(plan, [push(node.inputs[0]!, preds)])
    }
    case "Rename": {
      const back = new Map(plan.renamings.map((r) => [r.to, r.from] as const))
      // one simultaneous mapping new → old name (a swap a ↔ b maps both ways correctly)
      return withInputs(plan, [push(node.inputs[0]!, preds.map((p) => renameColumns(p, back)))])
    }
    case "Project": {
      const passThrough = new Map<string, string>()
      for (const e of plan.exprs) {
        if (e._tag === "Column") passThrough.set(e.name, e.name)
        else if (e._tag === "Alias" && e.operand._tag === "Column") passThrough.set(e.name, e.operand.name)
      }
      const names = new Set(passThrough.keys())
      const down = preds.filter((p) => readsOnly(p, names)).map((p) => renameColumns(p, passThrough))
      const stay = preds.filter((p) => !readsOnly(p, names))
      return filtered(withInputs(plan, [push(node.inputs[0]!, down)]), stay)
    }
    case "Union": {
      if (plan.distinct) break
      return withInputs(plan, [push(node.inputs[0]!, preds), push(node.inputs[1]!, preds)])
    }
    case "Expand":
    case "RoleExpand": {
      const names = new Set(inputSchema!.names)
      const down = preds.filter((p) => readsOnly(p, names))
      const stay = preds.filter((p) => !readsOnly(p, names))
      return filtered(withInputs(plan, [push(node.inputs[0]!, down)]), stay)
    }
    default:
      break
  }
  // stop here: rewrite the inputs with nothing to push, apply the conjuncts above
  return filtered(withInputs(plan, node.inputs.map((i) => push(i, []))), preds)
}

/** Pushes filter conjuncts towards the scans. */
export const rule: Rule = {
  name: "PredicatePushdown",
  apply: (plan, catalog) => Effect.map(Resolver.annotate(plan, catalog), (annotated) => push(annotated, []))
}
