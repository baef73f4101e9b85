// HOG frontal face detector speed on the fixture images (dlib 19.24 native on this machine class:
// bald_guys.jpg 1986x1545 upsample 0 = 204-224 ms CPU, upsample 1 = 1008-1168 ms; see /work/shared/docs/targets.md).
//   node --import tsx bench/hog.bench.ts            (add --quick for a shorter run, --js to also time the JS reference,
//                                                    --stages for the per-stage split of bald_guys upsample 0)
// Two timings: tinybench's wall-clock median, and the best per-call process CPU time over a few batches
// (robust when other processes share the cores; everything here is single-threaded).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { decode } from "fast-png";
import {
  detectFacesHog,
  extractFhogFeaturesWasm,
  getFrontalFaceDetector,
  hogStageMs,
  hogWasmAvailable,
  runHogDetectorJs,
} from "../src/face/hog.ts";
import { extractFhogFeatures } from "../src/face/fhog.ts";
import { pyramidUp } from "../src/image/resample.ts";
import type { RgbImage } from "../src/image/types.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const quick = process.argv.includes("--quick");
const withJs = process.argv.includes("--js");
const stages = process.argv.includes("--stages");

function readRgb(path: string): RgbImage {
  const im = decode(readFileSync(path));
  const ch = im.channels, n = im.width * im.height;
  const src = im.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * ch + c];
  return { width: im.width, height: im.height, data };
}

const baldPath = join(fixtures, "golden", "decoded", "bald_guys.png");
if (!existsSync(baldPath)) {
  console.warn(`fixtures not found under ${fixtures}`);
  process.exit(0);
}
if (!hogWasmAvailable()) console.warn("dist/kernels.wasm not found: timing the JavaScript reference (npm run build:wasm)");
const bald = readRgb(baldPath);
const portrait = readRgb(join(fixtures, "images", "HiranoShow.png"));
const voc = readRgb(join(fixtures, "golden", "decoded", "2007_007763.png"));
const det = getFrontalFaceDetector();

const fns = new Map<string, () => void>();
fns.set("detect bald_guys 1986x1545 upsample 0", () => detectFacesHog(bald, { upsample: 0, detector: det }));
fns.set("detect 2007_007763 500x375 upsample 0", () => detectFacesHog(voc, { upsample: 0, detector: det }));
fns.set("detect 2007_007763 500x375 upsample 1", () => detectFacesHog(voc, { upsample: 1, detector: det }));
fns.set("detect HiranoShow 316x292 upsample 0", () => detectFacesHog(portrait, { upsample: 0, detector: det }));
fns.set("fhog (wasm) bald_guys level 0", () => extractFhogFeaturesWasm(bald, 8, 10, 10));
if (!quick) {
  fns.set("detect bald_guys upsample 1", () => detectFacesHog(bald, { upsample: 1, detector: det }));
  fns.set("pyramid_up bald_guys (JS)", () => pyramidUp(bald));
}
if (withJs) {
  fns.set("JS reference: detect bald_guys upsample 0", () => runHogDetectorJs(det, bald, 0));
  fns.set("JS reference: fhog bald_guys level 0", () => extractFhogFeatures(bald, 8, 10, 10));
}

if (stages) {
  // per-stage wall-clock split (hogStageMs) and the process CPU time of the same calls, medians over 15 calls
  const names = ["pyramid", "fhog", "filters", "scan"] as const;
  const per: Record<string, number[]> = { pyramid: [], fhog: [], filters: [], scan: [], "total (wall)": [], "total (cpu)": [] };
  detectFacesHog(bald, { upsample: 0, detector: det });
  hogStageMs.enabled = true;
  for (let i = 0; i < 15; i++) {
    for (const k of names) hogStageMs[k] = 0;
    const c0 = process.cpuUsage(), t0 = performance.now();
    detectFacesHog(bald, { upsample: 0, detector: det });
    const t = performance.now() - t0, c = process.cpuUsage(c0);
    for (const k of names) per[k].push(hogStageMs[k]);
    per["total (wall)"].push(t);
    per["total (cpu)"].push((c.user + c.system) / 1000);
  }
  hogStageMs.enabled = false;
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log("bald_guys 1986x1545 upsample 0, per stage (ms, medians of 15 calls):");
  console.table(Object.fromEntries(Object.entries(per).map(([k, v]) => [k, { ms: +med(v).toFixed(1) }])));
}

const bench = new Bench({ time: quick ? 500 : 2000, iterations: 3, warmup: true });
for (const [name, fn] of fns) bench.add(name, fn);
await bench.run();

/** Best per-call CPU milliseconds over 3 batches. */
function cpuMs(fn: () => void): number {
  let best = Infinity;
  for (let b = 0; b < 3; b++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number; p50?: number; min?: number } };
  return {
    task: t.name,
    "wall ms (median)": +(r.latency?.p50 ?? r.latency?.mean ?? NaN).toFixed(1),
    "wall ms (min)": +(r.latency?.min ?? NaN).toFixed(1),
    "cpu ms (best)": +cpuMs(fns.get(t.name)!).toFixed(1),
  };
});
console.table(rows);
