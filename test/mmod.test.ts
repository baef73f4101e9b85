/**
 * dlib's MMOD CNN face detector (src/face/mmod.ts, src/nn/pyramid-input.ts) against real dlib 19.24:
 *  - the four MMOD layer traces (golden/traces: input tensor = tiled pyramid of bald_guys_0.png, every layer,
 *    and the final detections; tiny_old_* have hundreds of detections with many equal scores, so they also
 *    check the tie order of dlib's std::sort);
 *  - every image golden's `mmod` (mmod_human_face_detector on the original or the 640-px downscaled input);
 *  - REF below: numbers produced for this test by a small C++ program built against the same Debian dlib 19.24
 *    (headers + libdlib, g++ 12 -O2 -ffp-contract=off), see the comments at REF for what each block is.
 * Tolerances: layer sums within 1e-4 relative to sum_abs (as network-parity), confidences 1e-4, rects exact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, hasFixtures, inCI, readJson, readPngRgb, repoRoot } from "./fixtures.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import type { ModelNode } from "../src/dlib/model.ts";
import type { Rect, RgbImage } from "../src/image/types.ts";
import {
  computeTiledPyramidDetails, fillTiledPyramidTensor, imageToTiledPyramid, tiledPyramidToImage, findPyramidDownOutputImageSize,
} from "../src/nn/pyramid-input.ts";
import { resizeImageBilinear } from "../src/image/pyramid.ts";
import type { InputModel } from "../src/dlib/model.ts";
import {
  detectFacesCnn, forwardPyramid, mmodToLabel, outputTensorToInputTensor, runMmod, stdPartialSort, stdSort, testBoxOverlap,
  type MmodDetection,
} from "../src/face/mmod.ts";
import { WrongNetworkError } from "../src/errors.ts";

// ---------------------------------------------------------------------------------------------------------
// helpers

interface WantDet { rect: Rect; confidence: number; label?: string }

/** "l,t,r,b,conf l,t,r,b,conf ..." → detections. */
function parseDets(s: string): WantDet[] {
  return s.trim() === "" ? [] : s.trim().split(/\s+/).map((q) => {
    const [l, t, r, b, c] = q.split(",").map(Number);
    return { rect: { left: l, top: t, right: r, bottom: b }, confidence: c };
  });
}

function refLine(key: string): string {
  const line = REF_DETS.split("\n").find((l) => l.startsWith(key + ":"));
  if (line === undefined) throw new Error(`no REF line ${key}`);
  return line.slice(key.length + 1);
}

/** Same count, same rects (and labels if given) in the same order, confidences within `tol`. Returns max |Δconf|. */
function assertSameDets(got: MmodDetection[], want: WantDet[], what: string, tol = 1e-4): number {
  const show = (d: { rect: Rect; confidence: number }) => `[${d.rect.left},${d.rect.top},${d.rect.right},${d.rect.bottom}] ${d.confidence}`;
  assert.equal(got.length, want.length, `${what}: ${got.length} detections, dlib has ${want.length}\n got ${got.slice(0, 5).map(show).join("; ")}\n want ${want.slice(0, 5).map(show).join("; ")}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(got[i].rect, want[i].rect, `${what}: detection ${i}: ${show(got[i])} vs dlib ${show(want[i])}`);
    if (want[i].label !== undefined) assert.equal(got[i].label, want[i].label, `${what}: label of detection ${i}`);
    const d = Math.abs(got[i].confidence - want[i].confidence);
    worst = Math.max(worst, d);
    assert.ok(d <= tol, `${what}: confidence of detection ${i}: ${got[i].confidence} vs ${want[i].confidence}`);
  }
  return worst;
}

const haveFixtures = hasFixtures();
const mmodModel = fixture("models", "mmod_human_face_detector.dat.bz2");
let realNet: Promise<Network> | undefined;
function faceNet(): Promise<Network> {
  realNet ??= loadNetwork(mmodModel);
  return realNet;
}
function skipWithoutModel(t: { skip: (m: string) => void }): boolean {
  if (haveFixtures && existsSync(mmodModel)) return false;
  if (inCI) throw new Error(`fixture missing under CI: ${mmodModel}`);
  t.skip("mmod_human_face_detector.dat.bz2 not found (set DLIB_FACE_FIXTURES)");
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// tiled pyramid layout, sort, mappings (no fixtures needed)

test("compute_tiled_image_pyramid_details = dlib for 96 image sizes (pyramid_down<2,3,4,6>, several paddings)", () => {
  let n = 0;
  for (const line of REF_LAYOUT.trim().split("\n")) {
    const [head, body] = line.split(":");
    const [N, nr, nc, pad, outer, NR, NC] = head.split(" ").map(Number);
    const rects = body.trim() === "" ? [] : body.trim().split(" ").map((q) => {
      const [left, top, right, bottom] = q.split(",").map(Number);
      return { left, top, right, bottom };
    });
    const got = computeTiledPyramidDetails(N, nr, nc, pad, outer);
    const what = `pyramid_down<${N}> ${nc}x${nr} padding ${pad} outer ${outer}`;
    assert.equal(got.nr, NR, `${what}: rows`);
    assert.equal(got.nc, NC, `${what}: cols`);
    assert.deepEqual(got.rects, rects, what);
    n++;
  }
  assert.equal(n, 96);
  assert.deepEqual(findPyramidDownOutputImageSize(6, 150, 150), { nr: 125, nc: 125 });
  assert.deepEqual(computeTiledPyramidDetails(6, 0, 10, 10, 11), { N: 6, rects: [], nr: 0, nc: 0 });
});

/** The generator of the C++ reference: LCG over uint32, values (s>>8) % levels / levels, index i. */
function lcgValues(n: number, levels: number): { c: number; i: number }[] {
  let s = (12345 + n * 7 + levels) >>> 0;
  const v: { c: number; i: number }[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v.push({ c: ((s >>> 8) % levels) / levels, i });
  }
  return v;
}
function fnvIndices(v: { i: number }[]): string {
  let h = 1469598103934665603n; // (the reference program's offset basis)
  for (const d of v) for (let b = 0; b < 4; b++) {
    h ^= BigInt((d.i >>> (8 * b)) & 255);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

test("std::sort(rbegin, rend) and std::partial_sort orders = libstdc++ 12 (including equal scores)", () => {
  const less = (a: { c: number }, b: { c: number }) => a.c < b.c;
  let n = 0;
  for (const line of REF_SORT.trim().split("\n")) {
    const [len, levels, hSort, hPartial] = line.split(" ");
    const v = lcgValues(Number(len), Number(levels));
    // loss_mmod sorts its detections through reverse iterators
    const a = [...v].reverse();
    stdSort(a, less);
    a.reverse();
    assert.equal(fnvIndices(a), hSort, `std::sort n=${len} levels=${levels}`);
    for (let i = 1; i < a.length; i++) assert.ok(a[i - 1].c >= a[i].c);
    const b = [...v].reverse();
    stdPartialSort(b, less);
    b.reverse();
    assert.equal(fnvIndices(b), hPartial, `std::partial_sort n=${len} levels=${levels}`);
    n++;
  }
  assert.equal(n, 39);
  // a stable sort would give another order for ties: the check can fail
  const v = lcgValues(300, 3);
  const stable = [...v].sort((x, y) => y.c - x.c);
  assert.notEqual(fnvIndices(stable), REF_SORT.split("\n").find((l) => l.startsWith("300 3 "))!.split(" ")[2]);
});

test("tiled pyramid tensor: level 0 = (v - avg)/256, each level = dlib float resize_image of the previous, bit for bit", () => {
  const input: InputModel = { kind: "input", type: "input_rgb_image_pyramid", version: "input_rgb_image_pyramid2", avgRed: 122.782, avgGreen: 117.001, avgBlue: 104.298, pyramidFactor: 6, pyramidPadding: 10, pyramidOuterPadding: 11 };
  let seed = 99;
  for (const [w, h] of [[150, 150], [37, 61], [200, 30], [9, 40], [123, 77], [8, 8]]) {
    const img: RgbImage = { width: w, height: h, data: new Uint8Array(w * h * 3) };
    for (let i = 0; i < img.data.length; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; img.data[i] = seed >>> 24; }
    const layout = computeTiledPyramidDetails(6, h, w, 10, 11);
    const plane = layout.nr * layout.nc;
    const got = new Float32Array(3 * plane).fill(7); // must be overwritten everywhere
    fillTiledPyramidTensor(got, input, [img], layout);
    // reference: zero tensor, level 0 written, then resizeImageBilinear (the FloatImage path of dlib's resize) level by level
    const want = new Float32Array(3 * plane);
    const avg = [input.avgRed, input.avgGreen, input.avgBlue].map(Math.fround);
    for (let ch = 0; ch < 3; ch++) {
      const r0 = layout.rects[0];
      let level = { width: w, height: h, data: new Float32Array(w * h) };
      for (let i = 0; i < w * h; i++) level.data[i] = Math.fround(img.data[3 * i + ch] - avg[ch]) / 256;
      const put = (r: Rect, lv: { width: number; data: Float32Array }) => {
        for (let y = r.top; y <= r.bottom; y++) for (let x = r.left; x <= r.right; x++) want[ch * plane + y * layout.nc + x] = lv.data[(y - r.top) * lv.width + (x - r.left)];
      };
      put(r0, level);
      for (let i = 1; i < layout.rects.length; i++) {
        const r = layout.rects[i];
        level = resizeImageBilinear(level, r.right - r.left + 1, r.bottom - r.top + 1);
        put(r, level);
      }
    }
    let diffs = 0;
    for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) diffs++;
    assert.equal(diffs, 0, `${w}x${h}: ${diffs} values differ`);
  }
});

test("tiled_pyramid_to_image / image_to_tiled_pyramid", () => {
  const layout = computeTiledPyramidDetails(6, 150, 150, 10, 11);
  // level 0: a plain shift by the outer padding
  assert.deepEqual(imageToTiledPyramid(layout, 1, { left: 10, top: 20, right: 40, bottom: 50 }), { left: 21, top: 31, right: 51, bottom: 61 });
  assert.deepEqual(tiledPyramidToImage(layout, { left: 21, top: 31, right: 51, bottom: 61 }), { left: 10, top: 20, right: 40, bottom: 50 });
  // level k (scale (5/6)^k) and back: the same rect up to rounding
  for (let k = 0; k < 5; k++) {
    const r = { left: 30, top: 40, right: 90, bottom: 110 };
    const t = imageToTiledPyramid(layout, Math.pow(5 / 6, k), r);
    const level = layout.rects[k];
    assert.ok(t.left >= level.left && t.right <= level.right && t.top >= level.top && t.bottom <= level.bottom, `level ${k}`);
    const back = tiledPyramidToImage(layout, t);
    for (const key of ["left", "top", "right", "bottom"] as const) assert.ok(Math.abs(back[key] - r[key]) < 1e-9, `level ${k} ${key}: ${back[key]}`);
  }
  // a rect whose centre lies in padding goes to the nearest level
  const far = tiledPyramidToImage(layout, { left: 0, top: 0, right: 4, bottom: 4 });
  assert.deepEqual(far, { left: -11, top: -11, right: -7, bottom: -7 });
});

test("test_box_overlap on dlib rectangles", () => {
  const o = { iouThresh: 0.4, percentCoveredThresh: 1 };
  assert.equal(testBoxOverlap(o, { left: 0, top: 0, right: 9, bottom: 9 }, { left: 10, top: 0, right: 19, bottom: 9 }), false);
  // iou = 50/150
  assert.equal(testBoxOverlap(o, { left: 0, top: 0, right: 9, bottom: 9 }, { left: 5, top: 0, right: 14, bottom: 9 }), false);
  // iou = 60/140 > 0.4
  assert.equal(testBoxOverlap(o, { left: 0, top: 0, right: 9, bottom: 9 }, { left: 4, top: 0, right: 13, bottom: 9 }), true);
  // fully covered small box: percent covered = 1, not > 1; iou 4/100
  assert.equal(testBoxOverlap(o, { left: 0, top: 0, right: 9, bottom: 9 }, { left: 2, top: 2, right: 3, bottom: 3 }), false);
  assert.equal(testBoxOverlap({ iouThresh: 0.4, percentCoveredThresh: 0.95 }, { left: 0, top: 0, right: 9, bottom: 9 }, { left: 2, top: 2, right: 3, bottom: 3 }), true);
});

// ---------------------------------------------------------------------------------------------------------
// golden layer traces

const TRACE_TYPES: Record<string, string | undefined> = {
  mmod_human_face_detector: undefined,
  tiny_mmod_bn: "tiny_mmod",
  tiny_old_v19_6_mmod: "tiny_old_mmod_v2_v3",
  tiny_old_v19_15_mmod: "tiny_old_mmod_v2_v3",
};

for (const [name, typeFile] of Object.entries(TRACE_TYPES)) {
  test(`trace ${name}: tiled pyramid input, every layer, detections`, async (t) => {
    if (!haveFixtures) return void t.skip("fixtures absent");
    const g = readJson(fixture("golden", "traces", `${name}.json`));
    const type = typeFile ? parseNetDefinition(readFileSync(join(repoRoot, "test", "nets", `${typeFile}.txt`), "utf8")) : undefined;
    const model = [g.model, `${g.model}.bz2`].map((m: string) => fixture("models", m)).find((p: string) => existsSync(p))!;
    const net = name === "mmod_human_face_detector" ? await faceNet() : await loadNetwork(model, { type });
    const img = await readPngRgb(fixture("golden", g.input_png));
    const { layout, result } = forwardPyramid(net, img, { trace: true });
    const tr = result.trace![0];
    assert.deepEqual(tr.input.shape, g.input.shape, "input tensor shape");
    assert.deepEqual([1, 3, layout.nr, layout.nc], g.input.shape);
    assert.ok(Math.abs(tr.input.sum - g.input.sum) <= 1e-6 * g.input.sum_abs, `input sum ${tr.input.sum} vs ${g.input.sum}`);
    assert.ok(Math.abs(tr.input.sum_abs - g.input.sum_abs) <= 1e-6 * g.input.sum_abs, `input sum_abs ${tr.input.sum_abs} vs ${g.input.sum_abs}`);
    (g.input.first as number[]).forEach((v, i) => assert.ok(Math.abs(tr.input.first[i] - v) <= 1e-7, `input first[${i}]`));
    assert.equal(tr.layers.length, g.layers.length, "layer count");
    let worst = 0;
    for (let i = 0; i < g.layers.length; i++) {
      const want = g.layers[i], got = tr.layers[i];
      assert.equal(got.index, want.index, `layer order at ${i}`);
      assert.equal(got.type, want.type, `type of layer<${want.index}>`);
      assert.deepEqual(got.shape, want.shape, `shape of layer<${want.index}>`);
      const dSum = Math.abs(got.sum - want.sum) / want.sum_abs;
      const dAbs = Math.abs(got.sum_abs - want.sum_abs) / want.sum_abs;
      worst = Math.max(worst, dSum, dAbs);
      assert.ok(dSum <= 1e-4 && dAbs <= 1e-4, `layer<${want.index}> ${want.type}: sum ${got.sum} vs ${want.sum}, sum_abs ${got.sum_abs} vs ${want.sum_abs}`);
    }
    const [, k, nr, nc] = result.shape;
    const dets = mmodToLabel(net.model.mmod!, net.model, layout, result.outputs[0], { k, nr, nc });
    const maxConf = assertSameDets(dets, g.output.detections, name);
    t.diagnostic(`worst layer rel diff ${worst.toExponential(2)}, ${dets.length} detections identical, max |Δconf| ${maxConf.toExponential(2)}`);
  });
}

test("output_tensor_to_input_tensor of mmod_human_face_detector: 8p + 14", async (t) => {
  if (skipWithoutModel(t)) return;
  const net = await faceNet();
  assert.deepEqual(outputTensorToInputTensor(net.model, 0, 0), { x: 14, y: 14 });
  assert.deepEqual(outputTensorToInputTensor(net.model, 1, 2), { x: 22, y: 30 });
});

// ---------------------------------------------------------------------------------------------------------
// every image golden

const IMAGES = ["NakagawaTaishi", "HiranoShow", "KamioFuju", "KitamutaTakumi", "MinakamiKouji", "2008_002470", "2007_007763", "2009_004587", "JapaneseBaldActor", "dogs", "bald_guys"];

async function goldenInput(name: string): Promise<{ img: RgbImage; g: any }> {
  const g = readJson(fixture("golden", `${name}.json`));
  const m = g.mmod;
  const path = m.input === "original"
    ? (g.decoded_rgb.png ? fixture("golden", g.decoded_rgb.png) : fixture("images", `${name}.png`))
    : fixture("golden", m.input);
  const img = await readPngRgb(path);
  assert.equal(img.width, m.input_width);
  assert.equal(img.height, m.input_height);
  return { img, g };
}

for (const name of IMAGES) {
  test(`detectFacesCnn ${name} = dlib net(img)`, async (t) => {
    if (skipWithoutModel(t)) return;
    const net = await faceNet();
    const { img, g } = await goldenInput(name);
    const t0 = performance.now();
    const dets = detectFacesCnn(net, img);
    const ms = performance.now() - t0;
    const worst = assertSameDets(dets, g.mmod.detections.map((d: WantDet) => ({ ...d, label: d.label ?? "" })), name);
    t.diagnostic(`${img.width}x${img.height} (${g.mmod.input}): ${dets.length} faces identical, max |Δconf| ${worst.toExponential(2)}, ${ms.toFixed(0)} ms`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// REF: thresholds, upsampling, bounding-box regression

test("adjust_threshold -1 and -2 (NakagawaTaishi) = dlib net.process(img, thr)", async (t) => {
  if (skipWithoutModel(t)) return;
  const net = await faceNet();
  const img = await readPngRgb(fixture("images", "NakagawaTaishi.png"));
  for (const thr of [-1, -2]) {
    const got = detectFacesCnn(net, img, { adjustThreshold: thr });
    const worst = assertSameDets(got, parseDets(refLine(`NakagawaTaishi t=${thr}`)), `threshold ${thr}`);
    t.diagnostic(`threshold ${thr}: ${got.length} detections identical, max |Δconf| ${worst.toExponential(2)}`);
  }
});

for (const [name, file] of [["NakagawaTaishi", "images/NakagawaTaishi.png"], ["KamioFuju", "images/KamioFuju.png"], ["2008_002470", "golden/decoded/2008_002470.png"]]) {
  test(`upsample 1 (${name}) = dlib Python cnn_face_detection_model_v1(img, 1)`, async (t) => {
    if (skipWithoutModel(t)) return;
    const net = await faceNet();
    const img = await readPngRgb(fixture(...file.split("/")));
    const t0 = performance.now();
    const got = detectFacesCnn(net, img, { upsample: 1 });
    const ms = performance.now() - t0;
    const worst = assertSameDets(got, parseDets(refLine(`${name} up1`)), `${name} upsample 1`);
    t.diagnostic(`${got.length} detections identical, max |Δconf| ${worst.toExponential(2)}, ${ms.toFixed(0)} ms`);
  });
}

const BBR_TYPE = "using net_type = loss_mmod<con<10,5,5,4,4,input_rgb_image_pyramid<pyramid_down<6>>>>;";

test("bounding-box regression (mmod_options v4, two labelled windows) = dlib", async (t) => {
  if (!haveFixtures) return void t.skip("fixtures absent");
  const net = await loadNetwork(Buffer.from(REF_BBR_NET_BASE64, "base64"), { type: BBR_TYPE, name: "bbr test net" });
  assert.equal(net.model.mmod!.useBoundingBoxRegression, true);
  const img = await readPngRgb(fixture("golden", "chips", "bald_guys_0.png"));
  for (const thr of [0, -0.25]) {
    const labels = refLine(`bbr labels t=${thr}`).trim().split(" ");
    const want = parseDets(refLine(`bbr t=${thr}`)).map((d, i) => ({ ...d, label: labels[i] }));
    const got = runMmod(net, img, thr);
    const worst = assertSameDets(got, want, `bbr threshold ${thr}`);
    t.diagnostic(`threshold ${thr}: ${got.length} detections identical, max |Δconf| ${worst.toExponential(2)}`);
  }
  // the regression really moved the boxes: not every rect has a window's size
  const sizes = new Set(runMmod(net, img, 0).map((d) => `${d.rect.right - d.rect.left + 1}x${d.rect.bottom - d.rect.top + 1}`));
  assert.ok(sizes.size > 5);
});

test("errors: wrong network, wrong channel count, image too small", async (t) => {
  if (!haveFixtures) return void t.skip("fixtures absent");
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test", "nets", "tiny_resnet_metric.txt"), "utf8"));
  const metric = await loadNetwork(fixture("models", "tiny_resnet_metric_affine.dat"), { type });
  const img = await readPngRgb(fixture("golden", "chips", "bald_guys_0.png"));
  assert.throws(() => detectFacesCnn(metric, img), WrongNetworkError);
  const net = await loadNetwork(Buffer.from(REF_BBR_NET_BASE64, "base64"), { type: BBR_TYPE });
  const { layout, result } = forwardPyramid(net, img);
  const [, k, nr, nc] = result.shape;
  assert.equal(k, 10);
  assert.throws(() => mmodToLabel({ ...net.model.mmod!, useBoundingBoxRegression: false }, net.model, layout, result.outputs[0], { k, nr, nc }), WrongNetworkError);
  assert.throws(() => runMmod(net, { width: 4, height: 4, data: new Uint8Array(48) }), RangeError);
  assert.throws(() => detectFacesCnn(net, img, { upsample: -1 }), RangeError);
  // a network with an fc layer has no point mapping
  const fcRoot: ModelNode = { kind: "loss", type: "loss_mmod", version: "", subnet: { kind: "layer", version: "fc_2", details: { type: "fc", numOutputs: 1, numInputs: 1, hasBias: false, weights: { ptr: 0, length: 1 }, biases: null, multipliers: [] }, subnet: { kind: "input", type: "input_rgb_image_pyramid", version: "", avgRed: 0, avgGreen: 0, avgBlue: 0 } } };
  assert.throws(() => outputTensorToInputTensor(fcRoot, 0, 0), WrongNetworkError);
  net.dispose();
  metric.dispose();
});

// ---------------------------------------------------------------------------------------------------------
// REF: produced for this test with Debian's dlib 19.24 (headers + libdlib.so, g++ 12 -O2 -ffp-contract=off).

/**
 * impl::compute_tiled_image_pyramid_details(pyramid_down<N>(), nr, nc, padding, outer_padding, rects, NR, NC):
 * "N nr nc padding outer_padding NR NC: left,top,right,bottom ..." (the degenerate tiny sizes included).
 */
const REF_LAYOUT = `
6 150 150 10 11 598 172:11,11,160,160 11,171,135,295 11,306,114,409 11,420,96,505 11,516,81,586 102,528,160,586 112,469,160,517 121,419,160,458 128,376,160,408 134,339,160,365 139,307,160,328 143,279,160,296 146,254,160,268 149,232,160,243 151,212,160,221 153,194,160,201 155,178,160,183 156,163,160,167
6 1 1 10 11 12 23:11,0,11,0
6 4 4 10 11 12 26:11,-3,14,0
6 5 5 10 11 12 27:11,-4,15,0
6 5 100 10 11 27 122:11,11,110,15
6 100 5 10 11 12 27:11,-99,15,0 12,-192,15,-110 13,-271,15,-203 14,-338,15,-282 15,-395,15,-349
6 6 6 10 11 12 28:11,-5,16,0 12,-20,16,-16
6 7 300 10 11 29 322:11,11,310,17
6 300 7 10 11 12 29:11,-299,17,0 13,-559,17,-310 14,-777,17,-570 15,-960,17,-788 16,-1114,17,-971 17,-1244,17,-1125
6 20 20 10 11 91 42:11,11,30,30 11,41,26,56 11,67,23,79 21,70,30,79 23,52,30,59 25,36,30,41
6 30 200 10 11 166 222:11,11,210,40 11,51,176,75 11,86,148,105 11,116,125,131 11,142,105,154 132,145,210,154 146,127,210,134 157,111,210,116 166,96,210,100
6 200 30 10 11 865 52:11,11,40,210 11,221,35,386 11,397,30,534 11,545,26,659 11,670,23,764 11,775,20,853 33,789,40,853 35,725,40,778 36,670,40,714 37,623,40,659 38,583,40,612 39,548,40,572 40,518,40,537
6 64 48 10 11 324 70:11,11,58,74 11,85,50,137 11,148,43,191 11,202,37,237 11,248,32,277 11,288,28,312 44,293,58,312 47,267,58,282 49,244,58,256 51,224,58,233 53,206,58,213 54,190,58,195 55,175,58,179
6 48 64 10 11 260 86:11,11,74,58 11,69,63,108 11,119,54,151 11,162,46,188 11,199,40,220 11,231,35,248 55,234,74,248 59,212,74,223 62,192,74,201 65,174,74,181 67,158,74,163 69,143,74,147
6 264 274 10 11 1007 296:11,11,284,274 11,285,238,504 11,515,200,697 11,708,168,859 11,870,141,995 176,891,284,995 195,794,284,880 210,712,284,783 223,642,284,701 234,582,284,631 243,531,284,571 250,487,284,520 256,449,284,476 261,416,284,438 265,387,284,405 269,362,284,376 272,340,284,351 275,320,284,329 277,302,284,309 279,286,284,291
6 498 640 10 11 1846 662:11,11,650,508 11,519,543,933 11,944,454,1288 11,1299,380,1585 11,1596,318,1834 395,1636,650,1834 438,1461,650,1625 474,1314,650,1450 504,1190,650,1303 529,1085,650,1179 550,996,650,1074 567,921,650,985 581,857,650,910 593,802,650,846 603,755,650,791 611,715,650,744 618,680,650,704 624,650,650,669 629,624,650,639 633,601,650,613 636,581,650,590 639,563,650,570 641,547,650,552 643,532,650,536
6 640 629 10 11 2357 651:11,11,639,650 11,661,534,1193 11,1204,446,1647 11,1658,373,2027 11,2038,312,2345 389,2090,639,2345 431,1867,639,2079 466,1680,639,1856 495,1523,639,1669 520,1391,639,1512 540,1280,639,1380 557,1186,639,1269 571,1106,639,1175 583,1038,639,1095 593,980,639,1027 601,930,639,969 608,887,639,919 614,850,639,876 619,818,639,839 623,790,639,807 626,765,639,779 629,743,639,754 631,723,639,732 633,705,639,712 635,689,639,694 636,674,639,678
6 426 640 10 11 1587 662:11,11,650,436 11,447,543,801 11,812,454,1106 11,1117,380,1361 11,1372,318,1575 395,1406,650,1575 438,1255,650,1395 474,1128,650,1244 504,1021,650,1117 529,931,650,1010 550,855,650,920 567,790,650,844 581,735,650,779 593,688,650,724 603,648,650,677 611,613,650,637 618,583,650,602 624,557,650,572 629,534,650,546 633,514,650,523 636,496,650,503 639,480,650,485 641,465,650,469
6 1000 10 10 11 3157 32:11,11,20,1010 11,1021,18,1853 11,1864,16,2557 11,2568,15,3145 17,2665,20,3145 18,2255,20,2654 19,1912,20,2244 20,1625,20,1901
6 10 1000 10 11 81 1022:11,11,1010,20 11,31,843,38 11,49,704,54 11,65,588,69
6 37 1234 10 11 190 1256:11,11,1244,47 11,58,1038,87 11,98,866,122 11,133,723,152 11,163,604,178 750,166,1244,178 833,146,1244,155 902,128,1244,135 960,112,1244,117 1008,97,1244,101
6 1234 37 10 11 4992 59:11,11,47,1244 11,1255,40,2282 11,2293,35,3148 11,3159,30,3871 11,3882,26,4475 11,4486,23,4980 38,4569,47,4980 40,4216,47,4558 42,3921,47,4205 43,3674,47,3910 44,3467,47,3663 45,3293,47,3456 46,3147,47,3282 47,3024,47,3136
6 2 2 10 11 12 24:11,-1,12,0
6 13 11 10 11 55 33:11,11,21,23 11,34,19,43 15,36,21,43
2 150 150 10 0 233 150:0,0,149,149 0,160,72,232 115,198,149,232 134,172,149,187 144,156,149,161
2 1 1 10 0 -10 1:0,-11,0,-11
2 4 4 10 0 -10 4:0,-14,3,-11
2 5 5 10 0 -10 5:0,-15,4,-11
2 5 100 10 0 5 100:0,0,99,4
2 100 5 10 0 -10 5:0,-110,4,-11 4,-168,4,-121 4,-200,6,-179 4,-219,7,-211
2 6 6 10 0 6 6:0,0,5,5
2 7 300 10 0 7 300:0,0,299,6
2 300 7 10 0 -10 7:0,-310,6,-11 5,-468,6,-321
2 20 20 10 0 20 20:0,0,19,19
2 30 200 10 0 53 200:0,0,199,29 0,40,97,52 153,48,199,52
2 200 30 10 0 308 30:0,0,29,199 0,210,12,307 25,261,29,307 29,229,29,250 29,210,31,218
2 64 48 10 0 104 48:0,0,47,63 0,74,21,103 39,91,47,103 45,76,47,80
2 48 64 10 0 80 64:0,0,63,47 0,58,29,79 51,71,63,79
2 264 274 10 0 404 274:0,0,273,263 0,274,134,403 208,341,273,403 243,301,273,330 260,278,273,290
2 498 640 10 0 755 640:0,0,639,497 0,508,317,754 483,633,639,754 563,564,639,622 603,526,639,553 623,504,639,515
2 640 629 10 0 968 629:0,0,628,639 0,650,312,967 474,811,628,967 553,724,628,800 593,677,628,713 613,650,628,666
2 426 640 10 0 647 640:0,0,639,425 0,436,317,646 483,543,639,646 563,483,639,532 603,450,639,472 623,430,639,439
2 1000 10 10 0 1508 10:0,0,9,999 0,1010,2,1507
2 10 1000 10 0 10 1000:0,0,999,9
2 37 1234 10 0 64 1234:0,0,1233,36 0,47,614,63 928,57,1233,63
2 1234 37 10 0 1859 37:0,0,36,1233 0,1244,16,1858 30,1553,36,1858 35,1392,36,1542
2 2 2 10 0 -10 2:0,-12,1,-11
2 13 11 10 0 13 11:0,0,10,12
3 150 150 3 5 328 160:5,5,154,154 5,158,102,255 5,259,68,322 114,282,154,322 129,253,154,278 139,234,154,249 146,222,154,230
3 1 1 3 5 7 11:5,1,5,1
3 4 4 3 5 14 14:5,5,8,8
3 5 5 3 5 15 15:5,5,9,9
3 5 100 3 5 15 110:5,5,104,9
3 100 5 3 5 178 15:5,5,9,104 5,108,6,172
3 6 6 3 5 16 16:5,5,10,10
3 7 300 3 5 17 310:5,5,304,11
3 300 7 3 5 511 17:5,5,11,304 5,308,7,505
3 20 20 3 5 54 30:5,5,24,24 5,28,16,39 5,43,10,48
3 30 200 3 5 74 210:5,5,204,34 5,38,136,55 5,59,90,68 149,64,204,68
3 200 30 3 5 434 40:5,5,34,204 5,208,22,339 5,343,14,428 30,373,34,428 33,334,34,369
3 64 48 3 5 147 58:5,5,52,68 5,72,34,112 5,116,22,141 43,126,52,141 48,114,52,122
3 48 64 3 5 112 74:5,5,68,52 5,56,45,85 5,89,30,106 53,97,68,106 60,89,68,93
3 264 274 3 5 568 284:5,5,278,268 5,272,185,445 5,449,123,562 201,489,278,562 229,438,278,485 247,405,278,434 259,384,278,401 267,371,278,380 273,363,278,367
3 498 640 3 5 1062 650:5,5,644,502 5,506,429,835 5,839,286,1056 459,913,644,1056 523,816,644,909 565,752,644,812 593,710,644,748 612,683,644,706 625,666,644,679 633,655,644,662
3 640 629 3 5 1363 639:5,5,633,644 5,648,422,1072 5,1076,281,1357 451,1172,633,1357 514,1047,633,1168 556,964,633,1043 584,909,633,960 602,873,633,905 614,850,633,869 622,835,633,846 628,826,633,831
3 426 640 3 5 910 650:5,5,644,430 5,434,429,715 5,719,286,904 459,783,644,904 523,700,644,779 565,645,644,696 593,609,644,641 612,586,644,605 625,571,644,582 633,562,644,567
3 1000 10 3 5 1678 20:5,5,14,1004 5,1008,9,1672 13,1231,14,1672
3 10 1000 3 5 20 1010:5,5,1004,14
3 37 1234 3 5 90 1244:5,5,1238,41 5,45,825,67 5,71,550,84 877,77,1238,84
3 1234 37 3 5 2617 47:5,5,41,1238 5,1242,27,2062 5,2066,18,2611 34,2250,41,2611 38,2007,41,2246 41,1846,41,2003
3 2 2 3 5 12 12:5,5,6,6
3 13 11 3 5 33 21:5,5,15,17 5,21,10,27
4 150 150 0 0 0 150:0,-150,149,-1 38,-262,149,-151 66,-346,149,-263 87,-409,149,-347 103,-456,149,-410 115,-491,149,-457 124,-517,149,-492 131,-536,149,-518 136,-550,149,-537 140,-560,149,-551 143,-567,149,-561 145,-572,149,-568
4 1 1 0 0 0 1:0,-1,0,-1
4 4 4 0 0 0 4:0,-4,3,-1
4 5 5 0 0 0 5:0,-5,4,-1
4 5 100 0 0 0 100:0,-5,99,-1
4 100 5 0 0 0 5:0,-100,4,-1 2,-175,4,-101 3,-231,4,-176 4,-273,4,-232
4 6 6 0 0 0 6:0,-6,5,-1
4 7 300 0 0 0 300:0,-7,299,-1 75,-12,299,-8
4 300 7 0 0 0 7:0,-300,6,-1 2,-525,6,-301 4,-693,6,-526 5,-819,6,-694 6,-913,6,-820
4 20 20 0 0 0 20:0,-20,19,-1 5,-35,19,-21 9,-46,19,-36 12,-54,19,-47 14,-60,19,-55
4 30 200 0 0 0 200:0,-30,199,-1 50,-52,199,-31 88,-68,199,-53 116,-80,199,-69 137,-89,199,-81 153,-95,199,-90
4 200 30 0 0 0 30:0,-200,29,-1 8,-350,29,-201 14,-462,29,-351 18,-546,29,-463 21,-609,29,-547 24,-656,29,-610 26,-691,29,-657 27,-717,29,-692 28,-736,29,-718 29,-750,29,-737
4 64 48 0 0 0 48:0,-64,47,-1 12,-112,47,-65 21,-148,47,-113 28,-175,47,-149 33,-195,47,-176 37,-210,47,-196 40,-221,47,-211 42,-229,47,-222 44,-235,47,-230
4 48 64 0 0 0 64:0,-48,63,-1 16,-84,63,-49 28,-111,63,-85 37,-131,63,-112 44,-146,63,-132 49,-157,63,-147 53,-165,63,-158 56,-171,63,-166
4 264 274 0 0 0 274:0,-264,273,-1 69,-462,273,-265 121,-610,273,-463 160,-721,273,-611 189,-804,273,-722 211,-866,273,-805 227,-912,273,-867 239,-946,273,-913 248,-971,273,-947 255,-989,273,-972 260,-1002,273,-990 264,-1011,273,-1003 267,-1017,273,-1012
4 498 640 0 0 0 640:0,-498,639,-1 160,-871,639,-499 280,-1150,639,-872 370,-1359,639,-1151 438,-1515,639,-1360 489,-1632,639,-1516 527,-1719,639,-1633 556,-1784,639,-1720 577,-1832,639,-1785 593,-1868,639,-1833 605,-1895,639,-1869 614,-1915,639,-1896 621,-1930,639,-1916 626,-1941,639,-1931 630,-1949,639,-1942 633,-1955,639,-1950
4 640 629 0 0 0 629:0,-640,628,-1 158,-1120,628,-641 276,-1480,628,-1121 365,-1750,628,-1481 431,-1952,628,-1751 481,-2103,628,-1953 518,-2216,628,-2104 546,-2300,628,-2217 567,-2363,628,-2301 583,-2410,628,-2364 595,-2445,628,-2411 604,-2471,628,-2446 611,-2490,628,-2472 616,-2504,628,-2491 620,-2514,628,-2505 623,-2521,628,-2515 625,-2526,628,-2522
4 426 640 0 0 0 640:0,-426,639,-1 160,-745,639,-427 280,-984,639,-746 370,-1163,639,-985 438,-1297,639,-1164 489,-1397,639,-1298 527,-1472,639,-1398 556,-1528,639,-1473 577,-1570,639,-1529 593,-1601,639,-1571 605,-1624,639,-1602 614,-1641,639,-1625 621,-1653,639,-1642 626,-1662,639,-1654 630,-1668,639,-1663
4 1000 10 0 0 0 10:0,-1000,9,-1 3,-1750,9,-1001 5,-2312,9,-1751 7,-2733,9,-2313 8,-3048,9,-2734 9,-3284,9,-3049
4 10 1000 0 0 0 1000:0,-10,999,-1 250,-17,999,-11 438,-22,999,-18
4 37 1234 0 0 0 1234:0,-37,1233,-1 309,-64,1233,-38 541,-84,1233,-65 715,-99,1233,-85 845,-110,1233,-100 943,-118,1233,-111 1016,-124,1233,-119
4 1234 37 0 0 0 37:0,-1234,36,-1 10,-2159,36,-1235 17,-2852,36,-2160 22,-3371,36,-2853 26,-3760,36,-3372 29,-4051,36,-3761 31,-4269,36,-4052 33,-4432,36,-4270 34,-4554,36,-4433 35,-4645,36,-4555 36,-4713,36,-4646
4 2 2 0 0 0 2:0,-2,1,-1
4 13 11 0 0 0 11:0,-13,10,-1 3,-22,10,-14 5,-28,10,-23
`;

/**
 * For each (n, levels): n structs {c = ((s >> 8) % levels) / levels, i} from the LCG s = s·1664525 + 1013904223
 * (uint32, seed 12345 + 7n + levels); "n levels fnv(std::sort(v.rbegin(), v.rend())) fnv(std::partial_sort(
 * w.rbegin(), w.rend(), w.rend()))" where fnv = FNV-1a 64 (offset basis 1469598103934665603, prime 2^40 + 0x1b3) over
 * the 4 little-endian bytes of each i in order.
 */
const REF_SORT = `
0 3 14650fb0739d0383 14650fb0739d0383
0 50 14650fb0739d0383 14650fb0739d0383
0 100000 14650fb0739d0383 14650fb0739d0383
1 3 315446a086a23133 315446a086a23133
1 50 315446a086a23133 315446a086a23133
1 100000 315446a086a23133 315446a086a23133
2 3 29034675a49f07c2 29034675a49f07c2
2 50 a803617659589552 a803617659589552
2 100000 29034675a49f07c2 29034675a49f07c2
3 3 8feed70cb91148a0 8feed70cb91148a0
3 50 e537aea4bda9c4c0 e537aea4bda9c4c0
3 100000 8feed70cb91148a0 8feed70cb91148a0
5 3 21921dee7ae0b1e7 a09238ef2f9a3f77
5 50 420b41df00d49a47 420b41df00d49a47
5 100000 2ef1911d68cc91f7 2ef1911d68cc91f7
16 3 9e41e2f892a5c0b3 aefefaf0ddb6ee93
16 50 36236467d47d1b73 ce1bdde244090883
16 100000 0c4183a4ba7cfeb3 0c4183a4ba7cfeb3
17 3 f14b4c448b182153 1393e9fc6370ec73
17 50 14979081b50f8b63 ad665fd12fb5ce33
17 100000 dc4cc0a0cf9ce2a3 dc4cc0a0cf9ce2a3
18 3 a012e10d397a7812 9627d94bdac51902
18 50 be3de99d27b0f7d2 be3de99d27b0f7d2
18 100000 2b4f0b06254c0162 2b4f0b06254c0162
40 3 5d54cf7d1d27a2f3 1074dc61b8feea33
40 50 cd73dc05cd092633 f1a133867d99fb23
40 100000 8f0a3b43c911c4f3 8f0a3b43c911c4f3
100 3 add4a2eb27dead63 7070f4709c80f3a3
100 50 1092116c873a52f3 79dd78be3071cce3
100 100000 3950a30eb097c6f3 3950a30eb097c6f3
300 3 6125740c11621a4f 696e9c9dbbf460bf
300 50 0a038348724c7173 6dddb357f7d02057
300 100000 d49f4342e4b167ab d49f4342e4b167ab
1000 3 6da98193720984bf d6d06089c74b79df
1000 50 5a923df4f56c6a4b 051562eb6a6f65b3
1000 100000 1a127d5814f772bf 44ede18b19b741ab
5000 3 f6a95b390a5b0957 2bfcc841fa948cc3
5000 50 39243af7982bd0bf 4f272ee440d601d7
5000 100000 95afd9ac3bdb24f3 0cf92a974b1ed71b
`;

/**
 * "key: left,top,right,bottom,confidence ...":
 *  - NakagawaTaishi t=thr: net.process(img, thr) of mmod_human_face_detector on images/NakagawaTaishi.png;
 *  - NAME up1: pyramid_up(img, pyramid_down<2>) then net(img), rects mapped with pyr.rect_down(rect, 1)
 *    (dlib's Python cnn_face_detection_model_v1 with upsample_num_times = 1); 2008_002470 from its decoded PNG;
 *  - bbr t=thr: the network REF_BBR_NET_BASE64 (`loss_mmod<con<10,5,5,4,4,input_rgb_image_pyramid<pyramid_down<6>>>>`,
 *    mmod_options with windows 40x40 "sq" and 30x60 "tall", use_bounding_box_regression = true,
 *    overlaps_nms = test_box_overlap(0.3, 0.8), con initialised by dlib then its parameters halved) run with
 *    net.process(golden/chips/bald_guys_0.png, thr); "bbr labels" = the labels of those detections.
 */
const REF_DETS = `
NakagawaTaishi t=-1: 86,86,200,200,1.06124771
NakagawaTaishi t=-2: 86,86,200,200,1.06124771 -36,44,43,123,-1.11640453 -36,-36,43,43,-1.11992157 -36,84,43,163,-1.1222527 -36,164,43,243,-1.12354696 -74,-14,90,150,-1.12885761 228,172,307,251,-1.13363433 29,-115,437,293,-1.13891268 -36,124,43,203,-1.13948202 -62,199,75,335,-1.14306307 212,-36,291,43,-1.14911044 133,-103,369,133,-1.15395284 228,28,307,107,-1.1642828 144,29,258,143,-1.17103255 228,132,307,211,-1.17963588 28,-36,107,43,-1.18645453 12,220,91,299,-1.19522536 -36,4,43,83,-1.2102977 228,92,307,171,-1.2122159 124,-36,203,43,-1.21514213 -57,119,106,283,-1.21797812 228,212,307,291,-1.22117674 149,194,243,289,-1.22545171 68,-36,147,43,-1.22787392 92,-64,256,100,-1.23386776 -448,-402,769,815,-1.23767805 -24,-64,140,100,-1.27692163 172,-36,251,43,-1.28367996 72,194,167,289,-1.29317296 -4,-20,75,59,-1.29923189 -144,-367,560,337,-1.30640876 140,172,219,251,-1.32167923 158,150,354,347,-1.32569206 179,-17,292,96,-1.3288852 6,40,119,154,-1.33400893 -987,-800,1117,1303,-1.34362316 204,236,283,315,-1.36491215 72,93,411,433,-1.3909905 212,60,291,139,-1.39342642 -20,196,59,275,-1.39716434 90,199,227,335,-1.4062264 4,92,83,171,-1.41963267 43,165,138,260,-1.43109012 196,156,275,235,-1.44229305 245,-36,339,58,-1.45835555 158,11,354,208,-1.46310616 -8,169,156,332,-1.47241294 196,196,275,275,-1.47930169 52,228,131,307,-1.48483694 168,79,263,174,-1.49930847 81,-17,176,78,-1.51924634 158,127,253,222,-1.5592792 -4,28,75,107,-1.57868505 -15,137,80,231,-1.59912252 116,12,195,91,-1.60011792 100,172,179,251,-1.61239302 33,-7,128,87,-1.62822115 44,92,123,171,-1.63749731 12,180,91,259,-1.65720856 -66,-116,217,167,-1.68025458 108,60,187,139,-1.71552563 196,116,275,195,-1.7360779 -152,-1,131,282,-1.74644542 148,-12,227,67,-1.79729986 -358,-82,346,623,-1.83032918 -154,-127,82,109,-1.8311739 -95,113,188,396,-1.86196768 62,60,157,155,-1.91760981 68,20,147,99,-1.93329489 42,-14,206,150,-1.95235503
NakagawaTaishi up1: 79,99,197,216,1.05436778
KamioFuju up1: 80,61,222,203,1.05189407
2008_002470 up1: 323,43,370,90,1.09032333 275,177,322,225,1.0530678 49,153,96,201,1.04922962 177,81,216,121,1.0463444 145,161,184,201,1.04329979 233,65,272,105,1.02435458
bbr t=0: 64,93,86,141,0.520924985 44,84,72,148,0.450665861 58,0,82,51,0.426772624 49,52,74,107,0.389251798 25,46,51,99,0.385000557 50,-18,76,35,0.378910661 84,39,114,105,0.375147879 31,-3,62,61,0.369624287 73,79,103,147,0.366548538 52,25,79,79,0.355454832 65,-19,91,36,0.346134931 37,35,64,90,0.337967396 54,113,80,167,0.324624538 12,52,39,107,0.320523202 73,5,100,60,0.316194952 65,70,94,118,0.310962528 30,87,56,142,0.300178349 18,10,44,65,0.2943618 8,26,36,81,0.266774952 26,-22,53,35,0.260254234 102,38,129,95,0.259136796 34,61,61,119,0.251095146 67,111,99,175,0.239786446 37,110,69,177,0.237060636 85,-1,117,66,0.236767694 68,31,97,90,0.230536565 79,-22,111,25,0.195788532 12,84,41,143,0.182670087 91,94,118,150,0.180158183 -3,39,24,97,0.152473941 22,116,51,174,0.136805549 113,40,148,86,0.12513721 98,73,128,135,0.118222445 101,4,137,49,0.100769289 -4,-33,22,24,0.077401422 94,-14,131,30,0.0755697861 93,52,149,116,0.0751876086 40,-46,97,22,0.072544612 9,-38,42,29,0.0710156411 134,-38,167,30,0.0677531138 85,126,125,169,0.0648678243 127,127,166,169,0.0559644178 126,25,168,118,0.0439017564 -13,-15,13,45,0.0341581032 -3,126,37,169,0.0315856934 -16,12,16,83,0.0308312364 0,4,26,59,0.0251003541 135,6,161,64,0.0195589829 91,16,150,73,0.0125248153 109,-17,153,19,0.0107611725 -12,53,14,113,0.0038097878 114,122,142,181,0.00212420616
bbr labels t=0: tall tall tall tall tall tall tall tall tall tall tall tall tall tall tall sq tall tall tall tall tall tall tall tall tall tall sq tall tall tall tall sq tall sq tall sq sq sq tall tall sq sq tall tall sq tall tall tall sq sq tall tall
bbr t=-0.25: 64,93,86,141,0.520924985 44,84,72,148,0.450665861 58,0,82,51,0.426772624 49,52,74,107,0.389251798 25,46,51,99,0.385000557 50,-18,76,35,0.378910661 84,39,114,105,0.375147879 31,-3,62,61,0.369624287 73,79,103,147,0.366548538 52,25,79,79,0.355454832 65,-19,91,36,0.346134931 37,35,64,90,0.337967396 54,113,80,167,0.324624538 12,52,39,107,0.320523202 73,5,100,60,0.316194952 65,70,94,118,0.310962528 30,87,56,142,0.300178349 18,10,44,65,0.2943618 8,26,36,81,0.266774952 26,-22,53,35,0.260254234 102,38,129,95,0.259136796 34,61,61,119,0.251095146 67,111,99,175,0.239786446 37,110,69,177,0.237060636 85,-1,117,66,0.236767694 68,31,97,90,0.230536565 79,-22,111,25,0.195788532 12,84,41,143,0.182670087 91,94,118,150,0.180158183 -3,39,24,97,0.152473941 22,116,51,174,0.136805549 113,40,148,86,0.12513721 98,73,128,135,0.118222445 101,4,137,49,0.100769289 -4,-33,22,24,0.077401422 94,-14,131,30,0.0755697861 93,52,149,116,0.0751876086 40,-46,97,22,0.072544612 9,-38,42,29,0.0710156411 134,-38,167,30,0.0677531138 85,126,125,169,0.0648678243 127,127,166,169,0.0559644178 126,25,168,118,0.0439017564 -13,-15,13,45,0.0341581032 -3,126,37,169,0.0315856934 -16,12,16,83,0.0308312364 0,4,26,59,0.0251003541 135,6,161,64,0.0195589829 91,16,150,73,0.0125248153 109,-17,153,19,0.0107611725 -12,53,14,113,0.0038097878 114,122,142,181,0.00212420616 -40,78,11,180,0 133,57,183,159,0 135,102,195,225,0 -33,-48,9,37,0 -13,117,21,188,0 145,-30,187,55,0 -28,48,11,87,0 32,-28,71,11,0 120,99,159,137,-0.004167106 116,8,156,42,-0.016405927 -1,111,49,149,-0.0170876868 112,117,175,150,-0.0280311797 -21,71,50,130,-0.0464482158 77,87,120,115,-0.095952183 115,72,162,110,-0.0972019434 39,76,82,103,-0.106287859 -28,98,22,139,-0.136584759 98,109,147,142,-0.175107628 70,38,121,68,-0.234689146
bbr labels t=-0.25: tall tall tall tall tall tall tall tall tall tall tall tall tall tall tall sq tall tall tall tall tall tall tall tall tall tall sq tall tall tall tall sq tall sq tall sq sq sq tall tall sq sq tall tall sq tall tall tall sq sq tall tall tall tall tall tall tall tall sq sq sq sq sq sq sq sq sq sq sq sq sq
`;

/** The BBR test network as dlib serialized it (net.clean(); serialize). 3280 bytes. */
const REF_BBR_NET_BASE64 =
  "AQEBCmxvc3NfbW1vZF8BBAECAQIBKAEoAQJzcQECAR4BPAEEdGFsbAEQgQQBEIEEARCBBQczMzMzMzMTgTYHmpmZmZmZGYE1ARCB" +
  "BQEQgQQBMQEZAQIBAwEYaW5wdXRfcmdiX2ltYWdlX3B5cmFtaWQyA2KQ9YERA4MA6oERA5OY0IERAQoBCwEFY29uXzUBAgL4AgEB" +
  "AQEBAQh2Nb2jAU481J9DPb68ETw6Fo09HMXIPRpcOz3Si+m91qHRvWxcij3k17a9t4zmvS64QT2m12I8UxwKPW6c5T2EYco96Jd6" +
  "vJTgbr1ST1S9Tq6+vMQ3Eb2XAqQ9UEG9PQ/Bgz2ZmZS8VBjfveDr4r3NfRg9KDmpPVlOxj1E1dQ9NXQFPgC4D722Iuc9Iz6wO+vJ" +
  "Sz2UIt49aJhyPJ6Ibj0smw68HiS+vAedUr0nGSG9Nzr+PV5ssDxN6Vk8oaSfvcLzJb1uKSs9eMaVvWC3aD19zN0639m3PBPGBr5M" +
  "D4M9cjBOPc5Jkr3tgIy9K0UfPVNdBb6LATC9I0EGPtpQHb2LiQI9bnB9PVfomz2ZKK+9vRZkPUouKbyYW7S9vq0iveq/6byWeKk9" +
  "9/zZPWpInz3zrP49FDmYPee6iz1MVss9e/NivZAX8brdzDE9B3yVPKGto7kXhL89jomvPVlFXz2Df7k83H3SvEElkr23owC+TtKB" +
  "vbyM2L285fi922zJPb65bz2V3IU9aIQzvWQh1z1ItjY6EBuoPUfUBj717N69PQ2aPLjl6Dwy5sY8X9DxPZBq6boaI6E8je3fvXtQ" +
  "QT2WK528klejvZCvzT3s+fa941buPSvNzD3+w3E71MvnPXb3Uz0K5qS8RdiHPE08ST2QtnK9Oa81PdZ7HDzqk5w8nPy1vUfJmr2D" +
  "mMC9n/kJvaLYFD07Hok5BRzgPcT5g7zrEZC9Vma0upjfLDo25AU+9qCRPQXyWT05bKQ8bJ88PE2uDj3ykK89zWOnvTseCbqrVfY9" +
  "H4GfvXDiDb3VbwM+eMvWvak+U72DiSy6+fTGPenR9r0HH8c9YT9rvWyL/T2f+cM9BuM4vKZFLb1Z7RY91RHnPSknBD41LqU7r7JP" +
  "PW2fBz4PZSu9uUxuPWhysT0vT9w9Qa3TvS1baz3N9Sk9VZXhvfI7wjzhgKO9xFowvf49Vj2k1rC7fqDDPIJFZ71Pgg09gifKvXWh" +
  "4r164cO9ucKlPaTEB7wjkKo914GcveE61LyYOS08kS7gPCBjsD0V1w494BSuvfPnybxzgqY8lzT2vF11pjxf04C9BPeoPZPy7T3D" +
  "yxg9kxLAvalz9jzSN1g9LRb3vWJW6j0aZAK+TpeMvXVvurz/fay9sYjrPTmhp7ybH6q9Q/PKOw4x3T2nZIS96wwDPrM72j0JWtq9" +
  "G5sOPd14fT2+pQg9aMDlPTYFuL1Gr4U9rZADPjBD0724plE94CCmPaMlXD2LzcM940aLvfERFj2ABNC9PNPVvfJz8z26Gga+b/xV" +
  "vdPIsD1pt4g9lJ2JvYdW5zxGBL+9aSzlPUwBAL5UvOO9xMUFPuNbM70kF8A8OgY0PWWc6b1ffCa8zxU2OvllhjzBUuU9cHrSvM04" +
  "Fz0zsEw96HbYvUsY0L2djf87mmRlPfTI2z0nary9N5jYvePfSz32XQW++jwevbY1JT1BVNS86AN2PYchkD2eHIa90NvlvZaaMj21" +
  "6OO9PSqnvdjRoL2MDGU9gAEBPoF2Fz3vV2q967IlPH4gGL369648XJDKPMCjtL1QA0U9CeKzPXLtjT2i6vW9h6gUvUEtxj1goeu9" +
  "yEg1vUMZNjt2i0W95CrpPSkvmb099hg8dtsjPQ/hmL0cLAQ+DBj9vW2LBT5d9R68CUK2PcZwzr3gSfI9p5y7vajwPT2d3oA9Jghm" +
  "vRPiGzs1Jtm9++khvey017sR59u9kSjcvYNZ0zxaftq8dCz6PeXrAr4GkB89qyGbvVgQ9D0t3Em9foDCPGtmDr2jGAC7TSeOPf0+" +
  "Eb0pfvg9ENPDvTz+0j2LPRE9h94CvhMa7bwZcZ+9ywScPU0LAr6+qBg9infiutQjsb3+H4A9BLhmvSlQvT13b6y9oa2jOy197TxI" +
  "XuA9qWqsvbRrMLs478y8R2S5utzXkr3Ds4C91fSqvf8tYzwJ0J48msHjvUGqAr24jCg9P3V+PYaxWb2Uow89+Ef6vbBijD3Dx+O8" +
  "WrX+vTAoz72VJhu9Dmtjve8XAz5ASc28mJ8+O6060z23byA9Ia78PAaNz71XAcw93M0EPvIJsD2ZfgU+sXd/PQqwQDh8A7g9GsMD" +
  "vftjPr02DOW9en31PYlLB76SpYg9v0msO5kUNj3J3f69JIgSPT3gpD3Hh929ydSDvV+MfD0mvbm9/PDlPH2/5r0FxQY+nL6hveVE" +
  "xT1oGmQ9gDr4vT+KfL0fcag9rVO6vaqk5D0hkd49IllmPLjERj1s7cc8EZ0HPlSKtr20QKm9su6TvaWx/z0/62K8vOrjvOmjubxq" +
  "1Pc9x3g3vc+isz3w/Ds9iwDNvetn2D3A4049t7CCO0xwmr11q0m9y5qPvb5asT2JWdI9bNi7vcPtLb0X59y9SZQrPVlaS72wJIO9" +
  "VokpPWikhj00s5Q8PUGxPRpu3r3h6tC9ByrAvWVgA74Peuy9ks04vX+7zb3je/Q9BvWePcDb1Dvs2cU9E2yKPXb4WDxdr6e9JQ5m" +
  "vDQ/h7sD5bS96Yy9PO29s7yLwpC9vRxGveQwtj1hsC89Gcx7uxT4Ab5BzZi9dmPYPT7Zur2J7KU8exmCvWgtx73+at+91DkBPnqt" +
  "x73FTdc9KovBPYOJk73Zeww8BFhlvcAJPj1dlYQ9tYTUvKCHib1sgp68cFr3PGeLA77+qcO8C0zAvTuRlLzEvdW96F/9PHWTh7zz" +
  "fuo9p02MPCVOf72Kfda8Kp2OPePSjzyeNC+9MN7lPC/WxT1E6Wu7pVhJPZHurz10jNs9m8WFPSe4UL3vCsc9zYyMPXAvtr3M1c+9" +
  "XQeIPRbNJbwXtQ09WMNLvdgLk70mwsw8u1zzPbOHFL1Ei/K9dxCUvfCJuD3YWfw8MTKsPddVmL0kNpu8ysC1OZ9Moz1aYp899O/H" +
  "PY1O0D2BYXC8TvPKvfSypL2lmGG9WnvOvMB3p72lNAy8WCyGvYQDBD5vKFA9qiHSO/FJAD5K1+M96X2bO+EcnL0Rv3K9gT4LPeFn" +
  "6T0HEtE9w2r+PXRElryRwew8f1ffveryIb10C307BHJpvSQwTL2753I92jycPXz/1j0su3A91l/EvWFuyL0/fv09JwhnPCU2PL3a" +
  "XKo9X0ClPRbg0D3JP588mFXjPVcgDb28VRC8t+FCvcAh4LqIRLC9S4UDvsseRDwdb5i9tYNTPRiZjb1EH9Q9rpHtvQ4qDr05HKm8" +
  "yA8kvcOgrT2wW6k8Ey0Fvq1y3L0XOWw918slvWrteL3cL208srylPdEjvb0+/pY9f4bzvYCSaj2GThw9Mc0GPaZrtLy6v6k93Egl" +
  "PV+Atr2I/Js9M/hxvL5xrD0thf+9V4gHPtAhwT00ZJE9kfK6vdsbhj2aJaQ995FEuzOssT0Z2ey9ZWB6vbKSbbzkMlS9QmQqvTLA" +
  "xDyGGBg8NoTzPRx7nT3BZ+a9hNZ8vffibT3pCnW9hgzDvW3r/bp5v509gQ8uvbrjzD2qNIa9SssWPGFFcT2GC4u9m4DLO/x/lj1Z" +
  "fK07qNvAPWtjqb3h9re98aYNPHrp4L1WLgS94Rl3O2B6s72G8Ys8ykCvvcB/7j0EPjg9YGjkvZl7hb18ZQ69mknlvCHc7705uqy9" +
  "i02Rvdc1zb2zOtc9xcycPWfCr73SfZc9f/fPvQliAD7kqYI9sb8PvU5G271ALwg9XvS8PSp3vT2QnQU+iTn5vG9zLjvWTpC9Ihvs" +
  "vdYJLTzN2cm8p4CzOzrHrb1vPZI96cu4PM8rkT0X7r86jYUCvuhGBzuG0fU8nBxsvYpUnL14jPC9IUe7vVG09b19I1+8CmuHPd0/" +
  "vj3noNQ9bDhnvWBY6r0swps9xfzUvQQHhL0yWPs8GVU4PTMBqr22vI+9YoDnvTiXsb07twQ+Olb7PUALZb2VRpm9WdXGPfvdiz0C" +
  "8GY9PBSyPYniYD28m5w97QrMvTWsc708KNM9fSPavXPWlr01xeg8FOgjuxB0p72I3sa9pA1uNg0/FD3icQa+yb7AuzIYsD3UxLu9" +
  "5P7MPQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABCgEFAQUBBAEEAQABAAEBAQoBAwEFAQUBAQEBAQoB" +
  "AQEBARCBBAEQgQQBEIEEAQABCzExMTABAgEAAQABAAEAAQIBAAEAAQABAAECAQABAAEAAQABAQ==";
