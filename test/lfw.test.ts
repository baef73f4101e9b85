/**
 * LFW evaluation: the metric functions against brute-force reimplementations written here, and the whole tool on a
 * small LFW-format set built in a temp dir from the fixture image bald_guys.jpg (dlib's example: 24 faces of 4 people,
 * identities from the golden clustering) plus a face-less crop of dogs.jpg (the fallback path). Every printed and
 * JSON number is recomputed here from the pair distances; distances are checked against the golden descriptors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, needFixture, readJson, readPngRgb } from "./fixtures.js";
import {
  parseLfwPairs, accuracyAt, equalErrorRate, computeRocCurve, rocAuc, tarAtFar, marginShare, RunningStats,
  summarizeLfw, LfwFormatError, type ScoredPair,
} from "../src/eval/lfw.js";
import { nearestToCentre, fallbackFaceRect } from "../src/eval/lfw-embed.js";
import { runLfw, cmdLfw, lfwTextLines } from "../src/cli/lfw.js";
import { formatG6 } from "../src/face/gender.js";
import { encodePng } from "../src/image/decode.js";
import type { RgbImage } from "../src/image/types.js";

// ---------- independent, brute-force versions of every number ----------

function bfAccuracy(p: readonly ScoredPair[], t: number) {
  const ok = (x: ScoredPair) => (x.same ? x.distance < t : x.distance > t);
  const frac = (xs: readonly ScoredPair[]) => xs.filter(ok).length / xs.length;
  return { all: frac(p), pos: frac(p.filter((x) => x.same)), neg: frac(p.filter((x) => !x.same)) };
}
/** EER by definition: over every candidate threshold T among the values, minimise |share(low >= T) − share(high < T)|, first minimum in decreasing-T order. */
function bfEer(low: number[], high: number[]) {
  const cands = [...new Set([...low, ...high])].sort((a, b) => b - a);
  let best = { delta: Infinity, err: 0, t: 0 };
  for (const T of cands) {
    // dlib walks the sorted list point by point; within a run of equal values its "false" list (here: the low values,
    // the same pairs) comes first, so the points at value T are: everything > T, then + the low ones equal to T, then + the high ones.
    const highAbove = high.filter((x) => x > T).length, lowAbove = low.filter((x) => x > T).length;
    const highEq = high.filter((x) => x === T).length, lowEq = low.filter((x) => x === T).length;
    const steps: [number, number][] = [];
    for (let k = 1; k <= lowEq; k++) steps.push([highAbove, lowAbove + k]);
    for (let k = 1; k <= highEq; k++) steps.push([highAbove + k, lowAbove + lowEq]);
    for (const [h, l] of steps) {
      const fnr = 1 - h / high.length, fpr = l / low.length;
      const d = Math.abs(fnr - fpr);
      if (d < best.delta) best = { delta: d, err: Math.max(fnr, fpr), t: T };
    }
  }
  return best;
}
function bfAuc(same: number[], diff: number[]) {
  let s = 0;
  for (const a of same) for (const b of diff) s += b > a ? 1 : b === a ? 0.5 : 0;
  return s / (same.length * diff.length);
}
function bfTar(same: number[], diff: number[], far: number) {
  // the largest threshold among {diff values, +inf} whose false accept share is <= far
  let bestT = -Infinity;
  for (const t of [...diff, Infinity]) if (diff.filter((d) => d < t).length / diff.length <= far + 1e-12 && t > bestT) bestT = t;
  return same.filter((d) => d < bestT).length / same.length;
}
function bfStd(xs: number[]) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test("parseLfwPairs: folds, matched/mismatched lines, single-count header, errors", () => {
  const p = parseLfwPairs("2 1\nA 1 2\nA 1 B 3\nC 2 4\nD 1 E 1\n");
  assert.equal(p.folds, 2);
  assert.equal(p.pairsPerFold, 1);
  assert.deepEqual(p.pairs.map((x) => [x.fold, x.same, x.a.name, x.a.index, x.b.name, x.b.index]), [
    [0, true, "A", 1, "A", 2], [0, false, "A", 1, "B", 3], [1, true, "C", 2, "C", 4], [1, false, "D", 1, "E", 1],
  ]);
  assert.equal(parseLfwPairs("1\r\nA 1 2\r\nA 1 B 1\r\n").folds, 1);
  assert.throws(() => parseLfwPairs("2 1\nA 1 2\nA 1 B 3\n"), LfwFormatError);
  assert.throws(() => parseLfwPairs("1 1\nA 1 B 2\nA 1 2\n"), /line 2/);
  assert.throws(() => parseLfwPairs("1 1\nA 1 2\nA x B 2\n"), /bad image number/);
});

test("metrics equal brute-force computations (random distances with ties)", () => {
  for (let trial = 0; trial < 30; trial++) {
    const r = lcg(trial + 1);
    const n = 5 + Math.floor(r() * 60);
    const pairs: ScoredPair[] = [];
    for (let i = 0; i < n; i++) {
      const same = r() < 0.5;
      // quantised so ties occur
      const d = Math.round((same ? 0.45 + r() * 0.3 : 0.6 + r() * 0.4) * 50) / 50;
      pairs.push({ fold: i % 3, same, distance: d });
    }
    if (!pairs.some((p) => p.same) || pairs.every((p) => p.same)) continue;
    const same = pairs.filter((p) => p.same).map((p) => p.distance), diff = pairs.filter((p) => !p.same).map((p) => p.distance);
    for (const t of [0.5, 0.6, 0.64, 0.7, 0.62]) { // 0.62 is one of the quantised distances: ties at the threshold
      const a = accuracyAt(pairs, t), b = bfAccuracy(pairs, t);
      assert.equal(a.accuracy, b.all);
      assert.equal(a.pos, b.pos);
      assert.equal(a.neg, b.neg);
      assert.equal(marginShare(pairs, t, 0.04), pairs.filter((p) => Math.abs(p.distance - t) <= 0.04).length / pairs.length);
    }
    const e = equalErrorRate(same, diff), be = bfEer(same, diff);
    assert.equal(e.threshold, be.t, `trial ${trial} EER threshold`);
    assert.equal(e.error, be.err, `trial ${trial} EER`);
    assert.ok(Math.abs(rocAuc(same, diff) - bfAuc(same, diff)) < 1e-12, `trial ${trial} AUC`);
    for (const far of [0, 1e-3, 0.1, 0.3]) assert.equal(tarAtFar(same, diff, far).tar, bfTar(same, diff, far), `trial ${trial} TAR@${far}`);
  }
  // dlib's ROC tie rule: at equal scores the false ones come first
  assert.deepEqual(computeRocCurve([1, 2], [2]).map((p) => [p.threshold, p.truePositiveRate, p.falsePositiveRate]), [[2, 0, 1], [2, 0.5, 1], [1, 1, 1]]);
  // dlib's equal_error_rate degenerate cases
  assert.deepEqual(equalErrorRate([], []), { error: 0, threshold: 0 });
  assert.deepEqual(equalErrorRate([], [3, 2]), { error: 0, threshold: 2 });
  assert.deepEqual(equalErrorRate([0.5, 0.7], []), { error: 0, threshold: 1.7 });
  // running_stats: sample stddev
  const rs = new RunningStats();
  // the fold means of dlib's printout in the Taguchi README (600 pairs per fold: 0.995 = 597/600, ...)
  for (const k of [597, 595, 595, 594, 598, 598, 594, 597, 598, 597]) rs.add(k / 600);
  assert.equal(formatG6(rs.stddev()), "0.00272732"); // README: rscv.stddev(): 0.00272732
  assert.equal(formatG6(rs.mean()), "0.993833");
});

test("nearest detection to the centre; fallback box", () => {
  const r = (l: number, t: number, s: number) => ({ left: l, top: t, right: l + s - 1, bottom: t + s - 1 });
  assert.equal(nearestToCentre([r(0, 0, 50), r(60, 60, 100), r(100, 100, 50)], 250, 250), 2); // centre (124.5, 124.5)
  assert.equal(nearestToCentre([r(0, 0, 50), r(60, 60, 100), r(150, 150, 50)], 250, 250), 1);
  assert.equal(nearestToCentre([r(90, 100, 50), r(110, 100, 50)], 250, 250), 0); // tie: the first
  assert.equal(nearestToCentre([], 250, 250), -1);
  // dlib: centered_rect(get_rect(250x250 img), 100, 100) = [75, 75, 174, 174]
  assert.deepEqual(fallbackFaceRect(250, 250), { left: 75, top: 75, right: 174, bottom: 174 });
  assert.deepEqual(fallbackFaceRect(251, 300), { left: 75, top: 100, right: 174, bottom: 199 });
});

/** A square crop of `img` (black outside) of side s whose top-left is (x0, y0). */
function crop(img: RgbImage, x0: number, y0: number, s: number): RgbImage {
  const out = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
    const sx = x0 + x, sy = y0 + y;
    if (sx < 0 || sy < 0 || sx >= img.width || sy >= img.height) continue;
    for (let c = 0; c < 3; c++) out[(y * s + x) * 3 + c] = img.data[(sy * img.width + sx) * 3 + c];
  }
  return { width: s, height: s, data: out };
}

test("dlib-face lfw on a small LFW-format set: every number recomputed from the pairs", async (t) => {
  const gp = needFixture(t, "golden", "bald_guys.json");
  const model = needFixture(t, "models", "resnet_v1_faceapi_q8.dat.bz2");
  // the 68-point model (what the golden chips used) when installed, else the fixture's toy 5-point model
  const sp68 = process.env.DLIB_SP68 ?? "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  const sp = existsSync(sp68) ? sp68 : needFixture(t, "models", "shape_predictor_5_toy.dat");
  const dogs = needFixture(t, "images", "dogs.jpg");
  if (!gp || !model || !sp || !dogs) return;
  const g = readJson(gp);
  const src = await readPngRgb(fixture("golden", "decoded", "bald_guys.png"));
  const dir = mkdtempSync(join(tmpdir(), "lfw-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // person k = golden cluster k; image i of a person = a square crop centred on the face, 2.3x the face width
  const people: number[][] = [[], [], [], []];
  g.faces.forEach((f: any, i: number) => people[g.clusters.labels[i]].push(i));
  const names = ["Bald_One", "Bald_Two", "Bald_Three", "Bald_Four"];
  people.forEach((faces, k) => {
    mkdirSync(join(dir, "images", names[k]), { recursive: true });
    faces.forEach((fi, j) => {
      const r = g.faces[fi].rect;
      const w = r.right - r.left + 1, s = Math.round(w * 2.3);
      const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
      const img = crop(src, Math.round(cx - s / 2), Math.round(cy - s / 2), s);
      // .png where the file is a PNG (the tool accepts it instead of .jpg)
      writeFileSync(join(dir, "images", names[k], `${names[k]}_${String(j + 1).padStart(4, "0")}.png`), encodePng(img));
    });
  });
  mkdirSync(join(dir, "images", "Dog"), { recursive: true });
  // LFW's own layout: a .jpg (the fixture JPEG as is)
  copyFileSync(dogs, join(dir, "images", "Dog", "Dog_0001.jpg"));
  // 2 folds x 8 pairs: matched pairs within a person, mismatched across people (+ the dog)
  const m = (k: number, i: number, j: number) => `${names[k]} ${i} ${j}`;
  const x = (k: number, i: number, l: number, j: number) => `${names[k]} ${i} ${names[l]} ${j}`;
  const lines = [
    "2 8",
    m(0, 1, 2), m(0, 3, 4), m(1, 1, 2), m(1, 5, 6), m(2, 1, 3), m(2, 2, 6), m(3, 1, 2), m(3, 4, 5),
    x(0, 1, 1, 1), x(0, 2, 2, 1), x(1, 3, 3, 2), x(2, 4, 3, 3), x(0, 5, 3, 6), x(1, 6, 2, 5), `Dog 1 ${names[0]} 1`, x(2, 1, 3, 1),
    m(0, 5, 6), m(0, 1, 6), m(1, 3, 4), m(1, 2, 6), m(2, 4, 5), m(2, 3, 6), m(3, 3, 6), m(3, 2, 4),
    x(0, 2, 3, 4), x(1, 2, 2, 2), x(1, 4, 3, 4), x(2, 3, 0, 3), x(3, 5, 0, 6), x(2, 6, 1, 5), `${names[1]} 1 Dog 1`, x(0, 4, 1, 4),
  ];
  const pairsFile = join(dir, "pairs.txt");
  writeFileSync(pairsFile, lines.join("\n") + "\n");
  const config = { model, landmarks: sp, detector: "hog" as const, upsample: 0, jitter: 0 };

  const t0 = performance.now();
  const run = await runLfw({ pairsFile, imagesDir: join(dir, "images"), config, threads: 1 });
  const ms = performance.now() - t0;
  assert.equal(run.files.length, 24 + 1, "each image embedded once");
  assert.equal(run.noFace, 1, "only the dog image has no face");
  assert.ok(run.files.some((f) => f.endsWith("Dog/Dog_0001.jpg")));
  assert.ok(run.embeddings[run.files.findIndex((f) => f.includes("Dog_0001"))].noFace);
  assert.equal(run.pairs.length, 32);

  // distances against the golden descriptors of the same faces (different crop, same face: close, not equal)
  const faceOf = (rel: string) => {
    const [name, file] = rel.split("/");
    const k = names.indexOf(name);
    return k < 0 ? -1 : people[k][Number(file.slice(-8, -4)) - 1];
  };
  let maxDev = 0;
  for (const p of run.pairs) {
    const fa = faceOf(p.a), fb = faceOf(p.b);
    if (fa < 0 || fb < 0) continue;
    const da = g.faces[fa].descriptor_resnet_q8, db = g.faces[fb].descriptor_resnet_q8;
    const want = Math.sqrt(da.reduce((s: number, v: number, i: number) => s + (v - db[i]) ** 2, 0));
    maxDev = Math.max(maxDev, Math.abs(p.distance - want));
  }
  // with the 68-point model the chips are aligned as the golden ones (the crop only moves the face)
  if (sp === sp68) assert.ok(maxDev < 0.02, `distances vs golden descriptors: max deviation ${maxDev}`);

  // every summary number, recomputed independently from the pairs
  const s = run.summary;
  const same = run.pairs.filter((p) => p.same).map((p) => p.distance), diff = run.pairs.filter((p) => !p.same).map((p) => p.distance);
  const b = bfAccuracy(run.pairs, 0.6);
  assert.equal(s.accuracy, b.all);
  assert.equal(s.posAccuracy, b.pos);
  assert.equal(s.negAccuracy, b.neg);
  const folds = [0, 1].map((f) => bfAccuracy(run.pairs.filter((p) => p.fold === f), 0.6).all);
  assert.deepEqual(s.foldAccuracies, folds);
  assert.ok(Math.abs(s.mean - (folds[0] + folds[1]) / 2) < 1e-15);
  assert.ok(Math.abs(s.stddev - bfStd(folds)) < 1e-12);
  const be = bfEer(same, diff);
  assert.equal(s.eerThreshold, be.t);
  assert.equal(s.eerAccuracy, 1 - be.err);
  assert.ok(Math.abs(s.auc - bfAuc(same, diff)) < 1e-12);
  assert.equal(s.tarAtFar1e3, bfTar(same, diff, 1e-3));
  assert.equal(s.marginShare, run.pairs.filter((p) => Math.abs(p.distance - 0.6) <= 0.04).length / 32);
  t.diagnostic(`25 images in ${ms.toFixed(0)} ms (1 thread); accuracy ${s.accuracy}, folds ${s.foldAccuracies}, EER t ${s.eerThreshold} acc ${s.eerAccuracy}, AUC ${s.auc}; max |d − golden d| ${maxDev.toFixed(4)}`);

  // the CLI with 2 worker threads: same distances, dlib's text lines, JSON and the report
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  const report = join(dir, "report.html");
  try {
    await cmdLfw(["--pairs", pairsFile, "--images", join(dir, "images"), "--model", model, "--landmarks", sp, "--threads", "2", "--threshold", "0.5", "--json", "--report", report]);
  } finally {
    console.log = log;
  }
  const j = JSON.parse(out[0]);
  assert.equal(j.pairs.length, 32);
  j.pairs.forEach((p: any, i: number) => {
    assert.equal(p.a, run.pairs[i].a);
    assert.equal(p.distance, run.pairs[i].distance, "worker threads give the same distances");
  });
  const sj = summarizeLfw(j.pairs, { threshold: j.threshold, margin: j.margin, folds: 2 });
  assert.deepEqual(
    [j.accuracy, j.pos_accuracy, j.neg_accuracy, j.fold_accuracies, j.mean, j.stddev, j.eer_threshold, j.eer_accuracy, j.auc, j.tar_at_far_1e3, j.no_face],
    [sj.accuracy, sj.posAccuracy, sj.negAccuracy, sj.foldAccuracies, sj.mean, sj.stddev, sj.eerThreshold, sj.eerAccuracy, sj.auc, sj.tarAtFar1e3, 1],
  );
  assert.equal(j.threshold, 0.5);
  t.diagnostic(`CLI (2 threads, threshold 0.5): accuracy ${j.accuracy} (pos ${j.pos_accuracy}, neg ${j.neg_accuracy}), folds ${j.fold_accuracies}, stddev ${j.stddev}`);
  const html = readFileSync(report, "utf8");
  assert.match(html, /<svg[^>]*>.*<path d="M/s);
  assert.ok((html.match(/<img src="data:image\/png;base64,/g) ?? []).length >= 16, "chips of the hardest pairs");
  assert.ok(!/<script|src="http/.test(html), "self-contained, no scripts");
  // text lines in dlib's order
  const text = lfwTextLines(s, run.noFace, run.files.length);
  assert.equal(text[0], "dist thresh: 0.6");
  assert.equal(text[1], "margin: 0.04");
  assert.equal(text[3], `overall lfw accuracy: ${formatG6(b.all)}`);
  assert.equal(text.filter((l) => l.startsWith("fold mean: ")).length, 2);
  assert.ok(text.includes(`ERR thresh: ${formatG6(be.t)}`));
  assert.ok(existsSync(report));
});
