// SIMD helpers shared by the kernel families (not exported from the module).

/**
 * acc + a*b, lane-wise. In the relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD: dist/kernels-relaxed.wasm) one
 * f32x4.relaxed_madd, which the engine may fuse (x64 FMA: one rounding); in the plain SIMD build a multiply then an
 * add, each rounded to f32.
 */
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

