/**
 * Which Winograd variant a 3x3 stride-1 con layer runs with (conAlgorithm), and the face ResNet's descriptors with
 * each variant switched off against the direct im2col path: the variants change float rounding only.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { needFixture, readPngRgb } from "./fixtures.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { convOptions, conAlgorithm } from "../src/nn/runtime.ts";
import { readSource } from "../src/dlib/source.ts";
import type { RgbImage } from "../src/image/types.ts";

const s = (n: number, k: number, nr: number, nc = nr) => ({ n, k, nr, nc });

/** The q8 face ResNet's bytes and three golden chips, or null (the test skipped) when a fixture is missing. */
async function faceResnetAndChips(t: TestContext): Promise<{ bytes: Uint8Array; chips: RgbImage[] } | null> {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  if (!path) return null;
  const chips: RgbImage[] = [];
  for (const f of ["bald_guys_0.png", "bald_guys_1.png", "HiranoShow_0.png"]) {
    const p = needFixture(t, "golden", "chips", f);
    if (!p) return null;
    chips.push(await readPngRgb(p));
  }
  return { bytes: (await readSource(path)).bytes, chips };
}

test("conAlgorithm: F(6x6) or F(4x4) on single-sample planes from 32x32, F(3x3) on 13..31 where it saves products, F(2x2) else", () => {
  assert.equal(conAlgorithm(s(1, 32, 35), 32, 3, 3, 1, 1, 1, 1), "winograd6"); // 64*36 vs 36*81 products
  assert.equal(conAlgorithm(s(1, 64, 38), 64, 3, 3, 1, 1, 1, 1), "winograd4"); // 64*49 vs 36*100: not 15% fewer
  assert.equal(conAlgorithm(s(1, 32, 32), 32, 3, 3, 1, 1, 1, 1), "winograd4"); // 64*36 vs 36*64
  assert.equal(conAlgorithm(s(2, 32, 35), 32, 3, 3, 1, 1, 1, 1), "winograd2");
  assert.equal(conAlgorithm(s(1, 64, 17), 64, 3, 3, 1, 1, 1, 1), "winograd3");
  assert.equal(conAlgorithm(s(1, 64, 19), 64, 3, 3, 1, 1, 1, 1), "winograd3");
  assert.equal(conAlgorithm(s(1, 64, 13, 20), 64, 3, 3, 1, 1, 1, 1), "winograd3");
  assert.equal(conAlgorithm(s(1, 128, 10), 128, 3, 3, 1, 1, 1, 1), "winograd2"); // 16 tiles of 3 = 25 tiles of 2 in products
  assert.equal(conAlgorithm(s(1, 128, 8), 128, 3, 3, 1, 1, 1, 1), "winograd2");
  assert.equal(conAlgorithm(s(2, 64, 17), 64, 3, 3, 1, 1, 1, 1), "winograd2"); // batches keep F(2x2) (but see the loss_metric test below)
  assert.equal(conAlgorithm(s(1, 16, 17), 16, 3, 3, 1, 1, 1, 1), "winograd2"); // few channels
  assert.equal(conAlgorithm(s(1, 64, 17), 64, 3, 3, 2, 2, 0, 0), "im2col");
  const was = { ...convOptions };
  convOptions.winograd3 = false;
  convOptions.winograd6 = false;
  try {
    assert.equal(conAlgorithm(s(1, 64, 17), 64, 3, 3, 1, 1, 1, 1), "winograd2");
    assert.equal(conAlgorithm(s(1, 32, 35), 32, 3, 3, 1, 1, 1, 1), "winograd4");
  } finally {
    Object.assign(convOptions, was);
  }
});

test("face ResNet: descriptors with F(6x6)+F(3x3)+F(2x2), without F(3x3), without F(6x6), without F(4x4) and F(6x6), and direct agree within 1e-5", async (t) => {
  const fx = await faceResnetAndChips(t);
  if (!fx) return;
  const { bytes, chips } = fx;
  const run = async (opts: Partial<typeof convOptions>): Promise<Float32Array[]> => {
    const saved = { ...convOptions };
    Object.assign(convOptions, opts);
    try {
      const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
      const out = chips.map((c) => net.forwardSync([c]).outputs[0]);
      net.dispose();
      return out;
    } finally {
      Object.assign(convOptions, saved);
    }
  };
  const all = await run({});
  const no3 = await run({ winograd3: false });
  const no6 = await run({ winograd6: false });
  const no4 = await run({ winograd4: false });
  const direct = await run({ winograd: false });
  const maxAbs = (a: Float32Array[], b: Float32Array[]) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
    return m;
  };
  const d = { all: maxAbs(all, direct), no3: maxAbs(no3, direct), no6: maxAbs(no6, direct), no4: maxAbs(no4, direct), f3effect: maxAbs(all, no3), f6effect: maxAbs(all, no6) };
  t.diagnostic(`max |Δ| vs direct: all variants ${d.all.toExponential(2)}, without F(3x3) ${d.no3.toExponential(2)}, without F(6x6) ${d.no6.toExponential(2)}, without F(4x4)/F(6x6) ${d.no4.toExponential(2)}; F(3x3) on vs off ${d.f3effect.toExponential(2)}, F(6x6) on vs off ${d.f6effect.toExponential(2)}`);
  for (const [k, v] of Object.entries(d)) assert.ok(v <= 1e-5, `${k}: ${v}`);
  assert.ok(d.f3effect > 0 && d.f6effect > 0, "switching F(3x3) or F(6x6) off changes the rounding (the options are live)");
});

test("face ResNet (loss_metric): a batch gives each chip's one-sample descriptor bit for bit (metricBatchesPerSample); off, batches keep F(2x2) and im2col", async (t) => {
  const fx = await faceResnetAndChips(t);
  if (!fx) return;
  const { bytes, chips } = fx;
  const run = async (perSample: boolean): Promise<{ singles: Float32Array[]; batch: Float32Array[] }> => {
    const was = convOptions.metricBatchesPerSample;
    convOptions.metricBatchesPerSample = perSample;
    try {
      const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
      const singles = chips.map((c) => net.forwardSync([c]).outputs[0]);
      const batch = net.forwardSync([...chips, chips[0]]).outputs; // 4 samples: tiles of different samples share panels
      net.dispose();
      return { singles, batch };
    } finally {
      convOptions.metricBatchesPerSample = was;
    }
  };
  const on = await run(true), off = await run(false);
  for (let i = 0; i < 4; i++) {
    const want = on.singles[i % 3];
    for (let j = 0; j < 128; j++) assert.ok(Object.is(on.batch[i][j], want[j]), `sample ${i}[${j}]: ${on.batch[i][j]} vs ${want[j]}`);
  }
  let d = 0, same = true;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 128; j++) {
    d = Math.max(d, Math.abs(off.batch[i][j] - off.singles[i % 3][j]));
    if (!Object.is(off.batch[i][j], off.singles[i % 3][j])) same = false;
  }
  t.diagnostic(`off: batch vs one-sample max |Δ| ${d.toExponential(2)}`);
  assert.ok(d <= 1e-5 && !same, `off: batches run other algorithms (max |Δ| ${d})`);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 128; j++) assert.ok(Object.is(on.singles[i][j], off.singles[i][j]), "one-sample plans do not depend on the option");
});
