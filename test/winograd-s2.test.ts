/**
 * Stride-2 convolutions by polyphase Winograd: the face ResNet's first convolution (con<32,7,7,2,2> on the 3x150x150
 * input, padding 0) by F(3x3,4x4) (`wino34s2_con`, convOptions.winogradS2), and its 3x3 stride-2 convolution
 * 32 -> 64 on 35x35 by F(3x3,2x2) (`wino32s2_con`, convOptions.winogradS2k3; F(4x4,2x2), `wino42s2_con`, where its
 * transformed filters are small). Checked here: the runtime picks them for those layers, and the descriptors of networks
 * compiled with them and without them (packed im2col + gemm) differ by float rounding only.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { needFixture, readPngRgb } from "./fixtures.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { conAlgorithm, convOptions } from "../src/nn/runtime.ts";
import { readSource } from "../src/dlib/source.ts";
import type { RgbImage } from "../src/image/types.ts";

test("conAlgorithm: the face ResNet stem (7x7/2, 3 -> 32, 150x150) is winograd_s2 in one-sample plans; batched, off, or with few filters, im2col", () => {
  const s = { n: 1, k: 3, nr: 150, nc: 150 };
  assert.equal(conAlgorithm(s, 32, 7, 7, 2, 2, 0, 0), "winograd_s2");
  assert.equal(conAlgorithm({ ...s, n: 16 }, 32, 7, 7, 2, 2, 0, 0), "im2col"); // batch plans (loss_metric networks' choose per sample)
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

test("conAlgorithm: the face ResNet's 3x3/2 32 -> 64 on 35x35 is winograd_s2k3 in one-sample plans; 64 -> 128 on 17x17 (large U), 8x8 inputs, batches, off: im2col", () => {
  const s = { n: 1, k: 32, nr: 35, nc: 35 };
  assert.equal(conAlgorithm(s, 64, 3, 3, 2, 2, 0, 0), "winograd_s2k3"); // 17x17 outputs: F(3x3,2x2), 0.5 MB of U
  assert.equal(conAlgorithm({ n: 1, k: 64, nr: 17, nc: 17 }, 128, 3, 3, 2, 2, 0, 0), "im2col"); // F(4x4)'s U 3.3 MB: slower in the network
  assert.equal(conAlgorithm({ n: 1, k: 128, nr: 8, nc: 8 }, 256, 3, 3, 2, 2, 0, 0), "im2col"); // 3x3 outputs
  assert.equal(conAlgorithm({ ...s, n: 2 }, 64, 3, 3, 2, 2, 0, 0), "im2col"); // batch plans (loss_metric networks' choose per sample)
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

type Option = "winogradS2" | "winogradS2k3";

/** `fn` with convOptions[option] = on (plans compiled meanwhile keep it). */
function withOption<T>(option: Option, on: boolean, fn: () => T): T {
  const was = convOptions[option];
  convOptions[option] = on;
  try {
    return fn();
  } finally {
    convOptions[option] = was;
  }
}

async function load(bytes: Uint8Array, option: Option, on: boolean, first: RgbImage): Promise<Network> {
  const was = convOptions[option];
  convOptions[option] = on;
  try {
    const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
    net.forwardSync([first]); // the one-sample plan, compiled now
    net.forwardSync([first, first]); // and the two-sample one
    return net;
  } finally {
    convOptions[option] = was;
  }
}

type Layers = NonNullable<ReturnType<Network["forwardSync"]>["trace"]>[0]["layers"];

/**
 * Face ResNet descriptors with `option` on vs off: max |Δ| < 1e-5 and not the same bits (the path ran); in both
 * networks a batch of 2 gives each chip's one-sample bits (a loss_metric network chooses its algorithms per sample,
 * convOptions.metricBatchesPerSample); then `checkLayers` gets both networks' one-sample traces.
 */
async function offVsOn(t: TestContext, option: Option, checkLayers: (on: Layers, off: Layers) => void): Promise<void> {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const files = ["bald_guys_0.png", "HiranoShow_0.png"].map((f) => needFixture(t, "golden", "chips", f));
  if (!path || files.some((f) => !f)) return;
  const chips = await Promise.all(files.map((f) => readPngRgb(f!)));
  const bytes = (await readSource(path)).bytes;
  const wino = await load(bytes, option, true, chips[0]);
  const direct = await load(bytes, option, false, chips[0]);
  try {
    let worst = 0;
    const singles: Float32Array[][] = [[], []];
    for (const chip of chips) {
      const a = wino.forwardSync([chip]).outputs, b = direct.forwardSync([chip]).outputs;
      assert.equal(a.length, 1);
      assert.equal(a[0].length, 128);
      for (let j = 0; j < 128; j++) worst = Math.max(worst, Math.abs(a[0][j] - b[0][j]));
      singles[0].push(a[0]);
      singles[1].push(b[0]);
    }
    // the batch of 2 runs each network's one-sample algorithms: each chip's one-sample bits
    [wino, direct].forEach((net, k) => {
      const two = withOption(option, k === 0, () => net.forwardSync(chips).outputs);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 128; j++) assert.ok(Object.is(two[i][j], singles[k][i][j]), `${k ? "off" : "on"}, batch of 2: output ${i}[${j}]`);
    });
    t.diagnostic(`max |Δdescriptor| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `max |Δ| ${worst}`);
    // the two networks really ran different algorithms (the same one would give the same bits)
    assert.ok(worst > 0, `identical descriptors: ${option} was not used`);
    // each layer's own output, in traces (trace plans are compiled now)
    const trace = (net: Network, on: boolean) => withOption(option, on, () => net.forwardSync([chips[0]], { trace: true }).trace![0].layers);
    checkLayers(trace(wino, true), trace(direct, false));
  } finally {
    wino.dispose();
    direct.dispose();
  }
}

test("face ResNet descriptors with the stem by winograd_s2 vs im2col: max |Δ| < 1e-5; a batch gives each chip's one-sample bits", async (t) => {
  await offVsOn(t, "winogradS2", (ta, tb) => {
    // the stem layer: relative to its sum of |values|
    const stem = ta.findIndex((l) => l.type === "con");
    assert.ok(stem >= 0);
    assert.deepEqual(ta[stem].shape, [1, 32, 72, 72]);
    const rel = Math.abs(ta[stem].sum - tb[stem].sum) / tb[stem].sum_abs;
    t.diagnostic(`stem layer<${ta[stem].index}>: sum ${ta[stem].sum} vs ${tb[stem].sum} (rel ${rel.toExponential(2)})`);
    assert.ok(rel < 1e-6 && rel > 0, `rel ${rel}`);
  });
});

test("face ResNet descriptors with the 3x3/2 layer by winograd_s2k3 vs im2col: max |Δ| < 1e-5; a batch gives each chip's one-sample bits", async (t) => {
  await offVsOn(t, "winogradS2k3", (ta, tb) => {
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
  });
});
