/**
 * Face-chip extraction and resampling speed on the fixture images (ms per call, median of several runs):
 * extract_image_chip 150×150 and 32×32 per face (bald_guys.jpg's 24 faces, landmarks from the goldens),
 * the 16 Taguchi crops of a portrait in one extract_image_chips call, center150 of the 1986×1545 bald_guys
 * image (pyramid_down<2> path), jitter_image, pyramid_up and resize_image to the MMOD input size.
 *   node --import tsx bench/chip.bench.ts
 * Native dlib reference on the same machine: extract_image_chip 150×150 ≈ 0.3 ms per face.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "fast-png";
import { chipDetails, chipDims, extractImageChip, extractImageChips, getFaceChipDetails } from "../src/image/chip.ts";
import { pyramidUp, resizeImage } from "../src/image/resample.ts";
import { jitterImage } from "../src/face/augment.ts";
import { DlibRand } from "../src/face/rand.ts";
import type { RgbImage } from "../src/image/types.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

function readRgb(path: string): RgbImage {
  const im = decode(readFileSync(path));
  const ch = im.channels, n = im.width * im.height;
  const src = im.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * ch + c];
  return { width: im.width, height: im.height, data };
}

function timeit(runs: number, fn: () => void): { median: number; min: number } {
  fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median: t[t.length >> 1], min: t[0] };
}
const r3 = (x: number) => Number(x.toFixed(3));

const gPath = join(fixtures, "golden", "bald_guys.json");
if (!existsSync(gPath)) {
  console.warn(`fixtures not found under ${fixtures}`);
  process.exit(0);
}
const g = JSON.parse(readFileSync(gPath, "utf8"));
const bald = readRgb(join(fixtures, "golden", "decoded", "bald_guys.png"));
const shapes = g.faces.map((f: any) => f.landmarks68.map(([x, y]: number[]) => ({ x, y })));
const d150 = shapes.map((s: any) => getFaceChipDetails(s, 150, 0.25));
const d32 = shapes.map((s: any) => getFaceChipDetails(s, 32));
const nf = shapes.length;

const rows: Record<string, unknown>[] = [];
const add = (what: string, per: number, r: { median: number; min: number }) =>
  rows.push({ what, "median ms": r3(r.median / per), "min ms": r3(r.min / per) });

add(`get_face_chip_details(68 pts) per face`, nf, timeit(50, () => { for (const s of shapes) getFaceChipDetails(s, 150, 0.25); }));
add(`extract_image_chip 150x150 per face (${nf} faces)`, nf, timeit(20, () => { for (const d of d150) extractImageChip(bald, d); }));
add(`extract_image_chip 32x32 per face`, nf, timeit(20, () => { for (const d of d32) extractImageChip(bald, d); }));
const s = Math.min(bald.width, bald.height);
const l = (bald.width >> 1) - (s >> 1), t = (bald.height >> 1) - (s >> 1);
const c150 = chipDetails({ left: l, top: t, right: l + s - 1, bottom: t + s - 1 }, chipDims(150, 150));
add(`center150 of ${bald.width}x${bald.height} (pyramid_down<2> x3)`, 1, timeit(5, () => extractImageChip(bald, c150)));

const tg = JSON.parse(readFileSync(join(fixtures, "golden", "random", "taguchi_gender.json"), "utf8"));
const hs = readRgb(join(fixtures, "images", "HiranoShow.png"));
const tdets = tg.images[0].crops.map((c: any) => chipDetails(c.rect, chipDims(150, 150)));
add(`extract_image_chips: 16 Taguchi crops of HiranoShow (per call)`, 1, timeit(20, () => extractImageChips(hs, tdets)));

const chip = extractImageChip(bald, d150[0]);
const rnd = new DlibRand();
add(`jitter_image 150x150`, 10, timeit(10, () => { for (let i = 0; i < 10; i++) jitterImage(chip, rnd); }));
add(`pyramid_up ${bald.width}x${bald.height} rgb`, 1, timeit(3, () => pyramidUp(bald)));
const sc = 640 / Math.max(bald.width, bald.height);
add(`resize_image ${bald.width}x${bald.height} -> ${Math.round(bald.width * sc)}x${Math.round(bald.height * sc)}`, 1, timeit(5, () => resizeImage(bald, Math.round(bald.width * sc), Math.round(bald.height * sc))));

console.table(rows);
