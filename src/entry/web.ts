/**
 * Entry for browsers, Deno and Bun (export conditions `browser`, `deno`, `bun`, `default`): `kernels.wasm`
 * (or `kernels-relaxed.wasm` where the engine has relaxed SIMD) is fetched from the package's `dist/`
 * (`new URL("../kernels.wasm", import.meta.url)`), or from `setKernelUrl(url)` when a bundler moved the code.
 * Deno needs `--allow-read` for file URLs.
 */
import { kernelFileNames, setKernelModuleSource } from "../nn/wasm.js";
import { compileResponse, kernelUrlOverride } from "./common.js";

setKernelModuleSource(async () => {
  const override = kernelUrlOverride();
  if (override !== null) return compileResponse(await fetch(override), String(override));
  // the relaxed-SIMD build first where the engine has relaxed SIMD (see preferredKernelBuild)
  const names = kernelFileNames();
  for (let i = 0; ; i++) {
    const url = new URL(`../${names[i]}`, import.meta.url);
    try {
      return await compileResponse(await fetch(url), String(url));
    } catch (e) {
      if (i === names.length - 1) throw e;
    }
  }
});

export * from "../index.js";
export { ready, loadHogDetectorFrom, setKernelUrl } from "./common.js";
export { DescriptorPool } from "../nn/pool.js";
export type { DescriptorPoolOptions } from "../nn/pool.js";
