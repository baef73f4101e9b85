/**
 * Bilinear resampling against dlib 19.24: `resize_image` vs the fixtures' MMOD inputs (exact), `pyramid_up` sizes
 * vs the fixtures' `hog.upsample1_image_size`, and pixel hashes of pyramid_up / resize_image printed by a C++
 * program linked against Debian's libdlib 19.24 (g++ -O3 -march=native -ffp-contract=off), plus a plain float64
 * reference and small unit checks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { decode } from "fast-png";
import {
  flipImageLeftRight,
  flipImageLeftRightInPlace,
  interpolateBilinear,
  pyramidUp,
  pyramidUpSize,
  resizeImage,
} from "../src/image/resample.js";
import type { GrayImage, RgbImage } from "../src/image/types.js";
import { fixture, needFixture, readJson } from "./fixtures.js";

const IMAGES = [
  "bald_guys", "2007_007763", "2008_002470", "2009_004587", "JapaneseBaldActor", "dogs",
  "HiranoShow", "KamioFuju", "KitamutaTakumi", "MinakamiKouji", "NakagawaTaishi",
];

function readRgb(path: string): RgbImage {
  const im = decode(readFileSync(path));
  const ch = im.channels, n = im.width * im.height;
  const src = im.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = src[i * ch + (ch >= 3 ? c : 0)];
  return { width: im.width, height: im.height, data };
}
function sourceImage(name: string): RgbImage {
  const dec = fixture("golden", "decoded", `${name}.png`);
  return readRgb(existsSync(dec) ? dec : fixture("images", `${name}.png`));
}
function greenChannel(img: RgbImage): GrayImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = img.data[i * 3 + 1];
  return { width: img.width, height: img.height, data };
}
function fnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < bytes.length; i++) {
    h ^= BigInt(bytes[i]);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * dlib 19.24 output: [width, height, FNV-1a 64 of the pixel bytes] of `pyramid_up(img, up, pyramid_down<2>())`
 * for the rgb image and for its green channel as an `unsigned char` image, and the hashes [rgb, grey] of
 * `resize_image(img, out)` to W×H.
 */
const DLIB_EXPECTED: Record<string, any> = {
  "images/HiranoShow.png": { up_rgb: [634, 585, "3511a1cfcefc91e2"], up_grey: [634, 585, "fc961dbbdb0826bc"], resize_101x77: ["3345b46849149201", "163e1416f425398a"], resize_333x250: ["01bfd0b3cf9af074", "174b45b613d759c6"], resize_17x9: ["bdb0d44976a55d2a", "1740c9cd8f3e1b64"], resize_640x480: ["aca66c2e30c73aa3", "ac31d80a5c8cd6d5"] },
  "golden/decoded/2008_002470.png": { up_rgb: [1002, 665, "4f74cc5be1ab9aba"], up_grey: [1002, 665, "80d8a65d2b033826"], resize_101x77: ["d1b1b66a180c5254", "a3cbdf54d9d891fe"], resize_333x250: ["997f210083db3ac8", "7ce7e6f4ed1e2c3f"], resize_17x9: ["943b57abf8b15790", "1e1349a2660062ca"], resize_640x480: ["9faeca2aec7b9af4", "397863ce441c09da"] },
  "golden/chips/bald_guys_0_32.png": { up_rgb: [66, 65, "422d4a4a986d0127"], up_grey: [66, 65, "e1f48f757d101120"], resize_101x77: ["69dd0e00942ff1f7", "4115947990e161bf"], resize_333x250: ["7596edd2a6e96272", "d2eb4ebe95d8ba65"], resize_17x9: ["816445a61da5b94c", "81c6172073751b9c"], resize_640x480: ["750550e7fc65d02e", "1e7cdaf50aaea725"] },
};

/** Plain float64 bilinear resize with dlib's coordinate mapping (no float32 lanes), truncating. */
function plainResize(img: RgbImage, W: number, H: number): RgbImage {
  const out = new Uint8Array(W * H * 3);
  const sx = (img.width - 1) / Math.max(W - 1, 1), sy = (img.height - 1) / Math.max(H - 1, 1);
  for (let r = 0; r < H; r++) {
    const y = r * sy, t = Math.floor(y), b = Math.min(t + 1, img.height - 1), fy = y - t;
    for (let c = 0; c < W; c++) {
      const x = c * sx, l = Math.floor(x), rr = Math.min(l + 1, img.width - 1), fx = x - l;
      for (let k = 0; k < 3; k++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + k];
        const v = (1 - fy) * ((1 - fx) * p(t, l) + fx * p(t, rr)) + fy * ((1 - fx) * p(b, l) + fx * p(b, rr));
        out[(r * W + c) * 3 + k] = Math.trunc(v + 1e-9);
      }
    }
  }
  return { width: W, height: H, data: out };
}

test("resize_image reproduces the MMOD inputs (640 px on the long side) exactly", (t) => {
  if (!needFixture(t, "golden", "mmod_inputs")) return;
  let checked = 0;
  for (const name of IMAGES) {
    const g = readJson(fixture("golden", `${name}.json`));
    if (!g.mmod || g.mmod.input === "original") continue;
    const img = sourceImage(name);
    const scale = 640 / Math.max(img.width, img.height);
    const W = Math.round(img.width * scale), H = Math.round(img.height * scale);
    assert.deepEqual([W, H], [g.mmod.input_width, g.mmod.input_height], `${name} size`);
    const out = resizeImage(img, W, H);
    const want = readRgb(fixture("golden", g.mmod.input));
    let n = 0, max = 0;
    for (let i = 0; i < out.data.length; i++) {
      const d = Math.abs(out.data[i] - want.data[i]);
      if (d) { n++; max = Math.max(max, d); }
    }
    assert.equal(n, 0, `${name}: ${n} values differ (max ${max})`);
    checked++;
  }
  t.diagnostic(`${checked} MMOD inputs exact`);
  assert.ok(checked >= 3, `only ${checked} downscaled MMOD inputs`);
});

test("pyramid_up size = (2w+2) x (2h+1), as the fixtures' hog.upsample1_image_size", (t) => {
  if (!needFixture(t, "golden", "bald_guys.json")) return;
  for (const name of IMAGES) {
    const g = readJson(fixture("golden", `${name}.json`));
    const s = pyramidUpSize(g.width, g.height);
    assert.deepEqual([s.width, s.height], g.hog.upsample1_image_size, name);
  }
  assert.deepEqual(pyramidUpSize(0, 5), { width: 0, height: 0 });
});

test("pyramid_up and resize_image (rgb and grey) hash-identical to dlib", (t) => {
  if (!needFixture(t, "images", "HiranoShow.png")) return;
  for (const [rel, e] of Object.entries(DLIB_EXPECTED)) {
    const img = readRgb(fixture(...rel.split("/")));
    const grey = greenChannel(img);
    const up = pyramidUp(img), gup = pyramidUp(grey);
    assert.deepEqual([up.width, up.height, fnv1a64(up.data)], e.up_rgb, `${rel} pyramid_up rgb`);
    assert.deepEqual([gup.width, gup.height, fnv1a64(gup.data)], e.up_grey, `${rel} pyramid_up grey`);
    for (const [W, H] of [[101, 77], [333, 250], [17, 9], [640, 480]]) {
      const r = resizeImage(img, W, H), rg = resizeImage(grey, W, H);
      assert.deepEqual([fnv1a64(r.data), fnv1a64(rg.data)], e[`resize_${W}x${H}`], `${rel} resize ${W}x${H}`);
    }
  }
});

test("pyramid_up agrees with a plain float64 bilinear reference within 1 grey level", (t) => {
  if (!needFixture(t, "images", "KamioFuju.png")) return;
  const img = readRgb(fixture("images", "KamioFuju.png"));
  const up = pyramidUp(img);
  const ref = plainResize(img, up.width, up.height);
  let n = 0, max = 0;
  for (let i = 0; i < up.data.length; i++) {
    const d = Math.abs(up.data[i] - ref.data[i]);
    if (d) { n++; max = Math.max(max, d); }
  }
  t.diagnostic(`${n} of ${up.data.length} values differ from float64 (float32 lanes), max ${max}`);
  assert.ok(max <= 1, `max diff ${max}`);
  assert.ok(n / up.data.length < 0.06, `${n} differing values`); // float32 truncation flips ~4%
});

test("interpolate_bilinear, flip_image_left_right: small cases", () => {
  const img: RgbImage = { width: 3, height: 2, data: new Uint8Array([0, 10, 20, 100, 110, 120, 200, 210, 220, 50, 60, 70, 150, 160, 170, 250, 255, 255]) };
  const out = new Uint8Array(3);
  const win = { img, x0: 0, y0: 0, width: 3, height: 2 };
  assert.ok(interpolateBilinear(win, 0.5, 0.5, out, 0));
  // (0 + 100 + 50 + 150)/4 = 75, (10+110+60+160)/4 = 85, (20+120+70+170)/4 = 95
  assert.deepEqual([...out], [75, 85, 95]);
  assert.ok(interpolateBilinear(win, 1.25, 0, out, 0));
  assert.deepEqual([...out], [125, 135, 145]);
  assert.equal(interpolateBilinear(win, 2, 0, out, 0), false); // right neighbour outside
  assert.equal(interpolateBilinear(win, 0, -1e-12, out, 0), false); // a hair above row 0 is outside
  // a window (sub_image) hides pixels outside it
  assert.equal(interpolateBilinear({ img, x0: 1, y0: 0, width: 2, height: 2 }, 1, 0, out, 0), false);
  const f = flipImageLeftRight(img);
  assert.deepEqual([...f.data.subarray(0, 9)], [200, 210, 220, 100, 110, 120, 0, 10, 20]);
  flipImageLeftRightInPlace(f);
  assert.deepEqual(f.data, img.data);
  const g: GrayImage = { width: 4, height: 1, data: new Uint8Array([1, 2, 3, 4]) };
  assert.deepEqual([...flipImageLeftRight(g).data], [4, 3, 2, 1]);
  assert.throws(() => resizeImage(img, -1, 2), RangeError);
  assert.throws(() => resizeImage({ width: 0, height: 0, data: new Uint8Array(0) }, 3, 2), RangeError);
  assert.equal(resizeImage(img, 0, 5).data.length, 0);
  assert.equal(pyramidUp({ width: 0, height: 3, data: new Uint8Array(0) }).width, 0);
  // 1-pixel inputs upsample to a constant image
  const one = pyramidUp({ width: 1, height: 1, data: new Uint8Array([7, 8, 9]) });
  assert.deepEqual([one.width, one.height], [4, 3]);
  for (let i = 0; i < one.data.length; i++) assert.equal(one.data[i], [7, 8, 9][i % 3]);
});
