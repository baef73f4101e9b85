// Kernel benchmark: GFLOP/s (2 flops per multiply-add) of the con_ fast path (fused affine + relu)
// on the face ResNet's layer shapes, plus the whole descriptor's convolution sequence. Uses the
// shipped dist/kernels.wasm.   npx tsx bench/kernels.bench.ts   (add --quick for a shorter run)
// Two timings: tinybench's wall-clock median, and the best per-call process CPU time over a few
// batches (robust when other processes share the cores; one thread either way).
import { Bench } from "tinybench";
import { createKernels } from "../src/nn/wasm.ts";
import * as K from "../src/nn/kernels.ts";

interface Layer { name: string; k: number; nr: number; nf: number; f: number; s: number; p: number; count: number }

// dlib_face_recognition_resnet_model_v1 convolutions (input 150x150x3), with how often each occurs.
const layers: Layer[] = [
  { name: "7x7/2 3->32 @150", k: 3, nr: 150, nf: 32, f: 7, s: 2, p: 0, count: 1 },
  { name: "3x3 32->32 @35", k: 32, nr: 35, nf: 32, f: 3, s: 1, p: 1, count: 6 },
  { name: "3x3/2 32->64 @35", k: 32, nr: 35, nf: 64, f: 3, s: 2, p: 0, count: 1 },
  { name: "3x3 64->64 @17", k: 64, nr: 17, nf: 64, f: 3, s: 1, p: 1, count: 7 },
  { name: "3x3/2 64->128 @17", k: 64, nr: 17, nf: 128, f: 3, s: 2, p: 0, count: 1 },
  { name: "3x3 128->128 @8", k: 128, nr: 8, nf: 128, f: 3, s: 1, p: 1, count: 5 },
  { name: "3x3/2 128->256 @8", k: 128, nr: 8, nf: 256, f: 3, s: 2, p: 0, count: 1 },
  { name: "3x3 256->256 @3", k: 256, nr: 3, nf: 256, f: 3, s: 1, p: 1, count: 1 },
  { name: "3x3 256->256 @4", k: 256, nr: 4, nf: 256, f: 3, s: 1, p: 1, count: 4 },
  { name: "3x3/2 256->256 @4", k: 256, nr: 4, nf: 256, f: 3, s: 2, p: 0, count: 1 },
  { name: "3x3 256->256 @1", k: 256, nr: 1, nf: 256, f: 3, s: 1, p: 1, count: 1 },
];

const quick = process.argv.includes("--quick");
const kern = await createKernels();
const a = kern.arena;

function fill(p: number, n: number, seed: number): void {
  const v = a.f32(p, n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; v[i] = (s / 4294967296) - 0.5; }
}

interface Prepared { layer: Layer; args: K.ConArgs; macs: number }
const prepared: Prepared[] = layers.map((l, i) => {
  const input = { n: 1, k: l.k, nr: l.nr, nc: l.nr };
  const args: K.ConArgs = {
    x: a.allocF32(l.k * l.nr * l.nr), input, filters: a.allocF32(l.nf * l.k * l.f * l.f), numFilters: l.nf,
    fnr: l.f, fnc: l.f, strideY: l.s, strideX: l.s, padY: l.p, padX: l.p,
    gamma: a.allocF32(l.nf), beta: a.allocF32(l.nf), relu: true, out: 0,
  };
  fill(args.x, l.k * l.nr * l.nr, i + 1);
  fill(args.filters, l.nf * l.k * l.f * l.f, i + 100);
  fill(args.gamma!, l.nf, 7); fill(args.beta!, l.nf, 8);
  const os = K.conOutShape(args);
  args.out = a.allocF32(K.shapeSize(os));
  const sf = K.conScratchFloats(kern, args);
  args.scratch = sf ? a.allocF32(sf) : 0;
  return { layer: l, args, macs: K.shapeSize(os) * l.k * l.f * l.f };
});

const bench = new Bench({ time: quick ? 150 : 600, warmup: true });
const fns = new Map<string, () => void>();
for (const p of prepared) fns.set(p.layer.name, () => K.conForward(kern, p.args));
const totalMacs = prepared.reduce((s, p) => s + p.macs * p.layer.count, 0);
fns.set("all convs of the face ResNet", () => {
  for (const p of prepared) for (let c = 0; c < p.layer.count; c++) K.conForward(kern, p.args);
});
for (const [name, fn] of fns) bench.add(name, fn);
await bench.run();

/** Best per-call CPU milliseconds over 5 batches of calls lasting about `budgetMs` each. */
function cpuMs(fn: () => void, budgetMs: number): number {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < 20) { fn(); calls++; }
  const per = Math.max(1, Math.round((calls * budgetMs) / 20 / 5));
  let best = Infinity;
  for (let b = 0; b < 5; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < per; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / per);
  }
  return best;
}

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number; p50?: number } };
  const ms = r.latency?.p50 ?? r.latency?.mean ?? NaN;
  const p = prepared.find((q) => q.layer.name === t.name);
  const macs = p ? p.macs : totalMacs;
  const cpu = cpuMs(fns.get(t.name)!, quick ? 100 : 400);
  return {
    task: t.name,
    "MMAC": +(macs / 1e6).toFixed(2),
    "wall ms (median)": +ms.toFixed(3),
    "wall GFLOP/s": +((2 * macs) / (ms * 1e-3) / 1e9).toFixed(1),
    "cpu ms (best)": +cpu.toFixed(3),
    "cpu GFLOP/s": +((2 * macs) / (cpu * 1e-3) / 1e9).toFixed(1),
    "x count": p ? p.layer.count : 1,
  };
});
console.table(rows);
console.log(`face ResNet convolutions: ${(totalMacs / 1e6).toFixed(1)} M multiply-adds`);
