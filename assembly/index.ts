// One SIMD module: every kernel family re-exported from here.
// ABI: raw byte offsets into the exported memory (`usize`), f32 data, NCHW layout as dlib.
// Memory is owned by the TypeScript arena (src/nn/wasm.ts); kernels never allocate.

/** First byte of memory free for the TS arena (everything below is static data). */
export function heap_base(): usize {
  return (__heap_base + 15) & ~15;
}

export * from "./elementwise";
export * from "./gemm";
export * from "./conv";
export * from "./pool";
export * from "./bzip2";
export * from "./shape_predictor";
export * from "./hog";
export * from "./winograd";
export * from "./png";
export * from "./winograd_s2";
