/**
 * Early warm-up of the hot kernels. V8 compiles each wasm function on its first call (baseline code, ~0.2 ms
 * each) and recompiles it optimised in the background once it has run for a while on that baseline code (a
 * few ms of it). `warmUpKernels` calls the kernels a network forward and the parameter bake use, on tiny
 * inputs, right after the module is instantiated: their first-call compiles and part of that run time happen
 * then, in call order, and the optimised versions are ready sooner. Measured in a fresh Node process: the first
 * face descriptor ~45 -> ~20 ms (steady state 9 ms) for ~2 ms here. Results are discarded; memory is taken
 * from the arena and given back.
 */
import type { Kernels } from "./wasm.js";

type Fn = (...a: number[]) => number;

/**
 * Run each hot kernel of `k` on tiny inputs for about `msPerKernel` ms (baseline code), then release the
 * memory used (synchronous). Cost: about 2 ms (a few calls of each kernel on baseline code).
 */
export function warmUpKernels(k: Kernels, msPerKernel = 0.05): void {
  const a = k.arena;
  const f = (name: string) => k.fn<Fn>(name);
  const floats = 64 * 1024;
  const ptr = a.allocF32(floats * 4);
  try {
    const X = ptr, W = ptr + floats * 4, O = ptr + floats * 8, S = ptr + floats * 12;
    a.f32(X, floats * 3).fill(0.5);
    const loop = (fn: () => void) => {
      const end = performance.now() + msPerKernel;
      let i = 0;
      do { fn(); i++; } while (i < 2 || performance.now() < end);
    };
    const k8 = 8, nf = 8;
    // most needed first (the engine optimises them in this order): the bake's filter transform, the two
    // packed gemms every convolution ends in, then the convolutions themselves with affine + relu
    loop(() => f("wino2_weights_packed")(W, nf, k8, S));
    loop(() => f("gemm_packed_ap")(16, 16, 64, W, X, O, 16, 0, 0, 0, 1));
    loop(() => f("gemm_packed")(16, 16, 64, W, 64, X, O, 16, 0, 0, 0, 1));
    loop(() => f("wino4_weights")(W, nf, k8, S));
    loop(() => f("wino_pack_u")(S, 36, nf, k8, S + 36 * nf * k8 * 4));
    f("wino2_weights_packed")(W, nf, k8, S);
    loop(() => f("wino2_con")(X, 1, k8, 8, 8, S, nf, W, W, W, 1, O, S + 16 * nf * k8 * 4, 1));
    f("wino4_weights")(W, nf, k8, S);
    loop(() => f("wino4_con")(X, 1, k8, 12, 12, S, nf, W, W, W, 1, O, S + 36 * nf * k8 * 4, 0));
    // im2col + gemm convolutions: 3x3 stride 2 and 7x7 stride 2 (the ResNet's first layer)
    loop(() => f("con_affine_forward")(X, 1, k8, 9, 9, W, nf, 3, 3, 2, 2, 0, 0, W, W, W, 1, O, S));
    loop(() => f("con_affine_forward")(X, 1, 3, 20, 20, W, nf, 7, 7, 2, 2, 0, 0, W, W, W, 1, O, S));
    loop(() => f("gemm")(nf, 1, k8, W, k8, X, 1, O, 1, W, W, W, 1));
    loop(() => f("fc_forward")(X, 1, 64, W, 16, W, O));
    loop(() => f("add_prev")(X, 1, k8, 8, 8, W, 1, k8, 8, 8, O));
    loop(() => f("relu")(X, 512, O));
    loop(() => f("max_pool")(X, 1, k8, 9, 9, 3, 3, 2, 2, 0, 0, O));
    loop(() => f("avg_pool")(X, 1, k8, 8, 8, 2, 2, 2, 2, 0, 0, O));
    loop(() => f("rgb_input")(X, 256, 1, 2, 3, O));
    loop(() => f("gather_stride")(X, 512, 9, O));
  } finally {
    a.release(ptr);
  }
}
