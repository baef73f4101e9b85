/**
 * The face ResNet's 3x3 stride-2 convolution 32 -> 64 on 35x35 runs by polyphase Winograd F(3x3,2x2) (`wino32s2_con`,
 * convOptions.winogradS2k3; F(4x4,2x2), `wino42s2_con`, where its transformed filters are small). Checked here: the
 * runtime picks it for that layer (not 64 -> 128 on 17x17 nor 128 -> 256 on 8x8), and the descriptors of networks compiled with it and without it (packed im2col + gemm) differ by float rounding only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { needFixture, readPngRgb } from "./fixtures.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { conAlgorithm, convOptions } from "../src/nn/runtime.ts";
import { readSource } from "../src/dlib/source.ts";
import type { RgbImage } from "../src/image/types.ts";

test("conAlgorithm: the face ResNet's 3x3/2 32 -> 64 on 35x35 is winograd_s2k3 in one-sample plans; 64 -> 128 on 17x17 (large U), 8x8 inputs, batches, off: im2col", () => {
  const s = { n: 1, k: 32, nr: 35, nc: 35 };
  assert.equal(conAlgorithm(s, 64, 3, 3, 2, 2, 0, 0), "winograd_s2k3"); // 17x17 outputs: F(3x3,2x2), 0.5 MB of U
  assert.equal(conAlgorithm({ n: 1, k: 64, nr: 17, nc: 17 }, 128, 3, 3, 2, 2, 0, 0), "im2col"); // F(4x4)'s U 3.3 MB: slower in the network
  assert.equal(conAlgorithm({ n: 1, k: 128, nr: 8, nc: 8 }, 256, 3, 3, 2, 2, 0, 0), "im2col"); // 3x3 outputs
  assert.equal(conAlgorithm({ ...s, n: 2 }, 64, 3, 3, 2, 2, 0, 0), "im2col"); // batch plans
  assert.equal(conAlgorithm(s, 16, 3, 3, 2, 2, 0, 0), "im2col"); // few filters
  assert.equal(conAlgorithm({ ...s, k: 3 }, 64, 3, 3, 2, 2, 0, 0), "im2col"); // few channels
  assert.equal(conAlgorithm(s, 64, 3, 3, 2, 2, 1, 1), "im2col"); // padded
  assert.equal(conAlgorithm({ n: 1, k: 16, nr: 33, nc: 33 }, 32, 3, 3, 2, 2, 0, 0), "winograd_s2k3"); // 16x16 outputs: F(4x4)
  const was = convOptions.winogradS2k3;
  convOptions.winogradS2k3 = false;
  try {
    assert.equal(conAlgorithm(s, 64, 3, 3, 2, 2, 0, 0), "im2col");
  } finally {
    convOptions.winogradS2k3 = was;
  }
});

async function load(bytes: Uint8Array, on: boolean, first: RgbImage): Promise<Network> {
  const was = convOptions.winogradS2k3;
  convOptions.winogradS2k3 = on;
  try {
    const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
    net.forwardSync([first]); // the one-sample plan, compiled now
    net.forwardSync([first, first]); // and the two-sample one
    return net;
  } finally {
    convOptions.winogradS2k3 = was;
  }
}

test("face ResNet descriptors with the 3x3/2 layer by winograd_s2k3 vs im2col: max |Δ| < 1e-5; batch plans keep im2col", async (t) => {
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
    assert.ok(worst > 0, "identical descriptors: winograd_s2k3 was not used");
    // the layer itself, in traces (each layer's own output): relative to its sum of |values|
    const trace = (net: Network, on: boolean) => {
      const was = convOptions.winogradS2k3;
      convOptions.winogradS2k3 = on; // (trace plans are compiled now)
      try {
        return net.forwardSync([chips[0]], { trace: true }).trace![0].layers;
      } finally {
        convOptions.winogradS2k3 = was;
      }
    };
    const ta = trace(wino, true), tb = trace(direct, false);
    const layers = ta.map((l, i) => ({ l, i })).filter(({ l }) => l.type === "con" && /stride_y=2/.test(l.desc) && /nr=3/.test(l.desc));
    assert.deepEqual(layers.map(({ l }) => l.shape), [[1, 64, 17, 17], [1, 128, 8, 8], [1, 256, 3, 3], [1, 256, 1, 1]]);
    for (const { l, i } of layers) {
      const rel = Math.abs(l.sum - tb[i].sum) / tb[i].sum_abs;
      t.diagnostic(`layer<${l.index}> ${l.shape.join("x")}: sum ${l.sum} vs ${tb[i].sum} (rel ${rel.toExponential(2)})`);
      assert.ok(rel < 1e-6, `rel ${rel}`);
      // the first of them (17x17, by F(3x3,2x2)) has the same input in both networks: different bits = its path ran
      // (the later ones differ through their inputs)
      if (l.shape[1] === 64) assert.ok(rel > 0, "17x17 layer: same sums");
    }
  } finally {
    wino.dispose();
    direct.dispose();
  }
});
