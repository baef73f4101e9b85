/**
 * Early warm-up of the hot kernels. V8 compiles each wasm function on its first call (baseline code, ~0.2 ms
 * each) and recompiles it optimised in the background only after it has run for a while on that baseline code
 * (a few ms of it: a 256x2304 gemm switched after ~20 calls, 3.5 ms). A process's first face descriptor used to
 * pay all of that inside the forward (~45 ms instead of 9). `warmUpKernels` (~2 ms, run once per kernel module
 * by `warmUpOnce`: when `createKernels` makes an instance, or when `loadNetwork` has read a model into the
 * default instance) calls each kernel a forward and the parameter bake use twice on tiny inputs, in the order
 * they are needed: their first-call compiles are done then, and the engine starts optimising the busiest
 * sooner; measured, the first descriptor of a fresh process ~45 -> ~20 ms. (Running the heaviest kernels for
 * longer cost more than it saved; so did warming up while the model file was being read, when the optimising
 * compiles competed with the reads' page faults for the cores.) Results are discarded; only the
 * `WARM_BYTES` bytes at `scratch` are touched.
 */
import type { Kernels } from "./wasm.js";

type Fn = (...a: number[]) => number;

/** Bytes of memory `warmUpKernels` uses (one arena block, provided by the caller). */
export const WARM_BYTES = 1 << 20;

const F = 64 * 1024; // floats per quarter of the scratch

function calls(k: Kernels, scratch: number): (() => void)[] {
  const f = (name: string) => k.fn<Fn>(name);
  const X = scratch, W = scratch + F * 4, O = scratch + F * 8, S = scratch + F * 12;
  const c = 8, nf = 8; // channels and filters
  const wino2 = f("wino2_weights_packed"), wino3 = f("wino3_weights_packed"), wino4 = f("wino4_weights"), pack = f("wino_pack_u");
  const uw2 = () => wino2(W, nf, c, S), uw4 = () => { wino4(W, nf, c, S); pack(S, 36, nf, c, S + 36 * nf * c * 4); };
  const uw3 = () => wino3(W, nf, c, S);
  const uw6 = () => f("wino6_weights_packed")(W, nf, c, S);
  // most needed first (first-call compiles and optimisation happen in this order)
  return [
    uw2,
    () => f("gemm_packed_ap")(nf, 16, 64, W, X, O, 16, 0, 0, 0, 1),
    () => f("gemm_packed")(nf, 16, 64, W, 64, X, O, 16, 0, 0, 0, 1),
    uw4,
    () => { uw2(); f("wino2_con")(X, 1, c, 8, 8, S, nf, W, W, W, 1, O, S + 16 * nf * c * 4, 1); },
    () => { uw4(); f("wino4_con")(X, 1, c, 12, 12, S, nf, W, W, W, 1, O, S + 36 * nf * c * 4, 1); },
    () => { uw3(); f("wino3_con")(X, 1, c, 13, 13, S, nf, W, W, W, 1, O, S + 25 * nf * c * 4, 1); },
    () => { uw6(); f("wino6_con")(X, 1, c, 14, 14, S, nf, W, W, W, 1, O, S + 64 * nf * c * 4, 1); },
    () => f("con_affine_forward")(X, 1, c, 9, 9, W, nf, 3, 3, 2, 2, 0, 0, W, W, W, 1, O, S),
    () => f("con_affine_forward")(X, 1, 3, 20, 20, W, nf, 7, 7, 2, 2, 0, 0, W, W, W, 1, O, S),
    () => f("gemm")(nf * 8, 1, c * 8, W, c * 8, X, 1, O, 1, W, W, W, 1),
    () => f("max_pool")(X, 1, c, 17, 17, 3, 3, 2, 2, 0, 0, O),
    () => f("avg_pool")(X, 1, c, 8, 8, 2, 2, 2, 2, 0, 0, O),
    () => f("add_prev")(X, 1, c, 8, 8, W, 1, c, 8, 8, O),
    () => f("fc_forward")(X, 1, 64, W, 16, W, O),
    () => f("relu")(X, 512, O),
    () => f("rgb_input")(X, 256, 1, 2, 3, O),
    () => f("gather_stride")(X, 512, 9, O),
  ];
}

/** One or two calls of each hot kernel on tiny inputs at `scratch` (WARM_BYTES bytes). ~2 ms. */
export function warmUpKernels(k: Kernels, scratch: number): void {
  k.arena.f32(scratch, F * 4).fill(0.5);
  for (const c of calls(k, scratch)) { c(); c(); }
}
