// One SIMD module: every kernel family re-exported from here.
// ABI: raw byte offsets into the exported memory (`usize`), f32 data, NCHW layout as dlib.
// Memory is owned by the TypeScript arena (src/nn/wasm.ts); kernels never allocate.

/** First byte of memory free for the TS arena (everything below is static data). */
export function heap_base(): usize {
  return (__heap_base + 15) & ~15;
}

/** 1 in the relaxed-SIMD build (dist/kernels-relaxed.wasm, see simd.ts), 0 in the plain SIMD build. */
export function kernel_build_relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

export * from "./elementwise";
// (gemm.ts's micro-kernel pk4x8 is shared with wino_common.ts, not a module export)
export { gemm, gemm_ref, gemm_packed_b_floats, gemm_packed, gemm_pack_rows, gemm_pack_a, gemm_packed_ap, fc_forward, fc_forward_ref } from "./gemm";
export * from "./conv";
export * from "./pool";
export * from "./bzip2";
export * from "./shape_predictor";
export * from "./hog";
export * from "./winograd";
export * from "./png";
export * from "./winograd_s2";
export * from "./winograd_s2k3";
