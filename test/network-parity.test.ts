/**
 * Engine parity against real dlib: every network in ../shared/fixtures/models, each layer of each golden trace
 * (golden/traces/*.json), and the final outputs. Tolerances (from the issue): descriptors max |Δ| ≤ 1e-4,
 * probabilities ≤ 1e-5, each layer's sum and sum_abs within 1e-4 relative (the sum relative to sum_abs, since a
 * sum can be near 0). gender_resnet34_random (random weights) is ill-conditioned: its deep layers and softmax are
 * compared at 2e-2 (measured on dlib itself between two OpenBLAS kernels), early layers still at 1e-4.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, hasFixtures, readJson, readPngRgb, repoRoot } from "./fixtures.ts";
import { loadNetwork, softmaxF32, type Network } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";
import { forwardPyramid, runMmod } from "../src/face/mmod.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import type { NetType } from "../src/dlib/nettype.ts";

const traceDir = fixture("golden", "traces");
const traces = hasFixtures() && existsSync(traceDir) ? readdirSync(traceDir).filter((f) => f.endsWith(".json")).sort() : [];

function modelPath(model: string): string {
  for (const c of [model, `${model}.bz2`]) if (existsSync(fixture("models", c))) return fixture("models", c);
  throw new Error(`model ${model} not found in fixtures`);
}

/** Test-only C++ types of the tiny fixture nets (test/nets); the real ones are detected among the known networks. */
const TINY_TYPES: Record<string, [file: string, alias?: string]> = {
  tiny_resnet_metric_bn: ["tiny_resnet_metric"],
  tiny_resnet_metric_affine: ["tiny_resnet_metric"],
  tiny_resnet_metric_bn__as_bn_con: ["tiny_resnet_metric", "net_type_bn_con"],
  tiny_densenet_metric_bn: ["tiny_densenet_metric"],
  tiny_mmod_bn: ["tiny_mmod"],
  tiny_old_v19_15_mmod: ["tiny_old_mmod_v2_v3"],
  tiny_old_v19_6_mmod: ["tiny_old_mmod_v2_v3"],
};
function typeFor(traceName: string): NetType | undefined {
  const [file, alias] = TINY_TYPES[traceName] ?? [traceName];
  const p = join(repoRoot, "test", "nets", `${file}.txt`);
  if (!existsSync(p)) return undefined;
  return parseNetDefinition(readFileSync(p, "utf8"), { name: alias, source: p });
}

const loaded = new Map<string, Promise<Network>>();
async function net(path: string, type?: NetType): Promise<Network> {
  const key = `${path}|${type?.name ?? ""}|${type?.source ?? ""}`;
  if (!loaded.has(key)) loaded.set(key, readSource(path).then(({ bytes }) => loadNetwork(bytes, { type, name: path })));
  return loaded.get(key)!;
}

if (traces.length === 0) test("network parity (fixtures absent)", (t) => void t.skip("no ../shared/fixtures/golden/traces"));

for (const f of traces) {
  const name = f.replace(/\.json$/, "");
  test(`trace ${name}`, async (t) => {
    const g = readJson(join(traceDir, f));
    const type = typeFor(name);
    const n = await net(modelPath(g.model), type);
    const img = await readPngRgb(fixture("golden", g.input_png));
    // pyramid inputs (MMOD) run on dlib's tiled pyramid tensor
    const r = n.input.type === "input_rgb_image_pyramid" ? forwardPyramid(n, img, { trace: true }).result : n.forwardSync([img], { trace: true });
    const tr = r.trace![0];
    const random = name.startsWith("gender_resnet34_random");
    // input tensor
    assert.deepEqual(tr.input.shape, g.input.shape);
    assert.ok(Math.abs(tr.input.sum - g.input.sum) <= 1e-6 * g.input.sum_abs, `input sum ${tr.input.sum} vs ${g.input.sum}`);
    assert.equal(tr.layers.length, g.layers.length, "layer count");
    let worst = 0;
    for (let i = 0; i < g.layers.length; i++) {
      const want = g.layers[i];
      const got = tr.layers[i];
      assert.equal(got.index, want.index, `layer order at ${i}`);
      assert.equal(got.type, want.type, `type of layer<${want.index}>`);
      assert.deepEqual(got.shape, want.shape, `shape of layer<${want.index}> ${want.type}`);
      const tol = random && want.index < 100 ? 2e-2 : 1e-4;
      const dSum = Math.abs(got.sum - want.sum) / Math.max(want.sum_abs, 1e-30);
      const dAbs = Math.abs(got.sum_abs - want.sum_abs) / Math.max(want.sum_abs, 1e-30);
      worst = Math.max(worst, dSum, dAbs);
      assert.ok(dSum <= tol && dAbs <= tol, `layer<${want.index}> ${want.type}: sum ${got.sum} vs ${want.sum}, sum_abs ${got.sum_abs} vs ${want.sum_abs} (rel ${dSum.toExponential(2)}, ${dAbs.toExponential(2)})`);
    }
    const out = r.outputs[0];
    if (g.output.descriptor) {
      const d = g.output.descriptor as number[];
      assert.equal(out.length, d.length);
      let m = 0;
      for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(out[i] - d[i]));
      assert.ok(m <= 1e-4, `descriptor max |Δ| ${m}`);
      t.diagnostic(`worst layer rel diff ${worst.toExponential(2)}, descriptor max |Δ| ${m.toExponential(2)}`);
    } else if (g.output.detections) {
      const dets = runMmod(n, img);
      const want = g.output.detections as { rect: { left: number; top: number; right: number; bottom: number }; label: string; confidence: number }[];
      if (n.kernels.build === "simd") {
        // the plain SIMD build: dlib's detections, in dlib's order
        assert.deepEqual(dets.map((d) => [d.rect, d.label]), want.map((d) => [d.rect, d.label]));
        const dc = Math.max(0, ...dets.map((d, i) => Math.abs(d.confidence - want[i].confidence)));
        assert.ok(dc <= 1e-4, `confidence max |Δ| ${dc}`);
        t.diagnostic(`worst layer rel diff ${worst.toExponential(2)}, ${dets.length} detections, confidence max |Δ| ${dc.toExponential(2)}`);
      } else {
        // the relaxed-SIMD build rounds differently (fused multiply-adds), and this random-weight net's windows
        // have scores a few 1e-6 apart: non-max suppression may then keep the other of two overlapping windows,
        // and what that window suppresses differs in turn. Required: the same rect, label and score (1e-4) for at
        // least 90% of dlib's detections, and the first difference (in dlib's score order) at a near-tie: a
        // detection of ours within 1e-4 in score of dlib's there.
        const key = (d: { rect: object; label: string }) => JSON.stringify([d.rect, d.label]);
        const ours = new Map(dets.map((d) => [key(d), d.confidence]));
        const onlyTheirs = want.filter((d) => !ours.has(key(d)));
        let dc = 0;
        for (const d of want) if (ours.has(key(d))) dc = Math.max(dc, Math.abs(ours.get(key(d))! - d.confidence));
        assert.ok(dc <= 1e-4, `confidence max |Δ| ${dc}`);
        assert.ok(onlyTheirs.length <= 0.1 * want.length, `${onlyTheirs.length} of ${want.length} of dlib's detections not found`);
        const first = want.findIndex((d) => !ours.has(key(d)));
        if (first >= 0) assert.ok(dets.some((d) => Math.abs(d.confidence - want[first].confidence) <= 1e-4 && key(d) !== key(want[first])), `first difference (dlib's #${first}, ${want[first].confidence}) is not at a near-tie`);
        const onlyOurs = dets.filter((d) => !want.some((e) => key(e) === key(d)));
        t.diagnostic(`relaxed SIMD: worst layer rel diff ${worst.toExponential(2)}, ${dets.length} detections (dlib ${want.length}), ${onlyTheirs.length} of dlib's not found and ${onlyOurs.length} others from the first near-tie (dlib's #${first}) on, confidence max |Δ| ${dc.toExponential(2)}`);
      }
    } else if (g.output.label !== undefined) {
      const p = softmaxF32(out);
      let arg = 0;
      for (let i = 1; i < p.length; i++) if (out[i] > out[arg]) arg = i;
      assert.equal(arg, g.output.label, "label");
      t.diagnostic(`worst layer rel diff ${worst.toExponential(2)}`);
    }
  });
}

test("the two stored forms of resnet_v1_faceapi_q8 (bn_con training form, affine form) give the same descriptors", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const a = await net(modelPath("resnet_v1_faceapi_q8.dat"));
  const b = await net(modelPath("resnet_v1_faceapi_q8_affine.dat"));
  const g = readJson(fixture("golden", "bald_guys.json"));
  const chips = [];
  for (let i = 0; i < 6; i++) chips.push(await readPngRgb(fixture("golden", "chips", `bald_guys_${i}.png`)));
  const da = a.forwardSync(chips).outputs;
  const db = b.forwardSync(chips).outputs;
  for (let i = 0; i < chips.length; i++) {
    assert.deepEqual(Array.from(da[i]), Array.from(db[i]), `face ${i}: bit-identical`);
    let m = 0;
    for (let j = 0; j < 128; j++) m = Math.max(m, Math.abs(da[i][j] - g.faces[i].descriptor_resnet_q8[j]));
    assert.ok(m <= 1e-4, `face ${i} vs dlib: ${m}`);
  }
});
