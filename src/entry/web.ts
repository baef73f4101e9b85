/**
 * Entry for browsers, Deno and Bun (export conditions `browser`, `deno`, `bun`, `default`): `kernels.wasm`
 * is fetched from next to the package's `dist/` (`new URL("../kernels.wasm", import.meta.url)`), or from
 * `setKernelUrl(url)` when a bundler moved the code. Deno needs `--allow-read` for file URLs.
 */
import { setKernelModuleSource } from "../nn/wasm.js";
import { compileResponse, kernelUrlOverride } from "./common.js";

setKernelModuleSource(async () => {
  const url = kernelUrlOverride() ?? new URL("../kernels.wasm", import.meta.url);
  return compileResponse(await fetch(url), String(url));
});

export * from "../index.js";
export { ready, loadHogDetectorFrom, setKernelUrl } from "./common.js";
export { DescriptorPool } from "../nn/pool.js";
export type { DescriptorPoolOptions } from "../nn/pool.js";
