/**
 * dlib's dnn_face_recognition_ex flow end to end, against dlib 19.24's goldens: the original image file →
 * decode → HOG (upsample 0 and 1) → 68-point landmarks → get_face_chip_details(shape, 150, 0.25) chips →
 * q8 ResNet descriptors (and the DenseNet's) → Chinese whispers. Not from golden chips: every stage is ours.
 * Also jittered descriptors (dlib::rand-driven jitter_image, mean as dlib computes it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fixture, hasFixtures, inCI, readJson, readPngRgb } from "./fixtures.ts";
import { decodeImage } from "../src/image/decode.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";
import { detectFaces, faceLandmarks, faceChips, faceDescriptors, clusterFaces } from "../src/face/pipeline.ts";
import { ShapePredictor } from "../src/face/shape-predictor.ts";
import { DlibRand } from "../src/face/rand.ts";

const SP68 = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
const images = hasFixtures() ? readdirSync(fixture("images")).filter((f) => /\.(jpg|png)$/.test(f)).sort() : [];

let q8: Promise<Network> | null = null;
let dense: Promise<Network> | null = null;
let sp: Promise<ShapePredictor> | null = null;
const getQ8 = () => (q8 ??= readSource(fixture("models", "resnet_v1_faceapi_q8.dat.bz2")).then((s) => loadNetwork(s.bytes, { name: "q8" })));
const getDense = () => (dense ??= readSource(fixture("models", "face_recognition_densenet_model_v1.dat.bz2")).then((s) => loadNetwork(s.bytes, { name: "densenet" })));
const getSp = () => (sp ??= ShapePredictor.load(new Uint8Array(readFileSync(SP68)), SP68));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function need68(t: { skip(m: string): void }): boolean {
  if (existsSync(SP68)) return true;
  if (inCI) throw new Error(`${SP68} missing under CI (Debian package libdlib-data)`);
  t.skip("68-point model not installed (apt-get install libdlib-data)");
  return false;
}

if (images.length === 0) test("pipeline (fixtures absent)", (t) => void t.skip("no ../shared/fixtures"));

for (const name of images) {
  const base = name.replace(/\.(jpg|png)$/, "");
  test(`image → faces → chips → descriptors → clusters: ${name}`, async (t) => {
    if (!need68(t)) return;
    const g = readJson(fixture("golden", `${base}.json`));
    const img = decodeImage(new Uint8Array(readFileSync(fixture("images", name))), { file: name });
    assert.equal(img.width, g.width);
    const [net, dn, predictor] = await Promise.all([getQ8(), getDense(), getSp()]);
    for (const [up, facesKey, clustersKey] of [[0, "faces", "clusters"], [1, "faces_upsample1", "clusters_upsample1"]] as const) {
      const faces = await detectFaces(img, { upsample: up });
      const gf = g[facesKey] as { rect: { left: number; top: number; right: number; bottom: number }; landmarks68: number[][]; descriptor_resnet_q8: number[]; descriptor_densenet?: number[] }[];
      assert.deepEqual(faces.map((f) => [f.left, f.top, f.right, f.bottom]), gf.map((f) => [f.rect.left, f.rect.top, f.rect.right, f.rect.bottom]), `upsample ${up} rects`);
      if (faces.length === 0) continue;
      const shapes = faceLandmarks(img, faces, predictor);
      shapes.forEach((s, i) => assert.deepEqual(s.parts.map((p) => [p.x, p.y]), gf[i].landmarks68, `landmarks of face ${i}`));
      const chips = faceChips(img, shapes);
      // chip pixels equal dlib's
      for (let i = 0; i < chips.length; i++) {
        const want = await readPngRgb(fixture("golden", "chips", `${base}${up ? "_u1" : ""}_${i}.png`));
        let diff = 0;
        for (let j = 0; j < want.data.length; j++) if (want.data[j] !== chips[i].data[j]) diff++;
        assert.equal(diff, 0, `chip ${i} differs in ${diff} values`);
      }
      const descs = await faceDescriptors(net, chips);
      let worst = 0;
      descs.forEach((d, i) => (worst = Math.max(worst, maxAbs(d, gf[i].descriptor_resnet_q8))));
      assert.ok(worst <= 1e-4, `q8 descriptors max |Δ| ${worst}`);
      if (up === 0) {
        const dd = await faceDescriptors(dn, chips);
        let wd = 0;
        dd.forEach((d, i) => (wd = Math.max(wd, maxAbs(d, gf[i].descriptor_densenet!))));
        assert.ok(wd <= 1e-4, `densenet descriptors max |Δ| ${wd}`);
        t.diagnostic(`upsample 0: ${faces.length} faces, q8 max |Δ| ${worst.toExponential(2)}, densenet ${wd.toExponential(2)}`);
      } else t.diagnostic(`upsample 1: ${faces.length} faces, q8 max |Δ| ${worst.toExponential(2)}`);
      const cl = clusterFaces(descs);
      assert.deepEqual(cl.labels, g[clustersKey].labels, `${clustersKey} labels`);
      assert.equal(cl.numClusters, g[clustersKey].num_clusters);
    }
  });
}

test("jittered descriptors equal dlib's (Python model object and the example's thread_local generator)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const j = readJson(fixture("golden", "random", "jitter.json"));
  const net = await getQ8();
  const chips: Record<string, Awaited<ReturnType<typeof readPngRgb>>> = {};
  for (const c of ["bald_guys_0", "JapaneseBaldActor_2"]) chips[c] = await readPngRgb(fixture("golden", "chips", `${c}.png`));
  for (const key of ["python_one_model_object", "example_thread_local"] as const) {
    const rng = new DlibRand();
    for (const call of j.descriptors[key].calls as { chip: string; num_jitters: number; batch_size: number; words_drawn_before_this_call: number; descriptor: number[] }[]) {
      assert.equal(rng.wordsDrawn, call.words_drawn_before_this_call, `${key} call ${call.chip}: generator position`);
      const [d] = await faceDescriptors(net, [chips[call.chip]], { numJitters: call.num_jitters, rng, batchSize: call.batch_size });
      const m = maxAbs(d, call.descriptor);
      assert.ok(m <= 1e-4, `${key} ${call.chip} N=${call.num_jitters}: max |Δ| ${m}`);
      t.diagnostic(`${key} ${call.chip} N=${call.num_jitters}: max |Δ| ${m.toExponential(2)}`);
    }
  }
  // a fresh generator per call = Python's first call on a new model object
  const fresh = j.descriptors.fresh_rand_per_face.results.find((r: { chip: string; num_jitters: number }) => r.chip === "JapaneseBaldActor_2" && r.num_jitters === 10);
  const [d] = await faceDescriptors(net, [chips.JapaneseBaldActor_2], { numJitters: 10 });
  assert.ok(maxAbs(d, fresh.descriptor) <= 1e-4);
});
