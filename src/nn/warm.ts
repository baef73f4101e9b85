/**
 * Early tier-up of the hot kernels. A wasm engine first runs each function from a quick baseline compile
 * (V8: Liftoff) and recompiles it optimised (TurboFan) only once it has run for a while, in the background;
 * a call already running keeps the baseline code. So a process's first descriptor ran mostly on baseline
 * code (~45 ms instead of ~9). `warmUpKernels` calls the kernels a network forward and the parameter bake
 * use, on tiny inputs, in short loops, right after the module is instantiated: the engine then optimises
 * them on another core while the model file is read, and the first forward already runs optimised code.
 * Results of these calls are discarded; memory is taken from the arena and given back.
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
