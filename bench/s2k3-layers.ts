// The face ResNet's 3x3 stride-2 layers in isolation: im2col + gemm (con_affine_forward) vs wino42s2_con (F(4x4,2x2)) and
// wino32s2_con (F(3x3,2x2)), CPU time (best / median of 15 batches of 200 calls). S2K3_CASES='[[k, n, nf], ...]' for other layers.
import { createKernels } from "../src/nn/wasm.ts";
import { conScratchFloats } from "../src/nn/kernels.ts";

const k = await createKernels();
const f = (n: string) => k.fn<(...a: number[]) => number>(n);
console.log("build", k.build);
function rnd(p: number, len: number) {
  const a = new Float32Array(k.arena.memory.buffer, p, len);
  for (let i = 0; i < len; i++) a[i] = Math.random() * 2 - 1;
}
function cpu(fn: () => void, reps: number, batches: number) {
  const t: number[] = [];
  for (let b = 0; b < batches; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const c = process.cpuUsage(c0);
    t.push((c.user + c.system) / 1000 / reps);
  }
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[t.length >> 1] };
}
const cases: number[][] = process.env.S2K3_CASES ? JSON.parse(process.env.S2K3_CASES) : [[32, 35, 64], [64, 17, 128], [128, 8, 256]];
for (const [kk, n, nf] of cases) {
  const on = ((n - 3) >> 1) + 1;
  const x = k.arena.allocF32(kk * n * n), w = k.arena.allocF32(nf * kk * 9);
  const bias = k.arena.allocF32(nf), g = k.arena.allocF32(nf), be = k.arena.allocF32(nf);
  const o1 = k.arena.allocF32(nf * on * on), o2 = k.arena.allocF32(nf * on * on);
  for (const [p, l] of [[x, kk * n * n], [w, nf * kk * 9], [bias, nf], [g, nf], [be, nf]]) rnd(p, l);
  const geom = { input: { n: 1, k: kk, nr: n, nc: n }, fnr: 3, fnc: 3, strideY: 2, strideX: 2, padY: 0, padX: 0 };
  const sc1 = k.arena.allocF32(conScratchFloats(k, geom));
  const U = k.arena.allocF32(f("wino42s2_weights_floats")(nf, kk));
  const sc2 = k.arena.allocF32(f("wino42s2_scratch_floats")(1, kk, n, n, nf));
  f("wino42s2_weights")(w, nf, kk, U);
  const U3 = k.arena.allocF32(f("wino32s2_weights_floats")(nf, kk));
  const sc3 = k.arena.allocF32(f("wino32s2_scratch_floats")(1, kk, n, n, nf));
  const o3 = k.arena.allocF32(nf * on * on);
  f("wino32s2_weights")(w, nf, kk, U3);
  const c3 = () => f("wino32s2_con")(x, 1, kk, n, n, U3, nf, 0, g, be, 1, o3, sc3);
  const con = f("con_affine_forward"), wc = f("wino42s2_con");
  const a = () => con(x, 1, kk, n, n, w, nf, 3, 3, 2, 2, 0, 0, 0, g, be, 1, o1, sc1);
  const b = () => wc(x, 1, kk, n, n, U, nf, 0, g, be, 1, o2, sc2);
  for (let i = 0; i < 300; i++) { a(); b(); c3(); }
  const A = new Float32Array(k.arena.memory.buffer, o1, nf * on * on), B = new Float32Array(k.arena.memory.buffer, o2, nf * on * on);
  let md = 0, mx = 0;
  for (let i = 0; i < A.length; i++) { md = Math.max(md, Math.abs(A[i] - B[i])); mx = Math.max(mx, Math.abs(A[i])); }
  const ra = cpu(a, 200, 15), rb = cpu(b, 200, 15);
  const ra2 = cpu(a, 200, 15), r3 = cpu(c3, 200, 15);
  console.log(`${kk}->${nf} ${n}x${n}->${on}x${on}: im2col best ${Math.min(ra.best, ra2.best).toFixed(4)} med ${ra.median.toFixed(4)} ms | wino42s2 best ${rb.best.toFixed(4)} med ${rb.median.toFixed(4)} ms | wino32s2 best ${r3.best.toFixed(4)} med ${r3.median.toFixed(4)} ms | max|d| ${md.toExponential(2)} (max ${mx.toFixed(2)})`);
}
