/**
 * Gender classification speed (tinybench):
 *  - Taguchi's ResNet-34 procedure on one portrait: ms per image with 16 crops in one batch (the default), and for
 *    comparison 16 batches of 1; the crop preparation alone (draws, extract_image_chips, flips, colour offsets).
 *    The weights are the random-weight fixture gender_resnet34_random (same architecture and cost as Taguchi's
 *    model): 1.256 G multiply-adds per 150×150 crop (counted from the golden layer trace's conv shapes).
 *  - dlib's gender classifier v1: ms per face on the 24 golden 32×32 chips of bald_guys (one batch).
 * Run: node --import tsx bench/gender.bench.ts [--quick]   (DLIB_FACE_FIXTURES overrides the fixtures' path;
 * --quick: one timed run each, no unbatched comparison)
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { decode } from "fast-png";
import { loadNetwork } from "../src/nn/network.js";
import { classifyGenderSync, classifyGenderV1Chips, taguchiCropRects } from "../src/face/gender.js";
import { DlibRand } from "../src/face/rand.js";
import { chipDetails, chipDims, extractImageChips } from "../src/image/chip.js";
import { flipImageLeftRightInPlace } from "../src/image/resample.js";
import { applyRandomColorOffset } from "../src/face/augment.js";
import type { RgbImage } from "../src/image/types.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

function readRgb(path: string): RgbImage {
  const im = decode(readFileSync(path));
  const ch = im.channels, n = im.width * im.height, src = im.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * ch + (ch >= 3 ? c : 0)];
  return { width: im.width, height: im.height, data };
}

const img = readRgb(join(fixtures, "images", "HiranoShow.png"));
let t0 = performance.now();
const net = await loadNetwork(join(fixtures, "models", "gender_resnet34_random.dnn.bz2"), { type: "taguchi_gender_resnet34" });
const loadMs = performance.now() - t0;
t0 = performance.now();
const v1 = await loadNetwork(join(fixtures, "models", "dnn_gender_classifier_v1.dat.bz2"), { type: "dnn_gender_classifier_v1" });
const loadV1Ms = performance.now() - t0;
const golden = JSON.parse(readFileSync(join(fixtures, "golden", "bald_guys.json"), "utf8"));
const chips32: RgbImage[] = golden.faces.map((f: { chip32: { png: string } }) => readRgb(join(fixtures, "golden", f.chip32.png)));
console.log(`load: ResNet-34 (84.6 MB, bz2) ${loadMs.toFixed(0)} ms, v1 ${loadV1Ms.toFixed(0)} ms`);

const rng = new DlibRand();
const quick = process.argv.includes("--quick");
/** conv multiply-adds of one 150×150 crop, in G: Σ out_k·out_nr·out_nc·kh·kw·in_k over the 33 con layers of the
 *  golden layer trace golden/traces/gender_resnet34_random.json (conv 7×7/2 → 72², then 35², 17², 8², 4²). */
const GMAC_PER_CROP = 1.256288256;
const bench = new Bench({ time: 1, iterations: quick ? 1 : 3, warmupIterations: 1 });
bench.add("ResNet-34: 1 image, 16 crops, 1 batch of 16", () => {
  classifyGenderSync(img, { model: net, rng });
});
if (!quick) {
  bench.add("ResNet-34: 1 image, 16 crops, 16 batches of 1", () => {
    classifyGenderSync(img, { model: net, rng, batchSize: 1 });
  });
}
bench.add("crop preparation only (16 crops: draws, chips, flip, colour)", () => {
  const rects = taguchiCropRects(img.width, img.height, 16, rng);
  const crops = extractImageChips(img, rects.map((r) => chipDetails(r.rect, chipDims(150, 150))));
  for (const c of crops) {
    if (rng.getRandomDouble() > 0.5) flipImageLeftRightInPlace(c);
    applyRandomColorOffset(c, rng);
  }
});
const bench2 = new Bench({ time: 1000, warmupIterations: 3 });
bench2.add(`v1: ${chips32.length} faces (32x32 chips), 1 batch`, () => {
  classifyGenderV1Chips(v1, chips32);
});
await bench.run();
await bench2.run();

const mean = (t: (typeof bench.tasks)[number]) => {
  const r = t.result as unknown as { latency?: { mean: number }; mean?: number };
  return r.latency?.mean ?? r.mean ?? NaN;
};
const rows = [...bench.tasks, ...bench2.tasks].map((t) => {
  const ms = mean(t);
  const row: Record<string, string | number> = { task: t.name, "ms / call": +ms.toFixed(1) };
  if (t.name.startsWith("ResNet-34")) {
    row["ms / crop"] = +(ms / 16).toFixed(1);
    row["GMAC/s"] = +((16 * GMAC_PER_CROP) / (ms / 1000)).toFixed(1);
  }
  if (t.name.startsWith("v1")) row["ms / face"] = +(ms / chips32.length).toFixed(3);
  return row;
});
console.table(rows);
net.dispose();
v1.dispose();
