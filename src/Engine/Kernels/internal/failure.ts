/**
 * The private failure that synchronous kernels throw; the evaluator catches it once per
 * expression and turns it into a typed Effect failure.
 *
 * @internal
 */
import type { ExecutionError } from "../../ExecutionError.js"

/** Carries a typed error out of a synchronous kernel. */
export class KernelFailure {
  readonly _tag = "KernelFailure"
  constructor(readonly error: ExecutionError) {}
}

/** Throws a {@link KernelFailure}. */
export const fail = (error: ExecutionError): never => {
  throw new KernelFailure(error)
}

/** Whether a thrown value is a {@link KernelFailure}. */
export const isKernelFailure = (u: unknown): u is KernelFailure => u instanceof KernelFailure
