/**
 * The face ResNet's first convolution (con<32,7,7,2,2> on the 3x150x150 input, padding 0) runs by polyphase Winograd
 * F(3x3,4x4) (`wino34s2_con`, convOptions.winogradS2). Checked here: the runtime picks it for that layer, and the
 * descriptors of networks compiled with it and without it (packed im2col + gemm) differ by float rounding only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { needFixture, readPngRgb } from "./fixtures.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { conAlgorithm, convOptions } from "../src/nn/runtime.ts";
import { readSource } from "../src/dlib/source.ts";
import type { RgbImage } from "../src/image/types.ts";

test("conAlgorithm: the face ResNet stem (7x7/2, 3 -> 32, 150x150) is winograd_s2 in one-sample plans; batched, off, or with few filters, im2col", () => {
  const s = { n: 1, k: 3, nr: 150, nc: 150 };
  assert.equal(conAlgorithm(s, 32, 7, 7, 2, 2, 0, 0), "winograd_s2");
  assert.equal(conAlgorithm({ ...s, n: 16 }, 32, 7, 7, 2, 2, 0, 0), "im2col"); // batch plans
  assert.equal(conAlgorithm({ ...s, k: 16, nr: 198, nc: 181 }, 32, 5, 5, 2, 2, 0, 0), "winograd_s2"); // mmod's con5d
  assert.equal(conAlgorithm(s, 4, 5, 5, 2, 2, 0, 0), "im2col"); // few filters
  assert.equal(conAlgorithm(s, 32, 7, 7, 2, 2, 1, 1), "im2col"); // padded
  assert.equal(conAlgorithm(s, 32, 3, 3, 2, 2, 0, 0), "im2col"); // small filter
  assert.equal(conAlgorithm(s, 32, 9, 9, 2, 2, 0, 0), "im2col"); // sub-filters larger than 4x4
  assert.equal(conAlgorithm({ ...s, nr: 10 }, 32, 7, 7, 2, 2, 0, 0), "im2col"); // 2 output rows
  const was = convOptions.winogradS2;
  convOptions.winogradS2 = false;
  try {
    assert.equal(conAlgorithm(s, 32, 7, 7, 2, 2, 0, 0), "im2col");
  } finally {
    convOptions.winogradS2 = was;
  }
});

async function load(bytes: Uint8Array, s2: boolean, first: RgbImage): Promise<Network> {
  const was = convOptions.winogradS2;
  convOptions.winogradS2 = s2;
  try {
    const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
    net.forwardSync([first]); // the one-sample plan, compiled now
    net.forwardSync([first, first]); // and the two-sample one
    return net;
  } finally {
    convOptions.winogradS2 = was;
  }
}

test("face ResNet descriptors with the stem by winograd_s2 vs im2col: max |Δ| < 1e-5; batch plans keep im2col", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const files = ["bald_guys_0.png", "HiranoShow_0.png"].map((f) => needFixture(t, "golden", "chips", f));
  if (!path || files.some((f) => !f)) return;
  const chips = await Promise.all(files.map((f) => readPngRgb(f!)));
  const bytes = (await readSource(path)).bytes;
  const wino = await load(bytes, true, chips[0]);
  const direct = await load(bytes, false, chips[0]);
  try {
    let worst = 0;
    for (const chip of chips) {
      const a = wino.forwardSync([chip]).outputs, b = direct.forwardSync([chip]).outputs;
      assert.equal(a.length, 1);
      assert.equal(a[0].length, 128);
      for (let j = 0; j < 128; j++) worst = Math.max(worst, Math.abs(a[0][j] - b[0][j]));
    }
    // the batch of 2 runs im2col in both: the same bits
    const a2 = wino.forwardSync(chips).outputs, b2 = direct.forwardSync(chips).outputs;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 128; j++) assert.ok(Object.is(a2[i][j], b2[i][j]), `batch of 2: output ${i}[${j}]`);
    t.diagnostic(`max |Δdescriptor| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `max |Δ| ${worst}`);
    // the two networks really ran different algorithms (the same one would give the same bits)
    assert.ok(worst > 0, "identical descriptors: winograd_s2 was not used");
    // the stem layer itself, in traces (each layer's own output): relative to its sum of |values|
    const trace = (net: Network, s2: boolean) => {
      const was = convOptions.winogradS2;
      convOptions.winogradS2 = s2; // (trace plans are compiled now)
      try {
        return net.forwardSync([chips[0]], { trace: true }).trace![0].layers;
      } finally {
        convOptions.winogradS2 = was;
      }
    };
    const ta = trace(wino, true), tb = trace(direct, false);
    const stem = ta.findIndex((l) => l.type === "con");
    assert.ok(stem >= 0);
    assert.deepEqual(ta[stem].shape, [1, 32, 72, 72]);
    const rel = Math.abs(ta[stem].sum - tb[stem].sum) / tb[stem].sum_abs;
    t.diagnostic(`stem layer<${ta[stem].index}>: sum ${ta[stem].sum} vs ${tb[stem].sum} (rel ${rel.toExponential(2)})`);
    assert.ok(rel < 1e-6 && rel > 0, `rel ${rel}`);
  } finally {
    wino.dispose();
    direct.dispose();
  }
});
