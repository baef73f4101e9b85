// face-api (@vladmandic/face-api + tfjs-backend-wasm, XNNPACK SIMD, one thread: tfjs has no threads in Node)
// on the same 150x150 chip as our engine bench. Run by bench/engine.bench.ts as a child process from this folder:
//   node bench/peers/faceapi.mjs CHIP.rgb WIDTH HEIGHT [REPEATS]
// CHIP.rgb: raw interleaved RGB bytes. Prints one JSON line: load_ms (models from node_modules -> ready),
// first_descriptor_ms (process start -> first descriptor), descriptor wall/CPU medians, batch-16 ms/face, peak RSS.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const t00 = performance.now();
const require = createRequire(import.meta.url);
const faceapi = require("@vladmandic/face-api/dist/face-api.node-wasm.js");
const tf = faceapi.tf;
const [rgbPath, w, h, reps = "15"] = process.argv.slice(2);
const W = Number(w), H = Number(h), R = Number(reps);
const wasmDir = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
tf.wasm?.setWasmPaths?.(wasmDir);
if (faceapi.tf.setWasmPaths) faceapi.tf.setWasmPaths(wasmDir);
await tf.setBackend("wasm");
await tf.ready();
const modelDir = join(dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
const tl = performance.now();
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
const loadMs = performance.now() - tl;
const rgb = new Uint8Array(readFileSync(rgbPath));
const one = tf.tensor3d(rgb, [H, W, 3], "int32");
const desc = async (t) => {
  const d = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(t);
  return d;
};
await desc(one);
const firstMs = performance.now(); // since the process started (node's own start-up included, like ours)
const firstFromScriptMs = firstMs - t00;
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const wall = [], cpu = [];
for (let i = 0; i < R; i++) {
  const c0 = cpuNow(), t0 = performance.now();
  await desc(one);
  wall.push(performance.now() - t0); cpu.push(cpuNow() - c0);
}
const batch = Array.from({ length: 16 }, () => one);
const bw = [], bc = [];
for (let i = 0; i < Math.max(3, R >> 2); i++) {
  const c0 = cpuNow(), t0 = performance.now();
  await desc(batch);
  bw.push(performance.now() - t0); bc.push(cpuNow() - c0);
}
console.log(JSON.stringify({
  backend: tf.getBackend(), tfjs: tf.version?.tfjs ?? tf.version_core, load_ms: loadMs, first_descriptor_ms: firstMs, first_descriptor_from_script_ms: firstFromScriptMs,
  descriptor_ms: med(wall), descriptor_cpu_ms: med(cpu), batch16_ms_per_face: med(bw) / 16, batch16_cpu_ms_per_face: med(bc) / 16,
  rss_mb: process.resourceUsage().maxRSS / 1024,
}));
