/**
 * Engine benchmark (tinybench): model load, the face ResNet descriptor (1 and a batch of 16), the ResNet-34
 * gender net (1 crop and 16), HOG on bald_guys.jpg. Reports the median wall time and the best per-call process
 * CPU time (robust when other processes share the 2 cores), GFLOP/s, and peak RSS of a fresh process that loads
 * the ResNet and computes one descriptor.
 *   npx tsx bench/engine.bench.ts [--quick] [--json]
 * Writes bench/results/latest.json. Fixtures are found as the tests find them (../shared/fixtures or
 * $DLIB_FACE_FIXTURES).
 */
import { Bench } from "tinybench";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";
import { decodeImage } from "../src/image/decode.ts";
import { detectFacesHog } from "../src/face/hog.ts";
import type { RgbImage } from "../src/image/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const log = (...a: unknown[]) => { if (!asJson) console.log(...a); };

const RESNET_MACS = 270.9e6;
const RESNET34_MACS = 1.256e9;

function cpuBest(fn: () => void, reps: number): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

async function measure(name: string, fn: () => unknown, reps = quick ? 3 : 10) {
  const b = new Bench({ time: quick ? 200 : 1500, warmupTime: quick ? 50 : 200, iterations: reps });
  b.add(name, fn as () => void);
  await b.run();
  const t = b.tasks[0].result as unknown as { latency?: { p50?: number }; median?: number; p50?: number };
  const median = t?.latency?.p50 ?? t?.p50 ?? t?.median ?? NaN;
  const cpu = cpuBest(fn as () => void, Math.max(3, Math.min(reps, 8)));
  return { median_ms: median, cpu_best_ms: cpu };
}

function chip(name: string): RgbImage {
  return decodeImage(new Uint8Array(readFileSync(join(fixtures, "golden", "chips", name))));
}

export async function runEngineBench() {
  const out: Record<string, unknown> = {};
  const resnetBz2 = join(fixtures, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const raw = (await readSource(resnetBz2)).bytes;
  // load: .dat bytes already in memory -> ready network (what dlib's deserialize measures)
  let net: Network | null = null;
  const loadTimes: number[] = [];
  for (let i = 0; i < (quick ? 3 : 8); i++) {
    const t0 = performance.now();
    const n = await loadNetwork(raw, { type: "dlib_face_recognition_resnet_model_v1" });
    loadTimes.push(performance.now() - t0);
    if (net) net.dispose();
    net = n;
  }
  loadTimes.sort((a, b) => a - b);
  out.load_ms = loadTimes[loadTimes.length >> 1];
  log(`load 22 MB ResNet (.dat bytes -> ready): ${(out.load_ms as number).toFixed(1)} ms median`);
  const t0 = performance.now();
  await readSource(resnetBz2);
  out.load_bz2_decompress_ms = performance.now() - t0;
  log(`decompress the .bz2 (22 MB out): ${(out.load_bz2_decompress_ms as number).toFixed(0)} ms`);

  const c = chip("bald_guys_0.png");
  const one = await measure("descriptor x1", () => net!.forwardSync([c]));
  out.descriptor_ms = one.median_ms;
  out.descriptor_cpu_ms = one.cpu_best_ms;
  out.descriptor_gflops = (2 * RESNET_MACS) / (one.cpu_best_ms * 1e6);
  log(`descriptor, 1 chip: median ${one.median_ms.toFixed(2)} ms, best CPU ${one.cpu_best_ms.toFixed(2)} ms, ${(out.descriptor_gflops as number).toFixed(1)} GFLOP/s`);
  const batch = Array.from({ length: 16 }, () => c);
  const b16 = await measure("descriptor x16", () => net!.forwardSync(batch), quick ? 2 : 5);
  out.descriptor_batch16_ms_per_face = b16.median_ms / 16;
  out.descriptor_batch16_cpu_ms_per_face = b16.cpu_best_ms / 16;
  log(`descriptor, batch of 16: median ${(b16.median_ms / 16).toFixed(2)} ms/face, best CPU ${(b16.cpu_best_ms / 16).toFixed(2)} ms/face`);
  net!.dispose();

  const g34 = join(fixtures, "models", "gender_resnet34_random.dnn.bz2");
  if (existsSync(g34)) {
    const b = (await readSource(g34)).bytes;
    const t1 = performance.now();
    const gnet = await loadNetwork(b, { type: "taguchi_gender_resnet34" });
    out.load_resnet34_ms = performance.now() - t1;
    const g1 = await measure("resnet34 x1", () => gnet.forwardSync([c]), quick ? 2 : 5);
    const crops = Array.from({ length: 16 }, () => c);
    const g16 = await measure("resnet34 x16", () => gnet.forwardSync(crops), quick ? 1 : 3);
    out.resnet34_crop_ms = g1.median_ms;
    out.gender16_ms = g16.median_ms;
    out.gender16_cpu_ms = g16.cpu_best_ms;
    out.resnet34_gflops = (2 * RESNET34_MACS * 16) / (g16.cpu_best_ms * 1e6);
    log(`ResNet-34 (load ${(out.load_resnet34_ms as number).toFixed(0)} ms): 1 crop ${g1.median_ms.toFixed(1)} ms, 16 crops ${g16.median_ms.toFixed(0)} ms (best CPU ${g16.cpu_best_ms.toFixed(0)} ms, ${(out.resnet34_gflops as number).toFixed(1)} GFLOP/s)`);
    gnet.dispose();
  }

  const bald = decodeImage(new Uint8Array(readFileSync(join(fixtures, "images", "bald_guys.jpg"))));
  const hog = await measure("hog", () => detectFacesHog(bald), quick ? 2 : 5);
  out.hog_ms = hog.median_ms;
  out.hog_cpu_ms = hog.cpu_best_ms;
  log(`HOG bald_guys.jpg upsample 0: median ${hog.median_ms.toFixed(0)} ms, best CPU ${hog.cpu_best_ms.toFixed(0)} ms`);

  // peak RSS of a fresh process: load the ResNet (.dat) + one descriptor
  const tmp = join(here, "results", "resnet.dat");
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(tmp, raw);
  const child = spawnSync(process.execPath, ["--import", "tsx", join(here, "rss-probe.ts"), tmp, join(fixtures, "golden", "chips", "bald_guys_0.png")], { encoding: "utf8" });
  try {
    const j = JSON.parse(child.stdout.trim().split("\n").pop()!);
    out.rss_mb = j.rss_mb;
    out.first_descriptor_ms = j.first_descriptor_ms;
    log(`fresh process: peak RSS ${j.rss_mb.toFixed(0)} MB after load + one descriptor; start -> first descriptor ${j.first_descriptor_ms.toFixed(0)} ms (incl. tsx)`);
  } catch {
    log(`rss probe failed: ${child.stderr}`);
  }
  out.pool2_speedup = null; // worker pool: not built yet
  return out;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await runEngineBench();
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "latest.json"), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
  if (asJson) console.log(JSON.stringify(r));
}
