/**
 * Shape predictor speed: model load (read + parse) of the 68-point model (99 MB) and the 5-point toy, and
 * landmarks per face on the golden faces of bald_guys (24 faces) with each model (tinybench).
 * Run: node --import tsx bench/landmarks.bench.ts
 * (needs /usr/share/dlib/shape_predictor_68_face_landmarks.dat or DLIB_SP68, and the shared fixtures;
 * DLIB_FACE_FIXTURES overrides their path). dlib 19.24 natively: about 1.1 ms per face for the 68-point model.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { decode } from "fast-png";
import { ShapePredictor, readShapePredictor } from "../src/face/shape-predictor.js";
import { createKernels } from "../src/nn/wasm.js";
import type { Rect, RgbImage } from "../src/image/types.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const sp68Path = process.env.DLIB_SP68 ?? "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
const toyPath = join(fixtures, "models", "shape_predictor_5_toy.dat");

const golden = JSON.parse(readFileSync(join(fixtures, "golden", "bald_guys.json"), "utf8"));
const png = decode(readFileSync(join(fixtures, "golden", "decoded", "bald_guys.png")));
const img: RgbImage = { width: png.width, height: png.height, data: png.data as Uint8Array };
const rects: Rect[] = golden.faces.map((f: { rect: Rect }) => f.rect);

function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const bench = new Bench({ time: 2000, warmupTime: 500 });
const rows: Record<string, number | string>[] = [];
for (const [name, path] of [["68-point", sp68Path], ["5-point toy", toyPath]] as const) {
  if (!existsSync(path)) {
    console.warn(`skipping ${name}: ${path} not found`);
    continue;
  }
  let bytes!: Uint8Array;
  const readMs = timeMs(() => { bytes = new Uint8Array(readFileSync(path)); });
  // first parse is cold (JIT warm-up); report it and a warm one
  let sp!: ShapePredictor;
  const coldParse = timeMs(() => { sp = new ShapePredictor(readShapePredictor(bytes, path)); });
  const warmParse = timeMs(() => { readShapePredictor(bytes, path); });
  rows.push({ model: name, "file MB": +(bytes.length / 1e6).toFixed(1), "read ms": +readMs.toFixed(0), "parse ms (cold)": +coldParse.toFixed(0), "parse ms (warm)": +warmParse.toFixed(0) });
  bench.add(`${name} JS: ${rects.length} faces`, () => {
    for (const r of rects) sp.predict(img, r);
  });
  const spw = new ShapePredictor(readShapePredictor(bytes, path), { kernels: await createKernels(), releaseJsLeaves: true });
  if (!spw.usesWasm) console.warn("kernels.wasm has no sp_accumulate: run npm run build:wasm");
  bench.add(`${name} wasm: ${rects.length} faces`, () => {
    for (const r of rects) spw.predict(img, r);
  });
}
console.table(rows);
await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as unknown as { latency?: { mean: number; p50?: number }; mean?: number };
    const mean = r?.latency?.mean ?? r?.mean ?? NaN;
    return { task: t.name, "ms per call": +mean.toFixed(3), "ms per face": +(mean / rects.length).toFixed(3) };
  }),
);
