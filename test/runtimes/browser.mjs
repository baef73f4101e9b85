// Harness for headless Chromium: bundled (esbuild, browser conditions) into the served page. Fetches the
// fixtures from the test server; the network is loaded from a URL. Sets window.__result / window.__error.
import * as lib from "dlib-face-wasm";
import { runPipeline, runPool } from "./pipeline.mjs";

lib.setKernelUrl(new URL("/kernels.wasm", location.href));
const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
(async () => {
  const landmarks = await (await fetch("/fixtures/landmarks.json")).json();
  const res = await runPipeline(lib, {
    runtime: "chromium " + navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0],
    image: await bytes("/fixtures/image"), hog: await bytes("/fixtures/hog.dat"),
    model: new URL("/fixtures/resnet.dat", location.href), landmarks,
  });
  // Web Workers: the pool's worker script is bundled separately and served as /pool-worker.js
  res.pool = await runPool(lib, { model: new URL("/fixtures/resnet.dat", location.href), net: res.keptNet, chip: res.keptChip, workerUrl: new URL("/pool-worker.js", location.href) });
  res.crossOriginIsolated = globalThis.crossOriginIsolated === true;
  window.__result = res;
})().catch((e) => { window.__error = String(e && e.stack || e); });
