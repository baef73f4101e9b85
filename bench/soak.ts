/**
 * Soak and concurrency: many face descriptors in one process (RSS and wasm memory must stay flat after
 * warm-up, every repeated input must give the same bits), the same through the worker pool under concurrent
 * requests, and the Cloudflare Workers example (examples/cloudflare-worker) in workerd (miniflare) under
 * concurrent POSTs — every answer bit-identical to the sequential one.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--descriptors 10000] [--concurrency 32] [--pool-rounds descriptors/32]
 *        [--worker-rounds 40] [--pool-size 2]
 *
 * Prints one JSON summary. test/soak.test.ts runs the same functions with small counts.
 */
import { readFileSync, readdirSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";
import { decode } from "fast-png";
import type { RgbImage } from "../src/image/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "..");
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(ROOT, "..", "shared", "fixtures"));
export const fx = (...p: string[]) => join(fixtures, ...p);

/** `n` different 150x150 face chips: dlib's chip of HiranoShow.png with deterministic per-chip changes. */
export function chips(n: number): RgbImage[] {
  const golden = JSON.parse(readFileSync(fx("golden", "HiranoShow.json"), "utf8"));
  const png = decode(readFileSync(fx("golden", golden.faces[0].chip150.png)));
  const base = new Uint8Array(150 * 150 * 3);
  const src = png.data as Uint8Array;
  for (let i = 0, o = 0; i < 150 * 150; i++, o += 3) for (let c = 0; c < 3; c++) base[o + c] = src[i * png.channels + Math.min(c, png.channels - 1)];
  return Array.from({ length: n }, (_, k) => {
    const d = base.slice();
    if (k > 0) for (let i = 0; i < d.length; i++) d[i] = Math.max(0, Math.min(255, d[i] + (((i * 31 + k * 17) % 23) - 11) * ((k % 5) + 1) / 4)) | 0;
    return { width: 150, height: 150, data: d };
  });
}

/** The decompressed q8 ResNet (same architecture as dlib_face_recognition_resnet_model_v1). */
export async function resnetBytes(): Promise<Uint8Array> {
  return (await readSource(fx("models", "resnet_v1_faceapi_q8_affine.dat.bz2"))).bytes;
}

export const RESNET = "dlib_face_recognition_resnet_model_v1";
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
const MiB = (b: number) => +(b / 2 ** 20).toFixed(2);

export interface SoakResult {
  descriptors: number; warmup: number; ms: number; msPerDescriptor: number;
  rssMiB: { afterWarmup: number; end: number; growth: number; max: number };
  wasmMiB: { afterWarmup: number; end: number; growth: number };
  arenaLiveMiB: { afterWarmup: number; end: number };
  heapMiB: { afterWarmup: number; end: number };
  mismatches: number;
  samples: { i: number; rssMiB: number; wasmMiB: number; heapMiB: number }[];
}

/**
 * `total` descriptors, one at a time (batch of 1), cycling over `inputs`; memory is sampled every
 * `sampleEvery`; the first pass over the inputs is the reference every later repeat must equal bit for bit.
 */
export async function soakDescriptors(net: Network, inputs: RgbImage[], total: number, warmup: number, sampleEvery = 100): Promise<SoakResult> {
  const ref: string[] = [];
  let mismatches = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = (i: number) => {
    gc?.();
    const m = process.memoryUsage();
    return { i, rssMiB: MiB(m.rss), wasmMiB: MiB(net.kernels.arena.memory.buffer.byteLength), heapMiB: MiB(m.heapUsed), live: net.kernels.arena.liveBytes };
  };
  const samples: ReturnType<typeof sample>[] = [];
  let w: ReturnType<typeof sample> | null = null;
  let t0 = 0;
  for (let i = 0; i < total; i++) {
    if (i === warmup) { w = sample(i); samples.push(w); t0 = performance.now(); }
    const k = i % inputs.length;
    const [d] = await net.descriptors([inputs[k]]);
    const h = bits(d);
    if (ref[k] === undefined) ref[k] = h;
    else if (ref[k] !== h) mismatches++;
    if (i > warmup && (i - warmup) % sampleEvery === 0) samples.push(sample(i));
  }
  const ms = performance.now() - t0;
  const e = sample(total);
  samples.push(e);
  w ??= samples[0];
  const after = samples.filter((s) => s.i >= warmup);
  return {
    descriptors: total, warmup, ms: Math.round(ms), msPerDescriptor: +(ms / Math.max(1, total - warmup)).toFixed(2),
    rssMiB: { afterWarmup: w.rssMiB, end: e.rssMiB, growth: +(e.rssMiB - w.rssMiB).toFixed(2), max: Math.max(...after.map((s) => s.rssMiB)) },
    wasmMiB: { afterWarmup: w.wasmMiB, end: e.wasmMiB, growth: +(e.wasmMiB - w.wasmMiB).toFixed(2) },
    arenaLiveMiB: { afterWarmup: MiB(w.live), end: MiB(e.live) },
    heapMiB: { afterWarmup: w.heapMiB, end: e.heapMiB },
    mismatches,
    samples: samples.map(({ i, rssMiB, wasmMiB, heapMiB }) => ({ i, rssMiB, wasmMiB, heapMiB })),
  };
}

/** Sequential reference: each input alone (batch of 1) on the calling thread, as bit strings. */
export async function sequential(net: Network, inputs: RgbImage[]): Promise<string[]> {
  const out: string[] = [];
  for (const im of inputs) out.push(bits((await net.descriptors([im]))[0]));
  return out;
}

export interface ConcurrencyResult { requests: number; concurrency: number; rounds: number; mismatches: number; errors: string[]; ms: number }

/**
 * `rounds` waves of `concurrency` simultaneous one-image `pool.forward` calls (inputs cycling); each answer
 * must equal `ref` (the calling thread's, batch of 1) bit for bit.
 */
export async function poolConcurrency(modelBytes: Uint8Array, inputs: RgbImage[], ref: string[], opts: { size: number; concurrency: number; rounds: number }): Promise<ConcurrencyResult & { rssMiB: number[] }> {
  const { DescriptorPool } = await import("../src/nn/pool.ts");
  const pool = await DescriptorPool.create(modelBytes, { size: opts.size, type: RESNET, name: "resnet_q8_affine.dat" });
  let mismatches = 0;
  const errors: string[] = [];
  const rss: number[] = [];
  const t0 = performance.now();
  try {
    for (let r = 0; r < opts.rounds; r++) {
      await Promise.all(Array.from({ length: opts.concurrency }, async (_, j) => {
        const k = (r * opts.concurrency + j) % inputs.length;
        try {
          const [d] = await pool.forward([inputs[k]]);
          if (bits(d) !== ref[k]) mismatches++;
        } catch (e) {
          errors.push(String((e as Error).message ?? e));
        }
      }));
      rss.push(MiB(process.memoryUsage().rss));
    }
  } finally {
    await pool.close();
  }
  return { requests: opts.rounds * opts.concurrency, concurrency: opts.concurrency, rounds: opts.rounds, mismatches, errors: errors.slice(0, 5), ms: Math.round(performance.now() - t0), rssMiB: rss };
}

/**
 * examples/cloudflare-worker/src/worker.js bundled against this checkout's dist/ (workerd entry), run in
 * workerd through miniflare with the models in an R2 bucket; `rounds` waves of `concurrency` simultaneous
 * POSTs of the given images. Every answer must equal (as JSON) the sequential answer for the same image.
 */
/** RSS (MiB) of the workerd processes under this process (Linux /proc), or null. */
function workerdRss(): number | null {
  try {
    const { readdirSync: ls, readFileSync: rd } = require_fs();
    let kb = 0, found = false;
    const kids = new Set<number>([process.pid]);
    for (let pass = 0; pass < 3; pass++) {
      for (const d of ls("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        let stat: string;
        try { stat = rd(`/proc/${d}/stat`, "utf8"); } catch { continue; }
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (kids.has(ppid)) kids.add(Number(d));
      }
    }
    for (const pid of kids) {
      if (pid === process.pid) continue;
      try {
        const st = rd(`/proc/${pid}/status`, "utf8");
        if (!/^Name:\s*workerd/m.test(st)) continue;
        const m = /VmRSS:\s*(\d+)/.exec(st);
        if (m) { kb += Number(m[1]); found = true; }
      } catch { /* gone */ }
    }
    return found ? +(kb / 1024).toFixed(1) : null;
  } catch {
    return null;
  }
}
const require_fs = () => ({ readdirSync, readFileSync });

export async function workerConcurrency(images: string[], modelBytes: Uint8Array, opts: { concurrency: number; rounds: number }): Promise<ConcurrencyResult & { faces: number[]; workerdRssMiB: number[] }> {
  const { Miniflare } = await import("miniflare");
  const esbuild = await import("esbuild");
  const tmp = mkdtempSync(join(tmpdir(), "dlib-face-soak-worker-"));
  try {
    mkdirSync(join(tmp, "entry"), { recursive: true });
    await esbuild.build({
      entryPoints: [join(ROOT, "examples/cloudflare-worker/src/worker.js")], outfile: join(tmp, "entry/worker.js"),
      bundle: true, format: "esm", logLevel: "error", platform: "neutral", mainFields: ["module", "main"],
      alias: { "dlib-face-wasm": join(ROOT, "dist/entry/workerd.js") }, external: ["*.wasm", "node:*"],
    });
    const mf = new Miniflare({
      compatibilityDate: "2026-04-01", cf: false, r2Buckets: ["MODELS"],
      bindings: { DETECTOR_KEY: "frontal_face_detector.dat", LANDMARKS_KEY: "sp5.dat", DESCRIPTOR_KEY: "resnet.dat" },
      modules: [
        { type: "ESModule", path: "entry/worker.js", contents: readFileSync(join(tmp, "entry/worker.js"), "utf8") },
        { type: "CompiledWasm", path: "kernels.wasm", contents: readFileSync(join(ROOT, "dist/kernels.wasm")) },
      ],
    });
    try {
      await mf.ready;
      const bucket = await mf.getR2Bucket("MODELS");
      await bucket.put("frontal_face_detector.dat", new Uint8Array(readFileSync(fx("models", "frontal_face_detector.dat"))));
      await bucket.put("sp5.dat", new Uint8Array(readFileSync(fx("models", "shape_predictor_5_toy.dat"))));
      await bucket.put("resnet.dat", modelBytes);
      const bodies = images.map((p) => new Uint8Array(readFileSync(p)));
      const post = async (b: Uint8Array) => {
        const res = await mf.dispatchFetch("http://localhost/", { method: "POST", body: b });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
        return text;
      };
      const ref: string[] = [];
      for (const b of bodies) ref.push(await post(b));
      const faces = ref.map((r) => JSON.parse(r).faces.length as number);
      let mismatches = 0;
      const errors: string[] = [];
      const workerdRssMiB: number[] = [];
      const t0 = performance.now();
      for (let r = 0; r < opts.rounds; r++) {
        await Promise.all(Array.from({ length: opts.concurrency }, async (_, j) => {
          const k = (r + j) % bodies.length;
          try {
            if ((await post(bodies[k])) !== ref[k]) mismatches++;
          } catch (e) {
            errors.push((e as Error).message);
          }
        }));
        const rss = workerdRss();
        if (rss !== null) workerdRssMiB.push(rss);
      }
      return { requests: opts.rounds * opts.concurrency, concurrency: opts.concurrency, rounds: opts.rounds, mismatches, errors: errors.slice(0, 5), ms: Math.round(performance.now() - t0), faces, workerdRssMiB };
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const arg = (n: string, d: number) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : d; };
  const total = arg("--descriptors", 10000), conc = arg("--concurrency", 32), poolRounds = arg("--pool-rounds", Math.ceil(total / conc)), workerRounds = arg("--worker-rounds", 40), poolSize = arg("--pool-size", 2);
  const bytes = await resnetBytes();
  const net = await loadNetwork(bytes, { type: RESNET, name: "resnet_q8_affine.dat" });
  const inputs = chips(16);
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, gc: typeof (globalThis as { gc?: unknown }).gc === "function" };
  const soak = await soakDescriptors(net, inputs, total, Math.min(500, total >> 2), Math.max(100, total / 50));
  out.inProcess = soak;
  console.error(`in-process: ${total} descriptors, RSS growth ${soak.rssMiB.growth} MiB, wasm growth ${soak.wasmMiB.growth} MiB, mismatches ${soak.mismatches}`);
  // determinism across runs: a second network instance (own kernels) gives the same bits
  const net2 = await loadNetwork(bytes, { type: RESNET, maxMemoryBytes: 1 << 30 });
  const refA = await sequential(net, inputs), refB = await sequential(net2, inputs);
  out.determinism = { inputs: inputs.length, identicalAcrossInstances: refA.every((h, i) => h === refB[i]), digest: refA.map((h) => h.slice(0, 16)).join(",").slice(0, 120) };
  net2.dispose();
  if (poolRounds > 0) {
    out.pool = await poolConcurrency(bytes, inputs, refA, { size: poolSize, concurrency: conc, rounds: poolRounds });
    console.error(`pool: ${JSON.stringify(out.pool).slice(0, 200)}`);
  }
  if (workerRounds > 0) {
    out.worker = await workerConcurrency([fx("images", "HiranoShow.png"), fx("images", "2009_004587.jpg")], bytes, { concurrency: conc, rounds: workerRounds });
    console.error(`worker: ${JSON.stringify(out.worker).slice(0, 200)}`);
  }
  out.rssEndMiB = MiB(process.memoryUsage().rss);
  const thin = (a: unknown[]) => a.filter((_, i) => i % Math.ceil(a.length / 12) === 0 || i === a.length - 1);
  console.log(JSON.stringify(out, (k, v) => (k === "samples" || k === "rssMiB" && Array.isArray(v) || k === "workerdRssMiB" ? thin(v as unknown[]) : v), 1));
  net.dispose();
}
