/**
 * Worker-pool benchmark (issue 5): 64 face descriptors (q8 ResNet, 150×150 golden chips) on the calling
 * thread vs a DescriptorPool of 2 workers (worker_threads).
 *   npx tsx bench/pool.bench.ts [--rounds N] [--json]
 * How it measures: the model is decompressed once; the one-thread side is `Network.forwardSync` in batches
 * of 16 on the main thread; the pool side is `pool.forward(64 chips)` (tasks of 16 images, idle workers take
 * the next; the same batches as the one-thread side, so the outputs must be bit-identical). Pool start-up (2 workers loading weights) is timed separately, not in the speed-up. Rounds
 * alternate 1-thread / pool; wall time is `performance.now()`, process CPU time is `process.cpuUsage()`
 * (user+system of every thread of the process). `pool2_speedup` = median 1-thread wall / median pool wall;
 * `pool2_speedup_best` uses the best round of each. The pool outputs are checked bit-identical to the
 * one-thread outputs. The load average is reported because the 2 cores may be shared with other work.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { loadavg, availableParallelism } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNetwork } from "../src/nn/network.ts";
import { DescriptorPool } from "../src/nn/pool.ts";
import { readSource } from "../src/dlib/source.ts";
import { decodeImage } from "../src/image/decode.ts";
import type { RgbImage } from "../src/image/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

/** How many cores this process gets right now: 2 worker threads spin for `ms`; process CPU / wall. */
async function coresAvailable(ms = 1000): Promise<number> {
  const { Worker } = await import("node:worker_threads");
  const code = `const { parentPort } = require("node:worker_threads"); const t = Date.now(); let x = 0; while (Date.now() - t < ${ms}) x++; parentPort.postMessage(x);`;
  const c0 = process.cpuUsage(), t0 = performance.now();
  await Promise.all([0, 1].map(() => new Promise((r) => { const w = new Worker(code, { eval: true }); w.once("message", () => { void w.terminate(); r(null); }); })));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t0);
}

const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

export interface PoolBenchResult {
  pool2_speedup: number;
  pool2_speedup_best: number;
  one_thread_ms: number[];
  pool2_ms: number[];
  one_thread_cpu_ms: number[];
  pool2_cpu_ms: number[];
  /** median 1-thread process CPU / median pool process CPU: 1.0 means the pool adds no CPU work */
  pool2_cpu_ratio: number;
  /** process CPU / wall during the pool rounds (2.0 = both cores fully ours) */
  pool2_cores_used: number;
  pool2_startup_ms: number;
  descriptors: number;
  bit_identical: boolean;
  loadavg_before: number[];
  loadavg_after: number[];
  /**
   * Concurrency of the pool rounds: sum over tasks of (finish − start) / wall span of all tasks (2.0 = both
   * workers computing the whole time, concurrently), median over rounds
   */
  pool2_concurrency: number;
  /** cores the process got from 2 spinning threads, before and after the rounds (2.0 = machine free) */
  cores_available: number[];
  cores: number;
}

export async function runPoolBench(rounds = 3, n = 64): Promise<PoolBenchResult> {
  const { bytes } = await readSource(join(fixtures, "models", "resnet_v1_faceapi_q8_affine.dat.bz2"));
  const chipDir = join(fixtures, "golden", "chips");
  if (!existsSync(chipDir)) throw new Error(`fixtures not found: ${chipDir}`);
  const names = readdirSync(chipDir).filter((f) => /^[A-Za-z0-9_]+_\d+\.png$/.test(f) && !f.endsWith("_32.png") && !f.includes("center")).sort();
  const chips: RgbImage[] = [];
  for (let i = 0; chips.length < n; i++) chips.push(decodeImage(readFileSync(join(chipDir, names[i % names.length]))));
  for (const c of chips) if (c.width !== 150 || c.height !== 150) throw new Error("chips must be 150x150");

  const net = await loadNetwork(bytes);
  const one = (): Float32Array[] => { const outs: Float32Array[] = []; for (let i = 0; i < n; i += 16) outs.push(...net.forwardSync(chips.slice(i, i + 16)).outputs); return outs; };
  const loadBefore = loadavg();
  const coresBefore = await coresAvailable();
  let t0 = performance.now();
  const pool = await DescriptorPool.create(bytes, { size: 2, taskSize: 16 });
  const startup = performance.now() - t0;
  const ref = one(); // warm-up of the main thread
  let identical = true;
  const cmp = (outs: Float32Array[]) => { for (let i = 0; i < outs.length; i++) for (let j = 0; j < ref[i].length; j++) if (!Object.is(outs[i][j], ref[i][j])) identical = false; };
  // warm-up of both workers, as `ref` warmed the main thread: all the chips twice (4 tasks each time, so every worker
  // takes some; a single task of 16 warmed one worker only, and the other one's first rounds ran its baseline code)
  for (let i = 0; i < 2; i++) cmp(await pool.forward(chips));
  const conc: number[] = [];
  const r = { one_thread_ms: [] as number[], pool2_ms: [] as number[], one_thread_cpu_ms: [] as number[], pool2_cpu_ms: [] as number[] };
  try {
    for (let k = 0; k < rounds; k++) {
      let c0 = process.cpuUsage(); t0 = performance.now();
      one();
      r.one_thread_ms.push(performance.now() - t0);
      let c = process.cpuUsage(c0); r.one_thread_cpu_ms.push((c.user + c.system) / 1000);
      c0 = process.cpuUsage(); t0 = performance.now();
      const outs = await pool.forward(chips);
      r.pool2_ms.push(performance.now() - t0);
      c = process.cpuUsage(c0); r.pool2_cpu_ms.push((c.user + c.system) / 1000);
      cmp(outs);
      const tt = pool.lastTimings();
      const span = Math.max(...tt.map((x) => x.finishedAt)) - Math.min(...tt.map((x) => x.startedAt));
      conc.push(tt.reduce((a, x) => a + (x.finishedAt - x.startedAt), 0) / span);
    }
  } finally {
    await pool.close();
  }
  return {
    pool2_speedup: median(r.one_thread_ms) / median(r.pool2_ms),
    pool2_speedup_best: Math.min(...r.one_thread_ms) / Math.min(...r.pool2_ms),
    pool2_concurrency: median(conc),
    pool2_cpu_ratio: median(r.one_thread_cpu_ms) / median(r.pool2_cpu_ms),
    pool2_cores_used: median(r.pool2_cpu_ms.map((c, i) => c / r.pool2_ms[i])),
    ...r, pool2_startup_ms: startup, descriptors: n, bit_identical: identical,
    loadavg_before: loadBefore, loadavg_after: loadavg(), cores: availableParallelism(),
    cores_available: [coresBefore, await coresAvailable()],
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("pool.bench.ts")) {
  const i = process.argv.indexOf("--rounds");
  const res = await runPoolBench(i > 0 ? Number(process.argv[i + 1]) : 3);
  if (process.argv.includes("--json")) console.log(JSON.stringify(res));
  else {
    const f = (a: number[]) => a.map((x) => x.toFixed(0)).join(", ");
    console.log(`64 descriptors, q8 ResNet, ${res.cores} cores, load average before ${res.loadavg_before.map((x) => x.toFixed(2)).join(" ")}, after ${res.loadavg_after.map((x) => x.toFixed(2)).join(" ")}`);
    console.log(`  1 thread : wall ${f(res.one_thread_ms)} ms; process CPU ${f(res.one_thread_cpu_ms)} ms`);
    console.log(`  pool of 2: wall ${f(res.pool2_ms)} ms; process CPU ${f(res.pool2_cpu_ms)} ms (start-up ${res.pool2_startup_ms.toFixed(0)} ms, not included)`);
    console.log(`  pool2_speedup ${res.pool2_speedup.toFixed(2)}x (median), ${res.pool2_speedup_best.toFixed(2)}x (best rounds); bit-identical: ${res.bit_identical}`);
    console.log(`  cores available to this process (2 spinning threads): before ${res.cores_available[0].toFixed(2)}, after ${res.cores_available[1].toFixed(2)}`);
    console.log(`  concurrency of the 2 workers (busy time / span) ${res.pool2_concurrency.toFixed(2)}`);
    console.log(`  CPU ratio 1-thread/pool ${res.pool2_cpu_ratio.toFixed(2)}; cores actually obtained during pool rounds ${res.pool2_cores_used.toFixed(2)} of 2`);
  }
}
