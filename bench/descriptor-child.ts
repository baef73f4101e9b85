/**
 * One face descriptor timing in this process, for engine.bench.ts to measure the kernel build this process loads
 * (run with DLIB_FACE_SIMD=plain for the plain SIMD build, or on Node 20 with --experimental-wasm-relaxed-simd for
 * the relaxed one). Prints one JSON line: { build, median_ms, cpu_median_ms, cpu_best_ms, runs }.
 *   node [--experimental-wasm-relaxed-simd] --import tsx bench/descriptor-child.ts <resnet.dat> <chip.png> [--quick]
 */
import { readFileSync } from "node:fs";
import { loadNetwork } from "../src/nn/network.ts";
import { decodeImage } from "../src/image/decode.ts";

const [datPath, pngPath] = process.argv.slice(2);
const quick = process.argv.includes("--quick");
const net = await loadNetwork(new Uint8Array(readFileSync(datPath)), { type: "dlib_face_recognition_resnet_model_v1" });
const chip = decodeImage(new Uint8Array(readFileSync(pngPath)));
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let i = 0; i < 20; i++) net.forwardSync([chip]);
// batches of 10 calls for at least ~1.5 s (0.3 s quick): per-call wall and CPU medians
const wall: number[] = [], cpu: number[] = [];
const start = performance.now();
while (wall.length < (quick ? 5 : 15) || performance.now() - start < (quick ? 300 : 1500)) {
  const c0 = cpuNow(), t0 = performance.now();
  for (let i = 0; i < 10; i++) net.forwardSync([chip]);
  wall.push((performance.now() - t0) / 10);
  cpu.push((cpuNow() - c0) / 10);
}
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
console.log(JSON.stringify({ build: net.kernels.build, median_ms: med(wall), cpu_median_ms: med(cpu), cpu_best_ms: Math.min(...cpu), runs: wall.length * 10 }));
