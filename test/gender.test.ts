/**
 * Gender classification against real dlib:
 *  - Taguchi's GenderModelClassifier procedure with the random-weight ResNet-34 fixture on the five portraits, one
 *    default dlib::rand for the whole run (golden/random/taguchi_gender.json): every draw, rect, flip, colour
 *    offset exact, the extracted crops' pixels exact (FNV-1a 64 values printed by dlib 19.24's extract_image_chips,
 *    see test/chip.test.ts; HiranoShow's final crops against the PNGs), softmax per crop within 2e-2 and p within
 *    5e-3 (the random model is ill-conditioned: dlib's own p moves ~1e-3 between BLAS kernels), label and line equal.
 *  - dlib's dnn_gender_classifier_v1 softmax on every golden face within 1e-5: from the golden 32×32 chips, from the
 *    golden landmarks68 (chip pixels exact too), and through the whole chain (decode → HOG → 68 landmarks → chip).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fixture, needFixture, readJson, readPngRgb } from "./fixtures.js";
import { loadNetwork, type Network } from "../src/nn/network.js";
import {
  classifyGender, classifyGenderSync, classifyGenderV1, classifyGenderV1Chips, genderV1Chips, genderLine, formatG6,
  deterministicCropRects, taguchiCropRects,
} from "../src/face/gender.js";
import { DescriptorPool } from "../src/nn/pool.js";
import { WrongNetworkError } from "../src/errors.js";
import { DlibRand } from "../src/face/rand.js";
import { ShapePredictor } from "../src/face/shape-predictor.js";
import { detectFaces, faceLandmarks } from "../src/face/pipeline.js";
import { decodeImage } from "../src/image/decode.js";
import { flipImageLeftRight } from "../src/image/resample.js";

/** dlib 19.24 extract_image_chips FNV-1a 64 (plain R,G,B byte order) of the Taguchi crops before flip/offset (from test/chip.test.ts). */
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

let resnet34: Promise<Network> | null = null;
const loadResnet34 = (p: string) => (resnet34 ??= loadNetwork(p, { type: "taguchi_gender_resnet34" }));

test("Taguchi gender procedure: draws, rects, flips, offsets, crops exact; softmax, p, label and line as dlib", async (t) => {
  const gp = needFixture(t, "golden", "random", "taguchi_gender.json");
  const mp = needFixture(t, "models", "gender_resnet34_random.dnn.bz2");
  if (!gp || !mp) return;
  const g = readJson(gp);
  const net = await loadResnet34(mp);
  const rng = new DlibRand(); // ONE default generator for the whole run, files in the golden's order
  let crops = 0, pngs = 0, maxSoftmax = 0, maxP = 0;
  for (const im of g.images) {
    const name = im.file.replace(/\.png$/, "");
    const img = await readPngRgb(fixture("images", im.file));
    assert.equal(img.width, im.width);
    assert.equal(img.height, im.height);
    const t0 = performance.now();
    const r = await classifyGender(img, { model: net, rng, keepCrops: true });
    const ms = performance.now() - t0;
    assert.equal(r.crops.length, 16);
    for (const [i, c] of r.crops.entries()) {
      const w = im.crops[i];
      const what = `${im.file} crop ${i}`;
      assert.equal(c.scaleDraw, w.scale_draw, `${what} scale draw`);
      assert.deepEqual(c.positionWords, w.position_words, `${what} position words`);
      assert.equal(c.side, w.side, `${what} side`);
      assert.deepEqual(c.rect, w.rect, `${what} rect`);
      assert.equal(c.flipDraw, w.flip_draw, `${what} flip draw`);
      assert.equal(c.flipped, w.flipped, `${what} flipped`);
      assert.deepEqual(c.colorGaussians, w.color_gaussians, `${what} colour gaussians`);
      assert.deepEqual(c.colorOffsets, w.color_offsets_rgb, `${what} colour offsets`);
      assert.equal(fnv1a64(c.extracted!.data), TAGUCHI_CROP_FNV[name][i], `${what}: extracted pixels vs dlib`);
      // the network input = extracted, mirrored if flipped, plus the offsets clamped to 0..255
      const ref = c.flipped ? flipImageLeftRight(c.extracted!) : { ...c.extracted!, data: c.extracted!.data.slice() };
      for (let k = 0; k < ref.data.length; k++) ref.data[k] = Math.min(255, Math.max(0, ref.data[k] + w.color_offsets_rgb[k % 3]));
      assert.ok(Buffer.from(ref.data).equals(Buffer.from(c.input!.data)), `${what}: network input pixels`);
      if (w.png) {
        const want = await readPngRgb(fixture("golden", "random", w.png));
        assert.ok(Buffer.from(want.data).equals(Buffer.from(c.input!.data)), `${what}: pixels differ from ${w.png}`);
        pngs++;
      }
      for (let k = 0; k < 2; k++) {
        const d = Math.abs(c.softmax[k] - w.softmax[k]);
        maxSoftmax = Math.max(maxSoftmax, d);
        assert.ok(d <= 2e-2, `${what} softmax[${k}] ${c.softmax[k]} vs ${w.softmax[k]}`);
      }
      crops++;
    }
    for (let k = 0; k < 2; k++) {
      const d = Math.abs(r.p[k] - im.p[k]);
      maxP = Math.max(maxP, d);
      assert.ok(d <= 5e-3, `${im.file} p[${k}] ${r.p[k]} vs ${im.p[k]}`);
    }
    assert.equal(r.label, im.label);
    assert.equal(r.labelName, im.label_name);
    assert.equal(genderLine(im.file, r), im.line);
    t.diagnostic(`${im.file}: p=[${r.p[0]}, ${r.p[1]}] (dlib [${im.p.join(", ")}]) ${ms.toFixed(0)} ms for 16 crops`);
  }
  assert.equal(crops, 80);
  assert.equal(pngs, 16);
  // the generator consumed exactly dlib's number of words over the run
  const last = g.images[g.images.length - 1];
  const total = last.words_drawn_before + last.words_drawn;
  const fresh = new DlibRand();
  for (let i = 0; i < total; i++) fresh.getRandom32bitNumber();
  assert.equal(rng.getRandom32bitNumber(), fresh.getRandom32bitNumber(), `words drawn over the run != ${total}`);
  t.diagnostic(`max |softmax diff| ${maxSoftmax.toExponential(2)}, max |p diff| ${maxP.toExponential(2)}`);
});

test("Taguchi gender procedure on a 2-worker pool: the same crops, bit-identical softmax and p, dlib's lines", async (t) => {
  const gp = needFixture(t, "golden", "random", "taguchi_gender.json");
  const mp = needFixture(t, "models", "gender_resnet34_random.dnn.bz2");
  if (!gp || !mp) return;
  const g = readJson(gp);
  const net = await loadResnet34(mp);
  const pool = await DescriptorPool.create(mp, { size: 2, type: "taguchi_gender_resnet34" });
  try {
    assert.deepEqual(pool.network.inputSize, { nr: 150, nc: 150 });
    assert.equal(pool.network.lossType, "loss_multiclass_log");
    const rngA = new DlibRand(), rngB = new DlibRand();
    for (const im of g.images) {
      const img = await readPngRgb(fixture("images", im.file));
      const a = await classifyGender(img, { model: net, rng: rngA });
      const t0 = performance.now();
      const b = await classifyGender(img, { pool, rng: rngB });
      const ms = performance.now() - t0;
      const tasks = pool.lastTimings();
      assert.deepEqual(tasks.map((x) => x.images).sort(), [8, 8], `${im.file}: one batch of 8 crops per worker`);
      assert.deepEqual(b.crops.map((c) => c.rect), a.crops.map((c) => c.rect));
      for (let i = 0; i < 16; i++) assert.deepEqual(Array.from(b.crops[i].softmax), Array.from(a.crops[i].softmax), `${im.file} crop ${i}: batch 8 in a worker vs batch 16 here`);
      assert.deepEqual(Array.from(b.p), Array.from(a.p));
      assert.equal(genderLine(im.file, b), im.line);
      t.diagnostic(`${im.file}: ${ms.toFixed(0)} ms on 2 workers`);
    }
    assert.throws(() => classifyGenderSync({ width: 8, height: 8, data: new Uint8Array(192) }, { pool }), RangeError);
    await assert.rejects(classifyGender({ width: 8, height: 8, data: new Uint8Array(192) }, { pool, model: net }), RangeError);
  } finally {
    await pool.close();
  }
  // a pool of another kind of network is refused before any crop is made
  const rp = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  if (!rp) return;
  const wrong = await DescriptorPool.create(rp, { size: 1, type: "dlib_face_recognition_resnet_model_v1" });
  try {
    await assert.rejects(classifyGender({ width: 200, height: 200, data: new Uint8Array(120000) }, { pool: wrong }), WrongNetworkError);
  } finally {
    await wrong.close();
  }
});

test("Taguchi crop rects: x from the second word, y from the first; small images rejected", () => {
  const words = [7, 1000003, 0.25];
  const fake = { getRandomDouble: () => 0.5, getRandom32bitNumber: () => words.shift()! as number, getRandomGaussian: () => 0 };
  words.length = 0; words.push(7, 1000003);
  const [r] = taguchiCropRects(300, 200, 1, fake);
  const side = Math.trunc((0.466666666 + 0.5 * (0.875 - 0.466666666)) * 200);
  assert.equal(r.side, side);
  assert.deepEqual(r.rect, { left: 1000003 % (300 - side), top: 7 % (200 - side), right: (1000003 % (300 - side)) + side - 1, bottom: (7 % (200 - side)) + side - 1 });
  assert.throws(() => taguchiCropRects(2, 100, 1, new DlibRand()), RangeError);
});

test("deterministic mode: fixed crops with flips, no randomness, repeatable", async (t) => {
  const mp = needFixture(t, "models", "gender_resnet34_random.dnn.bz2");
  if (!mp) return;
  const net = await loadResnet34(mp);
  const img = await readPngRgb(fixture("images", "KamioFuju.png"));
  const rng = new DlibRand();
  const a = await classifyGender(img, { model: net, deterministic: true, rng });
  assert.equal(rng.getRandom32bitNumber(), new DlibRand().getRandom32bitNumber(), "deterministic mode must not draw");
  assert.equal(a.crops.length, 16);
  const rects = deterministicCropRects(img.width, img.height);
  a.crops.forEach((c, i) => {
    assert.deepEqual(c.rect, rects[i % 8]);
    assert.equal(c.flipped, i >= 8);
    assert.deepEqual(c.colorOffsets, [0, 0, 0]);
  });
  // p is the mean of the 16 softmax rows
  for (let k = 0; k < 2; k++) {
    const mean = a.crops.reduce((s, c) => s + c.softmax[k], 0) / 16;
    assert.ok(Math.abs(a.p[k] - mean) < 1e-6);
  }
  const four = await classifyGender(img, { model: net, deterministic: true, crops: 4 });
  const again = await classifyGender(img, { model: net, deterministic: true, crops: 4 });
  assert.deepEqual(Array.from(four.p), Array.from(again.p), "repeatable");
  assert.deepEqual(four.crops.map((c) => c.rect), [rects[0], rects[1], rects[0], rects[1]]);
  // the first two crops of the 16-crop run are the same network inputs as the 4-crop run's
  for (let k = 0; k < 2; k++) assert.ok(Math.abs(four.crops[0].softmax[k] - a.crops[0].softmax[k]) < 1e-4);
  await assert.rejects(classifyGender(img, { model: net, deterministic: true, crops: 3 }), RangeError);
});

test("formatG6 prints like iostream's default float output", () => {
  assert.equal(formatG6(0.773098886), "0.773099");
  assert.equal(formatG6(0.5), "0.5");
  assert.equal(formatG6(1), "1");
  assert.equal(formatG6(0.999999999), "1");
  assert.equal(formatG6(3.40613406e-5), "3.40613e-05");
  assert.equal(formatG6(0.0001), "0.0001");
  assert.equal(formatG6(1234567), "1.23457e+06");
});

const V1_IMAGES = ["bald_guys", "JapaneseBaldActor", "2009_004587", "HiranoShow", "KamioFuju", "KitamutaTakumi", "MinakamiKouji", "NakagawaTaishi"];

test("dnn_gender_classifier_v1: softmax of every golden face within 1e-5 (golden chips, golden landmarks, full chain)", async (t) => {
  const mp = needFixture(t, "models", "dnn_gender_classifier_v1.dat.bz2");
  if (!mp) return;
  const net = await loadNetwork(mp, { type: "dnn_gender_classifier_v1" });
  const sp68 = process.env.DLIB_SP68 ?? "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  const sp = existsSync(sp68) ? ShapePredictor.fromBytes(new Uint8Array(readFileSync(sp68)), sp68) : null;
  if (!sp) t.diagnostic(`${sp68} absent: full-chain part skipped`);
  let faces = 0, chainFaces = 0;
  const max = { chips: 0, landmarks: 0, chain: 0 };
  for (const name of V1_IMAGES) {
    const gp = needFixture(t, "golden", `${name}.json`);
    if (!gp) return;
    const g = readJson(gp);
    const dec = fixture("golden", "decoded", `${name}.png`);
    const img = await readPngRgb(existsSync(dec) ? dec : fixture("images", `${name}.png`));
    const shapes = g.faces.map((f: any) => f.landmarks68.map(([x, y]: number[]) => ({ x, y })));
    const goldenChips = await Promise.all(g.faces.map((f: any) => readPngRgb(fixture("golden", f.chip32.png))));
    const fromChips = classifyGenderV1Chips(net, goldenChips);
    const { chips } = genderV1Chips(img, shapes);
    chips.forEach((c, i) => assert.ok(Buffer.from(c.data).equals(Buffer.from(goldenChips[i].data)), `${name} face ${i}: 32x32 chip pixels`));
    const fromLandmarks = classifyGenderV1(net, img, shapes);
    g.faces.forEach((f: any, i: number) => {
      const want = f.gender_v1_softmax;
      for (let k = 0; k < 2; k++) {
        for (const [key, r] of [["chips", fromChips[i]], ["landmarks", fromLandmarks[i]]] as const) {
          const d = Math.abs(r.p[k] - want[k]);
          max[key] = Math.max(max[key], d);
          assert.ok(d <= 1e-5, `${name} face ${i} (${key}) p[${k}] ${r.p[k]} vs ${want[k]}`);
        }
      }
      assert.equal(fromLandmarks[i].labelName, want[1] > want[0] ? "male" : "female");
      faces++;
    });
    if (sp) {
      const file = ["jpg", "png"].map((e) => fixture("images", `${name}.${e}`)).find(existsSync)!;
      const src = decodeImage(new Uint8Array(readFileSync(file)), { file });
      const dets = await detectFaces(src);
      assert.equal(dets.length, g.faces.length, `${name}: HOG faces`);
      const chain = classifyGenderV1(net, src, faceLandmarks(src, dets, sp));
      g.faces.forEach((f: any, i: number) => {
        assert.deepEqual({ left: dets[i].left, top: dets[i].top, right: dets[i].right, bottom: dets[i].bottom }, f.rect, `${name} face ${i} rect`);
        for (let k = 0; k < 2; k++) {
          const d = Math.abs(chain[i].p[k] - f.gender_v1_softmax[k]);
          max.chain = Math.max(max.chain, d);
          assert.ok(d <= 1e-5, `${name} face ${i} (chain) p[${k}] ${chain[i].p[k]} vs ${f.gender_v1_softmax[k]}`);
        }
        chainFaces++;
      });
    }
  }
  assert.equal(faces, 55);
  t.diagnostic(`${faces} faces; max |softmax diff|: golden chips ${max.chips.toExponential(2)}, golden landmarks ${max.landmarks.toExponential(2)}, full chain (${chainFaces} faces) ${max.chain.toExponential(2)}`);
});

/** Runs `fn` with console.log captured; returns the lines. */
async function captureLog(fn: () => Promise<void>): Promise<string[]> {
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return out;
}

test("dlib-face gender on the portraits prints Taguchi's program's lines (folder in sorted order, one generator)", async (t) => {
  const gp = needFixture(t, "golden", "random", "taguchi_gender.json");
  const mp = needFixture(t, "models", "gender_resnet34_random.dnn.bz2");
  if (!gp || !mp) return;
  const g = readJson(gp);
  const net = await loadResnet34(mp);
  const { mkdtempSync, symlinkSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "gender-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // reversed creation order: the command must sort the folder's files
  // the first two portraits (the run's generator starts fresh, so their lines are dlib's first two)
  const first = g.images.slice(0, 2);
  for (const im of [...first].reverse()) symlinkSync(fixture("images", im.file), join(dir, im.file));
  const { cmdGender } = await import("../src/cli/gender.js");
  const lines = await captureLog(() => cmdGender([dir], { net }));
  assert.deepEqual(lines, first.map((im: any) => im.line.replace("file:", `file:${dir}/`)));
  // the same lines with the crops on 2 worker threads (the model given as a file: the workers load it)
  const pooled = await captureLog(() => cmdGender([dir, "--model", mp, "--workers", "2"]));
  assert.deepEqual(pooled, lines);
  await assert.rejects(cmdGender([dir, "--workers", "2"], { net }), /--workers needs --model/);
  const json = JSON.parse((await captureLog(() => cmdGender([join(dir, "HiranoShow.png"), "--json", "--deterministic"], { net })))[0]);
  assert.equal(json.length, 1);
  assert.deepEqual(Object.keys(json[0]), ["file", "label", "probability", "probabilities"]);
  assert.equal(json[0].probability, json[0].probabilities[json[0].label]);
});

test("dlib-face gender with dnn_gender_classifier_v1 prints dnn_gender_classifier_v1_ex's face lines", async (t) => {
  const mp = needFixture(t, "models", "dnn_gender_classifier_v1.dat.bz2");
  const gp = needFixture(t, "golden", "2009_004587.json");
  const sp68 = process.env.DLIB_SP68 ?? "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  if (!mp || !gp) return;
  if (!existsSync(sp68)) return t.skip(`${sp68} absent`);
  const net = await loadNetwork(mp, { type: "dnn_gender_classifier_v1" });
  const { cmdGender, formatFixed1 } = await import("../src/cli/gender.js");
  const g = readJson(gp);
  const file = fixture("images", "2009_004587.jpg");
  const want = g.faces.map((f: any, i: number) => {
    const male = f.gender_v1_softmax[0] < f.gender_v1_softmax[1];
    const conf = Math.fround(Math.fround(f.gender_v1_softmax[male ? 1 : 0]) * 100);
    return `face#${i} - detected gender: ${male ? "male" : "female"} [${formatFixed1(conf)}%]`;
  });
  assert.deepEqual(await captureLog(() => cmdGender([file, "--landmarks", sp68], { net })), want);
  const json = JSON.parse((await captureLog(() => cmdGender([file, "--landmarks", sp68, "--json"], { net })))[0]);
  assert.equal(json.length, 2);
  json.forEach((e: any, i: number) => {
    assert.deepEqual(e.face, g.faces[i].rect);
    assert.ok(Math.abs(e.probabilities.female - g.faces[i].gender_v1_softmax[0]) < 1e-5);
  });
  assert.equal(formatFixed1(99.25), "99.2"); // printf's exact ties go to even
  assert.equal(formatFixed1(99.75), "99.8");
  assert.equal(formatFixed1(0.05), "0.1"); // 0.05 is slightly above the tie in binary
});
