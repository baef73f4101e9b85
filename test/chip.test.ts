/**
 * Face chips, chip_details and dlib::rand-driven augmentations against the golden outputs of real dlib 19.24
 * (fixtures README: `faces[i].chip150/chip32`, `center150`, `golden/chips/*.png`,
 * `golden/random/{jitter,color_offset,taguchi_gender}.json`). Pixels must match exactly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { decode } from "fast-png";
import {
  chipDetails,
  chipDetailsFromSize,
  chipDetailsOfRect,
  chipDims,
  extractImageChip,
  extractImageChips,
  fma,
  fmaExact,
  getFaceChipDetails,
  type ChipDetails,
} from "../src/image/chip.js";
import { flipImageLeftRightInPlace } from "../src/image/resample.js";
import { applyRandomColorOffset, jitterImageWithInfo } from "../src/face/augment.js";
import { DlibRand } from "../src/face/rand.js";
import type { GrayImage, RgbImage } from "../src/image/types.js";
import { fixture, needFixture, readJson } from "./fixtures.js";

const IMAGES = [
  "bald_guys", "2007_007763", "2008_002470", "2009_004587", "JapaneseBaldActor", "dogs",
  "HiranoShow", "KamioFuju", "KitamutaTakumi", "MinakamiKouji", "NakagawaTaishi",
];

/** Reads a PNG as 8-bit RGB (alpha dropped; the fixture PNGs are RGB or RGBA with alpha 255). */
function readRgb(path: string): RgbImage {
  const im = decode(readFileSync(path));
  if (im.depth !== 8) throw new Error(`${path}: expected 8-bit PNG`);
  const ch = im.channels, n = im.width * im.height;
  const src = im.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * ch + (ch >= 3 ? c : 0)];
  return { width: im.width, height: im.height, data };
}

/** The image dlib worked on: its decoded copy for JPEGs, the PNG itself otherwise. */
function sourceImage(name: string): RgbImage {
  const dec = fixture("golden", "decoded", `${name}.png`);
  return readRgb(existsSync(dec) ? dec : fixture("images", `${name}.png`));
}

/**
 * FNV-1a 64 (bytes R,G,B row-major, offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the 16 Taguchi crops
 * per portrait as extracted (before the flip and colour offset), printed by a C++ program calling dlib 19.24's
 * `extract_image_chips(img, rects, crops)` (Debian libdlib 19.24, g++ -O3 -march=native -ffp-contract=off,
 * OpenBLAS 0.3.21 with OPENBLAS_CORETYPE=Haswell, the configuration of the fixtures). The fixtures' own
 * `fnv1a64` fields use a different hash definition, so they are not compared here; pixels of the HiranoShow
 * crops are compared with the fixture PNGs instead.
 */
const TAGUCHI_CROP_FNV: Record<string, string[]> = {
  HiranoShow: ["b5ecfc1e6aa528cb", "bfb1ae9ee441e9a0", "a8bc1ba1eb9c9c37", "7045aed5fe1c4cef", "7611e60578c0d2c1", "e1287531f2881a10", "83bed068d5d98ff5", "8d6c1aa45609d3ab", "b8cceb7f28c23eea", "6d64209ed8485283", "bb4d573e98d6cb6e", "9741408f32f46e18", "9f7ffd0d1520f643", "da578fbf2bf2f1a0", "bd2a550397e480af", "0e68e724c86a359f"],
  KamioFuju: ["afee76feb41bd2f8", "635f8dcb1eed4792", "a1e62d7594c4c768", "2fc12aff74a16676", "2e42e467ea736e31", "31f2238e4dd39767", "b7fe38e93216fcd6", "25718d0ea12be43a", "ca8a9298335632c1", "0e61979c8c563fd0", "327319946fb9a771", "3a7fa564be331ae6", "375da77ba4a11259", "a94264df73fd1333", "a3c07f0d8ca71fa5", "bb9f81638e75fb61"],
  KitamutaTakumi: ["badd8621532aa934", "bc34fbcb8be2aabe", "2c468a27820ef702", "ee673a2ffe99aad5", "1392e80030d085b5", "620dcb2f8ffa3f35", "e83a0225fb48b5b0", "be0ad17b359e9716", "3ae98a831b961bc0", "1b68764ff1d41819", "bfdf1a1ad37e86ec", "092319a360bebcf3", "eba567f5e2da8c46", "9ea7fdcead1088f2", "ddb3913e9bd87f96", "35c66cc5f945b07f"],
  MinakamiKouji: ["7e16c283e67b6304", "44193e1dd3bfc67e", "5f99dee08a23a075", "4c12f404c564fe0c", "ff677f336a4baf02", "60f8ee4f9afadd20", "11728136713663e0", "b6b5107cd7817257", "91ee7aa966be25cd", "48b635bbdaafd041", "83d45d62992cab82", "04dbdf78eaba614b", "594ddf55e51e0e7d", "f3575fed0414a780", "65d2aea398380663", "508ce4bd7e03b21f"],
  NakagawaTaishi: ["c5167cca57ee9e1d", "24840aa6d3640619", "10487bf26b3d1902", "35962711d4054264", "58700c3facfaf1ad", "c714aba38537d14c", "42594cf158120d71", "209eb7bfa14baeaa", "2bd042313c089140", "a4791389b68bba8b", "076df4b4a36f6840", "ba72fb0e249576b2", "dbac06e81453fae4", "eb73f27ff9826983", "0b08564cf2603702", "4d1a4c4b6faefbd2"],
};

function fnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

function diff(a: Uint8Array, b: Uint8Array): { count: number; max: number } {
  assert.equal(a.length, b.length, "pixel buffer sizes differ");
  let count = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) { count++; if (d > max) max = d; }
  }
  return { count, max };
}

function closeRel(got: number, want: number, tol: number, what: string): void {
  // golden doubles are printed with 9 significant digits
  const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
  assert.ok(err <= tol, `${what}: got ${got}, want ${want} (rel err ${err})`);
}

function checkDetails(d: ChipDetails, g: any, what: string): void {
  for (const k of ["left", "top", "right", "bottom"] as const) closeRel(d.rect[k], g.rect[k], 1e-8, `${what} rect.${k}`);
  assert.ok(Math.abs(d.angle - g.angle) <= 1e-8, `${what} angle ${d.angle} vs ${g.angle}`);
  assert.equal(d.rows, g.rows);
  assert.equal(d.cols, g.cols);
}

test("fma is a single-rounding fused multiply-add", () => {
  assert.equal(fma(1 + 2 ** -52, 1 - 2 ** -53, -1), 2 ** -52 - 2 ** -53 - 2 ** -105);
  assert.equal(fma(3, 5, 7), 22);
  assert.equal(fma(0.1, 10, -1), 5.551115123125783e-17); // 0.1*10 - 1 exactly, not 0
  assert.equal(fma(-2, 0, 1.5), 1.5);
  // fast path agrees with the exact BigInt evaluation, including cancellation-heavy cases
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < 20000; i++) {
    const a = rnd() * 2 ** ((rnd() * 40) | 0), b = rnd() * 2 ** ((rnd() * 40) | 0);
    const c = i % 3 === 0 ? -(a * b) * (1 + rnd() * 2 ** -50) : rnd() * 2 ** ((rnd() * 60) | 0);
    assert.equal(fma(a, b, c), fmaExact(a, b, c), `fma(${a}, ${b}, ${c})`);
  }
});

test("get_face_chip_details: rect/angle within 1e-8 of dlib for every face (150/0.25 and 32/0.2)", (t) => {
  if (!needFixture(t, "golden", "bald_guys.json")) return;
  let n = 0;
  for (const name of IMAGES) {
    const g = readJson(fixture("golden", `${name}.json`));
    for (const f of [...g.faces, ...g.faces_upsample1]) {
      const shape = f.landmarks68.map(([x, y]: number[]) => ({ x, y }));
      checkDetails(getFaceChipDetails(shape, 150, 0.25), f.chip150.details, `${name} ${f.chip150.png}`);
      checkDetails(getFaceChipDetails(shape, 32), f.chip32.details, `${name} ${f.chip32.png}`);
      n++;
    }
  }
  assert.ok(n >= 100, `only ${n} faces`);
});

/**
 * `get_face_chip_details` of 5-point shapes (the toy 5-point model's landmarks of a few fixture faces) as printed
 * (%.17g) by a C++ program calling dlib 19.24 (Debian libdlib, OpenBLAS 0.3.21 Haswell kernels).
 */
const FIVE_POINT_DLIB = [
  {"name":"bald_guys","i":0,"pts":[1207,1355,1179,1355,1107,1354,1132,1355,1155,1402],"size":150,"padding":0.25,"rect":[1058.9233677751697,1292.120184244231,1254.9748003686698,1488.171616837731],"angle":0.013650416764545193},
  {"name":"bald_guys","i":0,"pts":[1207,1355,1179,1355,1107,1354,1132,1355,1155,1402],"size":200,"padding":0.2,"rect":[1065.4917488616197,1298.688565330681,1248.4064192822198,1481.603235751281],"angle":0.013650416764545247},
  {"name":"bald_guys","i":0,"pts":[1207,1355,1179,1355,1107,1354,1132,1355,1155,1402],"size":32,"padding":0.2,"rect":[1065.4917488616197,1298.688565330681,1248.4064192822198,1481.603235751281],"angle":0.013650416764545271},
  {"name":"bald_guys","i":1,"pts":[189,121,162,123,91,125,118,125,143,172],"size":150,"padding":0.25,"rect":[46.26655430426442,61.90909899597813,239.89597416596015,255.53851885767386],"angle":-0.046695737398918274},
  {"name":"bald_guys","i":1,"pts":[189,121,162,123,91,125,118,125,143,172],"size":200,"padding":0.2,"rect":[52.754201632987616,68.39674632470133,233.40832683723696,249.05087152895067],"angle":-0.04669573739891823},
  {"name":"bald_guys","i":1,"pts":[189,121,162,123,91,125,118,125,143,172],"size":32,"padding":0.2,"rect":[52.754201632987616,68.39674632470133,233.40832683723696,249.05087152895067],"angle":-0.046695737398918226},
  {"name":"bald_guys","i":2,"pts":[1558,1383,1540,1383,1488,1380,1508,1383,1522,1418],"size":150,"padding":0.25,"rect":[1453.6923754659238,1338.1648006250498,1593.1809501780895,1477.6533753372155],"angle":0.03742785376143742},
  {"name":"bald_guys","i":2,"pts":[1558,1383,1540,1383,1488,1380,1508,1383,1522,1418],"size":200,"padding":0.2,"rect":[1458.3753279563293,1342.8477531154554,1588.497997687684,1472.97042284681],"angle":0.03742785376143748},
  {"name":"bald_guys","i":2,"pts":[1558,1383,1540,1383,1488,1380,1508,1383,1522,1418],"size":32,"padding":0.2,"rect":[1458.375327956329,1342.8477531154554,1588.4979976876837,1472.97042284681],"angle":0.03742785376143748},
  {"name":"HiranoShow","i":0,"pts":[189,140,172,143,127,143,143,142,160,179],"size":150,"padding":0.25,"rect":[95.02836507983834,101.764918826693,224.54528698049165,231.28184072734632],"angle":-0.04219276325382664},
  {"name":"HiranoShow","i":0,"pts":[189,140,172,143,127,143,143,142,160,179],"size":200,"padding":0.2,"rect":[99.37892914319343,106.11548289004813,220.19472291713652,226.9312766639912],"angle":-0.04219276325382655},
  {"name":"HiranoShow","i":0,"pts":[189,140,172,143,127,143,143,142,160,179],"size":32,"padding":0.2,"rect":[99.3789291431934,106.1154828900481,220.19472291713654,226.93127666399124],"angle":-0.042192763253826586},
];

test("get_face_chip_details: 5-point shapes within 1e-12 of dlib (sizes 150/0.25, 200/0.2, 32/0.2)", () => {
  for (const e of FIVE_POINT_DLIB) {
    const pts = [0, 1, 2, 3, 4].map((k) => ({ x: e.pts[2 * k], y: e.pts[2 * k + 1] }));
    const d = getFaceChipDetails(pts, e.size, e.padding);
    const got = [d.rect.left, d.rect.top, d.rect.right, d.rect.bottom];
    got.forEach((v, i) => closeRel(v, e.rect[i], 1e-12, `${e.name} ${e.i} size ${e.size} rect[${i}]`));
    assert.ok(Math.abs(d.angle - e.angle) <= 1e-12, `${e.name} ${e.i} angle`);
    assert.equal(d.rows, e.size);
  }
});

test("extract_image_chip: face chips (150, 32, upsample-1) and center150 crops are pixel-exact", (t) => {
  if (!needFixture(t, "golden", "chips", "bald_guys_0.png")) return;
  let chips = 0, values = 0, differing = 0, maxDiff = 0;
  const bad: string[] = [];
  for (const name of IMAGES) {
    const g = readJson(fixture("golden", `${name}.json`));
    const img = sourceImage(name);
    assert.equal(img.width, g.width);
    const jobs: [ChipDetails, string][] = [];
    for (const f of [...g.faces, ...g.faces_upsample1]) {
      const shape = f.landmarks68.map(([x, y]: number[]) => ({ x, y }));
      jobs.push([getFaceChipDetails(shape, 150, 0.25), f.chip150.png]);
      jobs.push([getFaceChipDetails(shape, 32), f.chip32.png]);
    }
    // centered_rect(point(w/2, h/2), s, s) with s = min(w, h), integer arithmetic
    const s = Math.min(img.width, img.height);
    const left = Math.trunc(img.width / 2) - Math.trunc(s / 2), top = Math.trunc(img.height / 2) - Math.trunc(s / 2);
    const rect = { left, top, right: left + s - 1, bottom: top + s - 1 };
    assert.deepEqual(rect, g.center150.details.rect);
    jobs.push([chipDetails(rect, chipDims(150, 150)), g.center150.png]);
    for (const [d, png] of jobs) {
      const chip = extractImageChip(img, d);
      const want = readRgb(fixture("golden", png));
      assert.equal(chip.width, want.width);
      assert.equal(chip.height, want.height);
      const r = diff(chip.data, want.data);
      chips++; values += chip.data.length; differing += r.count; maxDiff = Math.max(maxDiff, r.max);
      if (r.count) bad.push(`${png}: ${r.count} values differ, max ${r.max}`);
    }
  }
  t.diagnostic(`${chips} chips, ${values} values, ${differing} differing, max diff ${maxDiff}`);
  assert.ok(chips >= 250, `only ${chips} chips`);
  assert.deepEqual(bad, []);
});

test("extract_image_chips: Taguchi crops (16 rects per portrait, incl. rects touching the top edge) are exact", (t) => {
  const p = needFixture(t, "golden", "random", "taguchi_gender.json");
  if (!p) return;
  const tg = readJson(p);
  let crops = 0, pngs = 0;
  for (const im of tg.images) {
    const img = sourceImage(im.file.replace(/\.png$/, ""));
    const dets = im.crops.map((c: any) => chipDetails(c.rect, chipDims(150, 150)));
    const out = extractImageChips(img, dets);
    const name = im.file.replace(/\.png$/, "");
    im.crops.forEach((c: any, i: number) => {
      const chip = out[i];
      assert.equal(fnv1a64(chip.data), TAGUCHI_CROP_FNV[name][i], `${im.file} crop ${i} vs dlib`);
      if (c.flipped) flipImageLeftRightInPlace(chip);
      // the recorded offsets applied as dlib does: clamp(x + offset, 0, 255)
      const off = c.color_offsets_rgb;
      for (let k = 0; k < chip.data.length; k++) chip.data[k] = Math.min(255, Math.max(0, chip.data[k] + off[k % 3]));
      if (c.png) {
        const want = readRgb(fixture("golden", "random", c.png));
        const r = diff(chip.data, want.data);
        assert.equal(r.count, 0, `${c.png}: ${r.count} values differ (max ${r.max})`);
        pngs++;
      }
      crops++;
    });
  }
  assert.equal(crops, 80);
  assert.equal(pngs, 16);
  // HiranoShow crop 2 touches the top edge: dlib leaves 126 of the first row's 150 samples black.
  const hs = tg.images.find((x: any) => x.file === "HiranoShow.png");
  const c2 = hs.crops[2];
  assert.equal(c2.rect.top, 0);
  const chip = extractImageChip(sourceImage("HiranoShow"), chipDetails(c2.rect, chipDims(150, 150)));
  let black = 0;
  for (let x = 0; x < 150; x++) if (chip.data[x * 3] + chip.data[x * 3 + 1] + chip.data[x * 3 + 2] === 0) black++;
  assert.equal(black, 126);
});

test("jitter_image: draws, geometry and pixels as dlib (fresh generator per chip, 10 calls)", (t) => {
  const p = needFixture(t, "golden", "random", "jitter.json");
  if (!p) return;
  const jj = readJson(p);
  let n = 0;
  for (const c of jj.jitter) {
    const chip = readRgb(fixture("golden", "random", c.chip_png));
    const rnd = new DlibRand();
    for (const j of c.jitters) {
      const before = rnd.wordsDrawn;
      const { image, info } = jitterImageWithInfo(chip, rnd);
      assert.deepEqual(info.draws, j.draws, `${j.png} draws`);
      assert.equal(rnd.wordsDrawn - before, j.words_drawn);
      assert.deepEqual(info.shift, j.shift);
      assert.equal(info.boxSize, j.box_size);
      assert.deepEqual(info.cropRect, j.crop_rect);
      assert.ok(Math.abs(info.angleRad - j.angle_rad) <= 1e-15, `${j.png} angle`);
      assert.equal(info.flipped, j.flipped);
      const want = readRgb(fixture("golden", "random", j.png));
      const r = diff(image.data, want.data);
      assert.equal(r.count, 0, `${j.png}: ${r.count} values differ (max ${r.max})`);
      n++;
    }
  }
  assert.equal(n, 20);
});

test("apply_random_color_offset: Gaussians, offsets and pixels as dlib (one generator, 5 calls)", (t) => {
  const p = needFixture(t, "golden", "random", "color_offset.json");
  if (!p) return;
  const co = readJson(p);
  const chip = readRgb(fixture("golden", "random", co.chip_png));
  const rnd = new DlibRand();
  // record the Gaussians as they are drawn
  const drawn: number[] = [];
  const spy = { getRandomGaussian: () => { const v = rnd.getRandomGaussian(); drawn.push(v); return v; } };
  for (const call of co.calls) {
    drawn.length = 0;
    assert.equal(rnd.wordsDrawn, call.words_drawn_before);
    const img = { ...chip, data: chip.data.slice() };
    const off = applyRandomColorOffset(img, spy);
    assert.deepEqual(drawn, call.gaussians, `call ${call.call} gaussians`);
    assert.deepEqual(off, call.offsets_rgb, `call ${call.call} offsets`);
    assert.equal(rnd.wordsDrawn - call.words_drawn_before, call.words_drawn);
    const want = readRgb(fixture("golden", "random", call.png));
    assert.equal(diff(img.data, want.data).count, 0, `${call.png}`);
  }
});

test("extract_image_chip: basic copy path, grey images, outside-the-image black, errors", () => {
  const w = 20, h = 15;
  const rgb: RgbImage = { width: w, height: h, data: new Uint8Array(w * h * 3) };
  for (let i = 0; i < rgb.data.length; i++) rgb.data[i] = (i * 37 + 11) & 255;
  const grey: GrayImage = { width: w, height: h, data: new Uint8Array(w * h) };
  for (let i = 0; i < grey.data.length; i++) grey.data[i] = rgb.data[i * 3 + 1];
  // angle 0 and same size: a plain copy, black outside
  const c = extractImageChip(rgb, chipDetails({ left: -2, top: 3, right: 5, bottom: 6 }, chipDims(4, 8)));
  assert.equal(c.width, 8);
  assert.equal(c.height, 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) for (let k = 0; k < 3; k++) {
    const sx = x - 2, sy = y + 3;
    const want = sx >= 0 ? rgb.data[(sy * w + sx) * 3 + k] : 0;
    assert.equal(c.data[(y * 8 + x) * 3 + k], want);
  }
  // grey and rgb sampling agree channel-wise on a scaled, rotated chip
  const d = chipDetails({ left: 2.25, top: 1.5, right: 16.75, bottom: 12.5 }, chipDims(9, 11), 0.3);
  const cg = extractImageChip(grey, d), cr = extractImageChip(rgb, d);
  assert.equal(cg.data.length, 99);
  for (let i = 0; i < 99; i++) assert.equal(cg.data[i], cr.data[i * 3 + 1]);
  // shrinking chips go through pyramid_down<2> levels: grey and rgb still agree channel-wise, and the level
  // built from the cropped window equals pyramid_down of the crop
  const W2 = 300, H2 = 260;
  const big: RgbImage = { width: W2, height: H2, data: new Uint8Array(W2 * H2 * 3) };
  let st = 99;
  for (let i = 0; i < big.data.length; i++) big.data[i] = (st = (Math.imul(st, 1664525) + 1013904223) >>> 0) >>> 24;
  const bigG: GrayImage = { width: W2, height: H2, data: new Uint8Array(W2 * H2) };
  for (let i = 0; i < W2 * H2; i++) bigG.data[i] = big.data[i * 3 + 1];
  for (const dd of [
    chipDetails({ left: 10.5, top: 7.25, right: 280.5, bottom: 250.75 }, chipDims(24, 30), -0.2),
    chipDetails({ left: 0, top: 0, right: 299, bottom: 259 }, chipDims(20, 20)),
  ]) {
    const a = extractImageChip(big, dd), bg = extractImageChip(bigG, dd);
    for (let i = 0; i < bg.data.length; i++) assert.equal(bg.data[i], a.data[i * 3 + 1]);
    assert.ok(a.data.some((v) => v !== 0));
  }
  // a chip entirely outside the image is black
  const out = extractImageChip(rgb, chipDetails({ left: 100, top: 100, right: 130, bottom: 120 }, chipDims(10, 10)));
  assert.ok(out.data.every((v) => v === 0));
  // chip_details(rect, size) and chip_details(drectangle)
  assert.deepEqual(chipDetailsFromSize({ left: 0, top: 0, right: 99, bottom: 49 }, 1250), { rect: { left: 0, top: 0, right: 99, bottom: 49 }, angle: 0, rows: 25, cols: 50 });
  assert.equal(chipDetailsFromSize({ left: 0, top: 0, right: -1, bottom: -1 }, 150 * 150).rows, 150);
  assert.deepEqual([chipDetailsOfRect({ left: 0.2, top: 1, right: 10.7, bottom: 5.4 }).rows, chipDetailsOfRect({ left: 0.2, top: 1, right: 10.7, bottom: 5.4 }).cols], [5, 12]);
  assert.throws(() => chipDims(0, 3), RangeError);
  assert.throws(() => getFaceChipDetails([{ x: 1, y: 2 }], 150), RangeError);
  assert.throws(() => extractImageChip(rgb, { rect: { left: 5, top: 5, right: 1, bottom: 9 }, angle: 0, rows: 3, cols: 3 }), RangeError);
});
