import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decode } from "fast-png";
import {
  ShapePredictor,
  describeShapePredictor,
  readShapePredictor,
  similarityTransform2x2,
} from "../src/face/shape-predictor.js";
import { DlibFormatError } from "../src/errors.js";
import type { RgbImage } from "../src/image/types.js";
import { fixture, inCI, needFixture, readJson } from "./fixtures.js";
import { createKernels } from "../src/nn/wasm.js";

const SP68 = process.env.DLIB_SP68 ?? "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

/** Golden images with faces, as dlib decoded them (RGB; PNG portraits are RGBA with alpha 255). */
function loadGoldenImage(name: string, g: any): RgbImage {
  const path = g.decoded_rgb?.png ? fixture("golden", g.decoded_rgb.png) : fixture("images", `${name}.png`);
  const png = decode(readFileSync(path));
  assert.equal(png.depth, 8);
  const ch = png.channels;
  const src = png.data as Uint8Array;
  if (ch === 3) return { width: png.width, height: png.height, data: src };
  assert.equal(ch, 4);
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; ++i) {
    assert.equal(src[4 * i + 3], 255);
    data[3 * i] = src[4 * i]!;
    data[3 * i + 1] = src[4 * i + 1]!;
    data[3 * i + 2] = src[4 * i + 2]!;
  }
  return { width: png.width, height: png.height, data };
}

function goldenNames(): string[] {
  return readdirSync(fixture("golden"))
    .filter((f) => f.endsWith(".json") && !f.startsWith("_"))
    .map((f) => f.slice(0, -5));
}

interface Stats { faces: number; points: number; intMismatch: number; maxDiff: number; not9digitEqual: number }

function compareModel(sp: ShapePredictor, key: "landmarks68" | "landmarks5_toy", other?: ShapePredictor): Stats {
  const st: Stats = { faces: 0, points: 0, intMismatch: 0, maxDiff: 0, not9digitEqual: 0 };
  for (const name of goldenNames()) {
    const g = readJson(fixture("golden", `${name}.json`));
    const faces = [...(g.faces ?? []), ...(g.faces_upsample1 ?? [])];
    if (faces.length === 0) continue;
    const img = loadGoldenImage(name, g);
    for (const f of faces) {
      const det = sp.predict(img, f.rect);
      // the other code path (JS vs wasm leaf accumulation) must give the very same numbers
      if (other) assert.deepEqual(other.predict(img, f.rect), det);
      const wantInt: number[][] = f[key];
      const wantF: number[][] = f[`${key}_float`];
      assert.equal(det.parts.length, wantInt.length);
      st.faces++;
      for (let i = 0; i < wantInt.length; ++i) {
        st.points++;
        const d = Math.max(Math.abs(det.partsFloat[i]!.x - wantF[i]![0]!), Math.abs(det.partsFloat[i]!.y - wantF[i]![1]!));
        st.maxDiff = Math.max(st.maxDiff, d);
        // the goldens are dlib's doubles printed with %.9g: ours printed the same way should be identical
        if (Number(det.partsFloat[i]!.x.toPrecision(9)) !== wantF[i]![0] || Number(det.partsFloat[i]!.y.toPrecision(9)) !== wantF[i]![1]) {
          st.not9digitEqual++;
        }
        if (det.parts[i]!.x !== wantInt[i]![0] || det.parts[i]!.y !== wantInt[i]![1]) st.intMismatch++;
      }
    }
  }
  return st;
}

test("68-point model: every golden face (upsample 0 and 1), float within 1e-3 px, integers exact; JS = wasm", async (t) => {
  if (!existsSync(SP68)) {
    if (inCI) throw new Error(`missing ${SP68} under CI`);
    t.skip(`${SP68} not installed (Debian libdlib-data)`);
    return;
  }
  if (!needFixture(t, "golden", "bald_guys.json")) return;
  const bytes = readFileSync(SP68);
  const t0 = performance.now();
  const sp = ShapePredictor.fromBytes(bytes, SP68);
  const loadMs = performance.now() - t0;
  const spw = new ShapePredictor(readShapePredictor(bytes, SP68), { kernels: await createKernels(), releaseJsLeaves: true });
  assert.ok(spw.usesWasm);
  assert.ok(!sp.usesWasm);
  const info = describeShapePredictor(sp);
  assert.deepEqual(
    [info.landmarks, info.cascades, info.treesPerCascade, info.treeDepth, info.featurePoolSize],
    [68, 15, 500, 4, 500],
  );
  const st = compareModel(spw, "landmarks68", sp);
  assert.deepEqual(describeShapePredictor(spw), info);
  spw.dispose();
  assert.throws(() => spw.predict({ width: 1, height: 1, data: new Uint8Array(3) }, { left: 0, top: 0, right: 0, bottom: 0 }), /dispose/);
  t.diagnostic(`68-point: ${st.faces} faces, ${st.points} points, max |diff| ${st.maxDiff.toExponential(3)} px, ` +
    `${st.intMismatch} integer mismatches, ${st.not9digitEqual} points differing at 9 significant digits; parse ${loadMs.toFixed(0)} ms`);
  assert.ok(st.faces >= 100, `expected >= 100 golden faces, got ${st.faces}`);
  assert.equal(st.intMismatch, 0);
  assert.ok(st.maxDiff < 1e-3, `max diff ${st.maxDiff}`);
  assert.equal(st.not9digitEqual, 0);
});

test("5-point toy model: every golden face, float within 1e-3 px, integers exact; JS = wasm", async (t) => {
  const p = needFixture(t, "models", "shape_predictor_5_toy.dat");
  if (!p) return;
  const sp = ShapePredictor.fromBytes(readFileSync(p), p);
  const kernels = await createKernels();
  assert.equal(typeof kernels.exports["sp_cascade"], "function", "kernels.wasm lacks sp_cascade: npm run build:wasm");
  // a kernels object without sp_cascade exercises the sp_accumulate-only path
  const noCascade = Object.create(kernels);
  noCascade.exports = { ...kernels.exports, sp_cascade: undefined };
  const spa = new ShapePredictor(readShapePredictor(readFileSync(p), p), { kernels: noCascade });
  const spw = await ShapePredictor.load(readFileSync(p), p, { kernels });
  assert.ok(spw.usesWasm && spa.usesWasm);
  const info = describeShapePredictor(sp);
  assert.deepEqual(
    [info.landmarks, info.cascades, info.treesPerCascade, info.treeDepth, info.featurePoolSize],
    [5, 6, 50, 4, 400],
  );
  const st = compareModel(sp, "landmarks5_toy", spw);
  assert.deepEqual(compareModel(spa, "landmarks5_toy", spw), st);
  t.diagnostic(`5-point toy: ${st.faces} faces, max |diff| ${st.maxDiff.toExponential(3)} px, ${st.intMismatch} integer mismatches, ${st.not9digitEqual} points differing at 9 significant digits`);
  assert.ok(st.faces >= 100);
  assert.equal(st.intMismatch, 0);
  assert.ok(st.maxDiff < 1e-3, `max diff ${st.maxDiff}`);
  assert.equal(st.not9digitEqual, 0);
});

test("toy model header values (SERIALIZATION.md §9.6)", (t) => {
  const p = needFixture(t, "models", "shape_predictor_5_toy.dat");
  if (!p) return;
  const m = readShapePredictor(readFileSync(p), p);
  assert.equal(m.numParts, 5);
  assert.equal(m.initialShape[0], Math.fround(12617836 * 2 ** -24));
  assert.equal(m.initialShape[9], Math.fround(10225175 * 2 ** -24));
  assert.equal(m.cascades[0]!.splitIdx1[0], 295);
  assert.equal(m.cascades[0]!.splitIdx2[0], 16);
  assert.equal(m.cascades[0]!.splitThresh[0], Math.fround(15602635 * 2 ** -20));
  assert.equal(m.cascades[0]!.splitIdx1[1], 369);
});

test("truncated and corrupt files throw DlibFormatError with an offset", (t) => {
  const p = needFixture(t, "models", "shape_predictor_5_toy.dat");
  if (!p) return;
  const bytes = new Uint8Array(readFileSync(p));
  for (const cut of [0, 1, 3, 0x42, 0x4d, 1000, bytes.length >> 1, bytes.length - 1]) {
    assert.throws(
      () => readShapePredictor(bytes.subarray(0, cut), "toy"),
      (e: unknown) => e instanceof DlibFormatError && e.offset >= 0 && e.offset <= cut,
      `cut at ${cut}`,
    );
  }
  // wrong version
  const v = bytes.slice();
  v[1] = 2;
  assert.throws(() => readShapePredictor(v), DlibFormatError);
  // huge forests.size(): must be rejected before allocating
  const huge = new Uint8Array([...bytes.subarray(0, 0x42), 0x04, 0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => readShapePredictor(huge), (e: unknown) => e instanceof DlibFormatError && e.offset === 0x42);
  // split index beyond the feature pool: idx1 of the first split 295 -> 0x7fff
  const bad = bytes.slice();
  assert.deepEqual([...bad.subarray(0x48, 0x4b)], [0x02, 0x27, 0x01]);
  bad[0x49] = 0xff;
  bad[0x4a] = 0x7f;
  assert.throws(() => readShapePredictor(bad), /feature/);
  assert.throws(() => readShapePredictor(new Uint8Array([0x42, 0x5a, 0x68, 0x39, 0, 0])), /bzip2/);
  assert.equal(describeShapePredictor(readShapePredictor(bytes)).numFeatures, 6 * 50 * 16);
  // trailing garbage
  assert.throws(() => readShapePredictor(new Uint8Array([...bytes, 0])), /unexpected bytes/);
});

test("similarity transform: rotation + scale recovered, identity for one point", () => {
  const from = new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]);
  const a = 0.3;
  const s = 1.7;
  const to = new Float32Array(8);
  for (let i = 0; i < 4; ++i) {
    const x = from[2 * i]!, y = from[2 * i + 1]!;
    to[2 * i] = s * (Math.cos(a) * x - Math.sin(a) * y) + 5;
    to[2 * i + 1] = s * (Math.sin(a) * x + Math.cos(a) * y) - 2;
  }
  const m = similarityTransform2x2(from, to);
  assert.ok(Math.abs(m[0]! - s * Math.cos(a)) < 1e-6);
  assert.ok(Math.abs(m[1]! + s * Math.sin(a)) < 1e-6);
  assert.ok(Math.abs(m[2]! - s * Math.sin(a)) < 1e-6);
  assert.ok(Math.abs(m[3]! - s * Math.cos(a)) < 1e-6);
  // mirrored target: reflection
  const mir = new Float32Array(8);
  for (let i = 0; i < 4; ++i) { mir[2 * i] = -from[2 * i]!; mir[2 * i + 1] = from[2 * i + 1]!; }
  const r = similarityTransform2x2(from, mir);
  assert.deepEqual([...r], [-1, 0, 0, 1]);
  assert.deepEqual([...similarityTransform2x2(new Float32Array([1, 2]), new Float32Array([3, 4]))], [1, 0, 0, 1]);
});

test("grey, RGB and RGBA inputs give the same landmarks; faces off the image edge work", (t) => {
  const p = needFixture(t, "models", "shape_predictor_5_toy.dat");
  if (!p) return;
  const sp = ShapePredictor.fromBytes(readFileSync(p));
  const w = 64, h = 48;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < rgb.length; ++i) rgb[i] = (i * 37 + (i >> 5) * 11) & 255;
  const grey = new Uint8Array(w * h);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; ++i) {
    grey[i] = Math.floor((rgb[3 * i]! + rgb[3 * i + 1]! + rgb[3 * i + 2]!) / 3);
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  const rect = { left: -10, top: 5, right: 40, bottom: 55 };
  const a = sp.predict({ width: w, height: h, data: rgb }, rect);
  const b = sp.predict({ width: w, height: h, data: grey }, rect);
  const c = sp.predict({ width: w, height: h, data: rgba }, rect);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.throws(() => sp.predict({ width: w, height: h, data: new Uint8Array(5) }, rect), RangeError);
});
