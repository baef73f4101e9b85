/**
 * Entry for Cloudflare Workers / workerd (export condition `workerd`): workerd refuses to compile wasm from
 * bytes, so `kernels.wasm` is imported as a module (wrangler's default CompiledWasm rule; with esbuild keep
 * `*.wasm` external and give it to workerd/miniflare as a wasm module next to the bundle). No file system:
 * load models from bytes, a URL, or an R2/KV/fetch `ReadableStream`.
 */
import kernels from "../kernels.wasm";
import { setKernelModule } from "../nn/wasm.js";

setKernelModule(kernels);

export * from "../index.js";
export { ready, loadHogDetectorFrom, setKernelUrl } from "./common.js";
export { DescriptorPool } from "../nn/pool.js";
export type { DescriptorPoolOptions } from "../nn/pool.js";
