/**
 * Entry for Node (export condition `node`): `kernels.wasm` is read from the package's `dist/` folder with
 * node:fs (or fetched when `setKernelUrl` gave an http(s) URL). Models load from bytes, paths, URLs, streams.
 */
import { kernelFileNames, setKernelModuleSource } from "../nn/wasm.js";
import { compileResponse, kernelUrlOverride } from "./common.js";

setKernelModuleSource(async () => {
  const override = kernelUrlOverride();
  if (override !== null && !String(override).startsWith("file:") && /^[a-z]+:/i.test(String(override))) {
    return compileResponse(await fetch(override), String(override));
  }
  const fs = await import("node:fs/promises");
  // dist/entry/node.js → dist/kernels.wasm; src/entry/node.ts (tsx) → dist/kernels.wasm of the checkout. The
  // relaxed-SIMD build first where the engine has relaxed SIMD (see preferredKernelBuild).
  const candidates = override !== null ? [override] : kernelFileNames().flatMap((f) => [new URL(`../${f}`, import.meta.url), new URL(`../../dist/${f}`, import.meta.url)]);
  let lastErr: unknown = null;
  for (const c of candidates) {
    try {
      return await WebAssembly.compile(await fs.readFile(c));
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error(`cannot load kernels.wasm: ${(lastErr as Error)?.message ?? lastErr}`);
});

export * from "../index.js";
export { ready, loadHogDetectorFrom, setKernelUrl } from "./common.js";
export { DescriptorPool } from "../nn/pool.js";
export type { DescriptorPoolOptions } from "../nn/pool.js";
