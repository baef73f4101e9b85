// Checks the SHIPPED dist/kernels.wasm (npm run build:wasm) against plain JavaScript references
// written from dlib 19.24's cpu code (dlib/cuda/cpu_dlib.cpp). Dot products (con_, fc_) are compared
// relative to the sum of |terms| (the natural scale of a float32 dot product's rounding error);
// everything else element-wise relative to max(|expected|, 1e-30). Limit: 1e-5 (or exact where the
// kernel does the same f32 operations as dlib).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createKernels, type Kernels } from "../src/nn/wasm.ts";
import * as K from "../src/nn/kernels.ts";

const f32 = Math.fround;

/** xorshift-based uniform floats in [lo, hi), deterministic. */
function rng(seed: number): (lo?: number, hi?: number) => number {
  let s = seed >>> 0 || 1;
  return (lo = -1, hi = 1) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return lo + (hi - lo) * (s / 4294967296);
  };
}

function randArray(n: number, r: ReturnType<typeof rng>, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r(lo, hi);
  return a;
}

/** Put an array into kernel memory, return its pointer. */
function put(k: Kernels, a: Float32Array): number {
  const p = k.arena.allocF32(Math.max(a.length, 1));
  k.arena.f32(p, a.length).set(a);
  return p;
}

function get(k: Kernels, p: number, n: number): Float32Array {
  return k.arena.f32(p, n).slice();
}

/** max over i of |got - want| / scale[i]. */
function maxRelErr(got: Float32Array, want: ArrayLike<number>, scale?: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const s = scale ? Math.max(scale[i], 1e-30) : Math.max(Math.abs(want[i]), 1e-30);
    const e = Math.abs(got[i] - want[i]) / s;
    if (!(e <= m)) m = e; // NaN propagates as failure
  }
  return m;
}

interface ConCase {
  n: number; k: number; nr: number; nc: number;
  nf: number; fnr: number; fnc: number; sy: number; sx: number; py: number; px: number;
  bias?: boolean; affine?: boolean; relu?: boolean;
}

/** JS reference con_ (+bias, affine, relu): double sums; returns value and sum|terms| scale. */
function conRef(c: ConCase, x: Float32Array, w: Float32Array, b: Float32Array | null, g: Float32Array | null, be: Float32Array | null) {
  const onr = Math.floor((c.nr + 2 * c.py - c.fnr) / c.sy) + 1;
  const onc = Math.floor((c.nc + 2 * c.px - c.fnc) / c.sx) + 1;
  const out = new Float64Array(c.n * c.nf * onr * onc);
  const scale = new Float64Array(out.length);
  let o = 0;
  for (let s = 0; s < c.n; s++) for (let f = 0; f < c.nf; f++) for (let r = 0; r < onr; r++) for (let cc = 0; cc < onc; cc++) {
    let acc = 0, abs = 0;
    for (let ch = 0; ch < c.k; ch++) for (let y = 0; y < c.fnr; y++) for (let xx = 0; xx < c.fnc; xx++) {
      const iy = r * c.sy - c.py + y, ix = cc * c.sx - c.px + xx;
      if (iy < 0 || iy >= c.nr || ix < 0 || ix >= c.nc) continue;
      const t = w[((f * c.k + ch) * c.fnr + y) * c.fnc + xx] * x[((s * c.k + ch) * c.nr + iy) * c.nc + ix];
      acc += t; abs += Math.abs(t);
    }
    let v = acc, sc = abs;
    if (b) { v += b[f]; sc += Math.abs(b[f]); }
    if (g && be) { v = g[f] * v + be[f]; sc = Math.abs(g[f]) * sc + Math.abs(be[f]); }
    if (c.relu) v = v >= 0 ? v : 0;
    out[o] = v; scale[o] = sc; o++;
  }
  return { out, scale, shape: { n: c.n, k: c.nf, nr: onr, nc: onc } };
}

function runCon(k: Kernels, c: ConCase, seed: number, ref = false) {
  const r = rng(seed);
  const x = randArray(c.n * c.k * c.nr * c.nc, r);
  const w = randArray(c.nf * c.k * c.fnr * c.fnc, r);
  const b = c.bias ? randArray(c.nf, r) : null;
  const g = c.affine ? randArray(c.nf, r, 0.5, 2) : null;
  const be = c.affine ? randArray(c.nf, r) : null;
  const want = conRef(c, x, w, b, g, be);
  const args: K.ConArgs = {
    x: put(k, x), input: { n: c.n, k: c.k, nr: c.nr, nc: c.nc }, filters: put(k, w), numFilters: c.nf,
    fnr: c.fnr, fnc: c.fnc, strideY: c.sy, strideX: c.sx, padY: c.py, padX: c.px,
    bias: b ? put(k, b) : 0, gamma: g ? put(k, g) : 0, beta: be ? put(k, be) : 0, relu: c.relu, out: 0,
  };
  const os = K.conOutShape(args);
  assert.deepEqual(os, want.shape);
  args.out = k.arena.allocF32(K.shapeSize(os));
  const sf = K.conScratchFloats(k, args);
  assert.equal(sf, k.fn<(...a: number[]) => number>("con_scratch_floats")(c.k, c.nr, c.nc, c.fnr, c.fnc, c.sy, c.sx, c.py, c.px));
  args.scratch = sf ? k.arena.allocF32(sf) : 0;
  if (args.scratch) k.arena.f32(args.scratch, sf).fill(NaN); // the kernel must not read stale scratch
  K.conForward(k, args, { ref });
  return maxRelErr(get(k, args.out, K.shapeSize(os)), want.out, want.scale);
}

const conCases: ConCase[] = [
  { n: 1, k: 3, nr: 150, nc: 150, nf: 32, fnr: 7, fnc: 7, sy: 2, sx: 2, py: 0, px: 0, bias: true, affine: true, relu: true },
  { n: 2, k: 3, nr: 5, nc: 7, nf: 5, fnr: 3, fnc: 3, sy: 1, sx: 1, py: 1, px: 1, bias: true },
  { n: 1, k: 5, nr: 9, nc: 11, nf: 6, fnr: 7, fnc: 7, sy: 2, sx: 2, py: 3, px: 2, affine: true, relu: true },
  { n: 2, k: 7, nr: 6, nc: 5, nf: 9, fnr: 1, fnc: 1, sy: 1, sx: 1, py: 0, px: 0, bias: true, relu: true },
  { n: 1, k: 4, nr: 8, nc: 9, nf: 3, fnr: 1, fnc: 1, sy: 2, sx: 2, py: 1, px: 0 },
  { n: 1, k: 2, nr: 13, nc: 10, nf: 11, fnr: 3, fnc: 5, sy: 1, sx: 2, py: 2, px: 2, bias: true, affine: true },
  { n: 1, k: 32, nr: 35, nc: 35, nf: 64, fnr: 3, fnc: 3, sy: 2, sx: 2, py: 0, px: 0, affine: true, relu: true },
  { n: 1, k: 128, nr: 4, nc: 4, nf: 256, fnr: 3, fnc: 3, sy: 1, sx: 1, py: 1, px: 1, affine: true },
  { n: 3, k: 1, nr: 4, nc: 4, nf: 1, fnr: 4, fnc: 4, sy: 1, sx: 1, py: 0, px: 0 },
  { n: 1, k: 256, nr: 4, nc: 4, nf: 256, fnr: 3, fnc: 3, sy: 2, sx: 2, py: 0, px: 0, affine: true, relu: true },
  { n: 1, k: 256, nr: 1, nc: 1, nf: 256, fnr: 3, fnc: 3, sy: 1, sx: 1, py: 1, px: 1, affine: true },
  { n: 1, k: 6, nr: 3, nc: 3, nf: 7, fnr: 3, fnc: 3, sy: 1, sx: 1, py: 1, px: 1, bias: true },
  { n: 2, k: 9, nr: 2, nc: 5, nf: 10, fnr: 3, fnc: 3, sy: 1, sx: 1, py: 1, px: 1, affine: true, relu: true },
  { n: 1, k: 4, nr: 8, nc: 1, nf: 5, fnr: 1, fnc: 1, sy: 1, sx: 1, py: 0, px: 0 },
  { n: 1, k: 45, nr: 72, nc: 18, nf: 1, fnr: 9, fnc: 9, sy: 1, sx: 1, py: 4, px: 4, bias: true }, // mmod's last con
  { n: 1, k: 80, nr: 38, nc: 38, nf: 40, fnr: 1, fnc: 1, sy: 1, sx: 1, py: 0, px: 0, bias: true }, // densenet 1x1
  { n: 2, k: 3, nr: 11, nc: 12, nf: 4, fnr: 2, fnc: 3, sy: 2, sx: 2, py: 1, px: 2, bias: true },
  { n: 1, k: 2, nr: 10, nc: 17, nf: 5, fnr: 3, fnc: 3, sy: 3, sx: 3, py: 2, px: 1 },
];

test("con_ fast path (im2col + SIMD gemm) matches the JS reference on odd shapes", async () => {
  const k = await createKernels();
  for (const [i, c] of conCases.entries()) {
    const e = runCon(k, c, 1000 + i);
    assert.ok(e <= 1e-5, `case ${JSON.stringify(c)}: rel err ${e}`);
    if (process.env.KERNELS_VERBOSE) console.log(JSON.stringify(c), e);
  }
});

test("con_ scalar _ref kernel matches the JS reference", async () => {
  const k = await createKernels();
  for (const [i, c] of conCases.entries()) {
    if (c.k * c.nr * c.nc > 10000) continue;
    const e = runCon(k, c, 2000 + i, true);
    assert.ok(e <= 1e-5, `case ${JSON.stringify(c)}: rel err ${e}`);
    if (process.env.KERNELS_VERBOSE) console.log(JSON.stringify(c), e);
  }
});

test("gemm handles row/column tails and leading dimensions", async () => {
  const k = await createKernels();
  const r = rng(7);
  for (const [M, N, KK] of [[1, 1, 1], [3, 5, 7], [4, 8, 1], [9, 13, 17], [33, 70, 300], [5, 4, 2]]) {
    const lda = KK + 3, ldb = N + 2, ldc = N + 1;
    const A = randArray(M * lda, r), B = randArray(KK * ldb, r), bias = randArray(M, r);
    const want = new Float64Array(M * ldc), scale = new Float64Array(M * ldc).fill(1);
    const pc = k.arena.allocF32(M * ldc);
    k.arena.f32(pc, M * ldc).fill(0);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0, a = 0;
      for (let q = 0; q < KK; q++) { const t = A[m * lda + q] * B[q * ldb + n]; s += t; a += Math.abs(t); }
      want[m * ldc + n] = Math.max(s + bias[m], 0);
      scale[m * ldc + n] = a + Math.abs(bias[m]);
    }
    K.gemm(k, { m: M, n: N, kk: KK, a: put(k, A), lda, b: put(k, B), ldb, c: pc, ldc, bias: put(k, bias), relu: true });
    const e = maxRelErr(get(k, pc, M * ldc), want, scale);
    assert.ok(e <= 1e-5, `gemm ${M}x${N}x${KK}: ${e}`);
  }
});

test("fc_ matches the JS reference (with and without bias)", async () => {
  const k = await createKernels();
  const r = rng(11);
  for (const [n, ni, no, useBias] of [[1, 256, 128, 0], [3, 37, 21, 1], [2, 5, 3, 1], [1, 1000, 2, 1]] as const) {
    const x = randArray(n * ni, r), w = randArray(ni * no, r), b = randArray(no, r);
    const want = new Float64Array(n * no), scale = new Float64Array(n * no);
    for (let s = 0; s < n; s++) for (let o = 0; o < no; o++) {
      let acc = 0, a = 0;
      for (let i = 0; i < ni; i++) { const t = x[s * ni + i] * w[i * no + o]; acc += t; a += Math.abs(t); }
      if (useBias) { acc += b[o]; a += Math.abs(b[o]); }
      want[s * no + o] = acc; scale[s * no + o] = a;
    }
    for (const ref of [false, true]) {
      const out = k.arena.allocF32(n * no);
      K.fcForward(k, { x: put(k, x), n, numInputs: ni, w: put(k, w), numOutputs: no, bias: useBias ? put(k, b) : 0, out }, { ref });
      const e = maxRelErr(get(k, out, n * no), want, scale);
      assert.ok(e <= 1e-5, `fc ${n}x${ni}->${no} ref=${ref}: ${e}`);
    }
  }
});

test("add_prev with different shapes (dlib tt::add zero-extension)", async () => {
  const k = await createKernels();
  const r = rng(5);
  const cases: Array<[K.Shape4, K.Shape4]> = [
    [{ n: 1, k: 256, nr: 3, nc: 3 }, { n: 1, k: 128, nr: 4, nc: 4 }], // face ResNet res_down
    [{ n: 2, k: 3, nr: 5, nc: 7 }, { n: 1, k: 5, nr: 6, nc: 2 }],
    [{ n: 2, k: 6, nr: 5, nc: 7 }, { n: 2, k: 6, nr: 5, nc: 7 }],
  ];
  for (const [as, bs] of cases) {
    const a = randArray(K.shapeSize(as), r), b = randArray(K.shapeSize(bs), r);
    const os = K.addPrevShape(as, bs);
    const want = new Float32Array(K.shapeSize(os));
    let i = 0;
    const at = (t: Float32Array, s: K.Shape4, n: number, c: number, y: number, x: number) =>
      n < s.n && c < s.k && y < s.nr && x < s.nc ? t[((n * s.k + c) * s.nr + y) * s.nc + x] : 0;
    for (let n = 0; n < os.n; n++) for (let c = 0; c < os.k; c++) for (let y = 0; y < os.nr; y++) for (let x = 0; x < os.nc; x++) {
      want[i++] = f32(at(a, as, n, c, y, x) + at(b, bs, n, c, y, x));
    }
    for (const ref of [false, true]) {
      const out = k.arena.allocF32(want.length);
      K.addPrev(k, put(k, a), as, put(k, b), bs, out, { ref });
      assert.deepEqual(get(k, out, want.length), want, `add_prev ${JSON.stringify([as, bs])} ref=${ref}`);
    }
  }
});

/** JS pooling reference following dlib: centered_rect window clipped to the plane. */
function poolRef(x: Float32Array, s: K.Shape4, wr: number, wc: number, sy: number, sx: number, py: number, px: number, isMax: boolean) {
  const onr = 1 + Math.floor((s.nr + 2 * py - wr) / sy), onc = 1 + Math.floor((s.nc + 2 * px - wc) / sx);
  const out = new Float32Array(s.n * s.k * onr * onc);
  let o = 0;
  for (let p = 0; p < s.n * s.k; p++) for (let r = 0; r < onr; r++) for (let c = 0; c < onc; c++) {
    // dlib: centered_rect(c*sx + wc/2 - px, r*sy + wr/2 - py, wc, wr)
    const left = c * sx + Math.trunc(wc / 2) - px - Math.trunc(wc / 2);
    const top = r * sy + Math.trunc(wr / 2) - py - Math.trunc(wr / 2);
    let v = isMax ? -Infinity : 0, cnt = 0;
    for (let y = Math.max(top, 0); y <= Math.min(top + wr - 1, s.nr - 1); y++) {
      for (let xx = Math.max(left, 0); xx <= Math.min(left + wc - 1, s.nc - 1); xx++) {
        const t = x[(p * s.nr + y) * s.nc + xx];
        if (isMax) { if (t > v) v = t; } else v = f32(v + t);
        cnt++;
      }
    }
    out[o++] = isMax ? v : f32(v / cnt);
  }
  return { out, shape: { n: s.n, k: s.k, nr: onr, nc: onc } };
}

test("max_pool / avg_pool / avg_pool_everything are exact against the JS reference", async () => {
  const k = await createKernels();
  const r = rng(9);
  const cases: Array<[K.Shape4, number, number, number, number, number, number]> = [
    [{ n: 1, k: 32, nr: 72, nc: 72 }, 3, 3, 2, 2, 0, 0], // face ResNet max_pool
    [{ n: 1, k: 64, nr: 35, nc: 35 }, 2, 2, 2, 2, 0, 0], // res_down avg_pool
    [{ n: 2, k: 3, nr: 5, nc: 7 }, 3, 3, 1, 1, 1, 1],
    [{ n: 1, k: 5, nr: 7, nc: 6 }, 5, 3, 2, 1, 2, 1],
    [{ n: 1, k: 3, nr: 9, nc: 9 }, 4, 4, 3, 3, 3, 2],
  ];
  for (const [s, wr, wc, sy, sx, py, px] of cases) {
    const x = randArray(K.shapeSize(s), r);
    const px0 = put(k, x);
    for (const isMax of [true, false]) {
      const want = poolRef(x, s, wr, wc, sy, sx, py, px, isMax);
      const a: K.PoolArgs = { x: px0, input: s, winR: wr, winC: wc, strideY: sy, strideX: sx, padY: py, padX: px, out: 0 };
      assert.deepEqual(K.poolOutShape(a), want.shape);
      for (const ref of [false, true]) {
        a.out = k.arena.allocF32(want.out.length);
        (isMax ? K.maxPool : K.avgPool)(k, a, { ref });
        assert.deepEqual(get(k, a.out, want.out.length), want.out, `pool ${JSON.stringify(s)} ${wr}x${wc} max=${isMax} ref=${ref}`);
      }
    }
  }
  const s = { n: 2, k: 7, nr: 4, nc: 3 };
  const x = randArray(K.shapeSize(s), r);
  const want = poolRef(x, s, 4, 3, 1, 1, 0, 0, false).out;
  for (const ref of [false, true]) {
    const out = k.arena.allocF32(14);
    K.avgPoolEverything(k, put(k, x), s, out, { ref });
    assert.deepEqual(get(k, out, 14), want);
    const out2 = k.arena.allocF32(14);
    K.avgPool(k, { x: put(k, x), input: s, winR: 0, winC: 0, strideY: 1, strideX: 1, padY: 0, padX: 0, out: out2 }, { ref });
    assert.deepEqual(get(k, out2, 14), want);
  }
});

test("affine, bn inference, relu, multiply are exact against dlib's f32 arithmetic", async () => {
  const k = await createKernels();
  const r = rng(3);
  const s = { n: 2, k: 5, nr: 3, nc: 7 };
  const len = K.shapeSize(s), plane = s.nr * s.nc, per = s.k * plane;
  const x = randArray(len, r, -3, 3);
  for (const mode of ["conv", "fc"] as const) {
    const m = mode === "conv" ? s.k : per;
    const idx = (i: number) => (mode === "conv" ? Math.floor((i % per) / plane) : i % per);
    const g = randArray(m, r, -2, 2), b = randArray(m, r), mean = randArray(m, r), v = randArray(m, r, 0.01, 3);
    const eps = 0.0001;
    const wantA = new Float32Array(len), wantB = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      const j = idx(i);
      wantA[i] = f32(f32(g[j] * x[i]) + b[j]);
      if (mode === "conv") {
        const invstd = f32(1 / Math.sqrt(v[j] + eps));
        wantB[i] = f32(f32(f32(g[j] * f32(x[i] - mean[j])) * invstd) + b[j]);
      } else {
        wantB[i] = f32(f32(g[j] * f32(x[i] - mean[j])) / Math.sqrt(v[j] + eps) + b[j]);
      }
    }
    for (const ref of [false, true]) {
      const px = put(k, x), out = k.arena.allocF32(len);
      K.affine(k, { x: px, shape: s, gamma: put(k, g), beta: put(k, b), out, mode }, { ref });
      assert.deepEqual(get(k, out, len), wantA, `affine ${mode} ref=${ref}`);
      K.bnInference(k, { x: px, shape: s, gamma: put(k, g), beta: put(k, b), mean: put(k, mean), variance: put(k, v), eps, out, mode }, { ref });
      assert.deepEqual(get(k, out, len), wantB, `bn ${mode} ref=${ref}`);
      // in place
      K.affine(k, { x: px, shape: s, gamma: put(k, g), beta: put(k, b), out: px, mode }, { ref });
      assert.deepEqual(get(k, px, len), wantA, `affine in place ${mode} ref=${ref}`);
      if (mode === "conv") {
        const px2 = put(k, x);
        K.affine(k, { x: px2, shape: s, gamma: put(k, g), beta: put(k, b), out: px2, mode, relu: true }, { ref });
        assert.deepEqual(get(k, px2, len), wantA.map((t) => (t >= 0 ? t : 0)), `affine+relu ref=${ref}`);
      }
    }
  }
  for (const ref of [false, true]) {
    const px = put(k, x), out = k.arena.allocF32(len);
    K.relu(k, px, len, out, { ref });
    assert.deepEqual(get(k, out, len), x.map((t) => (t >= 0 ? t : 0)));
    K.multiply(k, px, len, 0.3, out, { ref });
    assert.deepEqual(get(k, out, len), x.map((t) => f32(t * f32(0.3))));
  }
});

test("softmax over channels matches the JS reference", async () => {
  const k = await createKernels();
  const r = rng(21);
  for (const s of [{ n: 2, k: 3, nr: 5, nc: 7 }, { n: 1, k: 10, nr: 1, nc: 1 }, { n: 1, k: 2, nr: 4, nc: 4 }]) {
    const x = randArray(K.shapeSize(s), r, -20, 20);
    const plane = s.nr * s.nc;
    const want = new Float64Array(x.length);
    for (let n = 0; n < s.n; n++) for (let p = 0; p < plane; p++) {
      const at = (c: number) => (n * s.k + c) * plane + p;
      let m = -Infinity;
      for (let c = 0; c < s.k; c++) m = Math.max(m, x[at(c)]);
      let sum = 0;
      for (let c = 0; c < s.k; c++) sum += Math.exp(x[at(c)] - m);
      for (let c = 0; c < s.k; c++) want[at(c)] = Math.exp(x[at(c)] - m) / sum;
    }
    for (const ref of [false, true]) {
      const out = k.arena.allocF32(x.length);
      K.softmax(k, put(k, x), s, out, { ref });
      const got = get(k, out, x.length);
      // absolute error relative to 1 (probabilities): f32 exp and division
      const e = maxRelErr(got, want, new Float64Array(x.length).fill(1));
      assert.ok(e <= 1e-6, `softmax ${JSON.stringify(s)} ref=${ref}: ${e}`);
    }
  }
});

test("concat channels and copy", async () => {
  const k = await createKernels();
  const r = rng(17);
  const a = { n: 2, k: 3, nr: 2, nc: 5 }, b = { n: 2, k: 4, nr: 2, nc: 5 };
  const xa = randArray(K.shapeSize(a), r), xb = randArray(K.shapeSize(b), r);
  const plane = 10;
  const want = new Float32Array(2 * 7 * plane);
  for (let n = 0; n < 2; n++) {
    want.set(xa.subarray(n * 3 * plane, (n + 1) * 3 * plane), n * 7 * plane);
    want.set(xb.subarray(n * 4 * plane, (n + 1) * 4 * plane), (n * 7 + 3) * plane);
  }
  for (const ref of [false, true]) {
    const out = k.arena.allocF32(want.length);
    K.concatChannels(k, put(k, xa), a, out, 7, 0, { ref });
    K.concatChannels(k, put(k, xb), b, out, 7, 3, { ref });
    assert.deepEqual(get(k, out, want.length), want);
    const c = k.arena.allocF32(xa.length);
    K.copy(k, put(k, xa), xa.length, c, { ref });
    assert.deepEqual(get(k, c, xa.length), xa);
  }
  assert.throws(() => K.concatChannels(k, 16, b, 16, 7, 4), RangeError);
});
