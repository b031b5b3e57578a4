/**
 * The scalar function registry the resolver types calls with.
 *
 * @internal
 */
export { lookup } from "../../Engine/Kernels/Functions.js"
