/**
 * The face pipeline per stage and as a whole, on bald_guys.jpg (1986x1545, 24 faces):
 * decode, HOG upsample 0 and 1, 68-point landmarks per face, chips per face, descriptors, the whole chain
 * (decode → HOG u0 → landmarks → chips → descriptors → clusters) per image. Median wall and best CPU time.
 *   npx tsx bench/pipeline.bench.ts [--quick]
 */
import { readFileSync, existsSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeImage } from "../src/image/decode.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";
import { ShapePredictor } from "../src/face/shape-predictor.ts";
import { detectFaces, faceLandmarks, faceChips, faceDescriptors, clusterFaces } from "../src/face/pipeline.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const quick = process.argv.includes("--quick");
const SP68 = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

async function time(label: string, per: number, fn: () => unknown, reps = quick ? 2 : 5) {
  const wall: number[] = [];
  let cpu = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  const med = wall[wall.length >> 1];
  console.log(`${label.padEnd(44)} median ${(med / per).toFixed(2).padStart(9)} ms   best CPU ${(cpu / per).toFixed(2).padStart(9)} ms${per > 1 ? `  (per item, ${per} items)` : ""}`);
  return { median_ms: med / per, cpu_ms: cpu / per };
}

const bytes = new Uint8Array(readFileSync(join(fixtures, "images", "bald_guys.jpg")));
const img = decodeImage(bytes);
const net = await loadNetwork((await readSource(join(fixtures, "models", "resnet_v1_faceapi_q8_affine.dat.bz2"))).bytes);
if (!existsSync(SP68)) throw new Error(`${SP68} missing (apt-get install libdlib-data)`);
const sp = await ShapePredictor.load(new Uint8Array(readFileSync(SP68)));
await time("decode bald_guys.jpg", 1, () => decodeImage(bytes));
const faces = await detectFaces(img);
await time("HOG upsample 0", 1, () => detectFaces(img));
await time("HOG upsample 1 (incl. pyramid_up)", 1, () => detectFaces(img, { upsample: 1 }), quick ? 1 : 3);
const shapes = faceLandmarks(img, faces, sp);
await time("68-point landmarks", faces.length, () => faceLandmarks(img, faces, sp));
const chips = faceChips(img, shapes);
await time("face chips 150x150", faces.length, () => faceChips(img, shapes));
await time("descriptors (batches of 16)", faces.length, () => faceDescriptors(net, chips));
await time("whole chain per image (24 faces)", 1, async () => {
  const im = decodeImage(bytes);
  const f = await detectFaces(im);
  const s = faceLandmarks(im, f, sp);
  const d = await faceDescriptors(net, faceChips(im, s));
  return clusterFaces(d);
});
