/**
 * Typed wrappers over the SIMD kernels of `dist/kernels.wasm` (AssemblyScript sources in `assembly/`).
 *
 * Common contract: every tensor argument is a byte offset ("pointer") into the kernel memory of the
 * given `Kernels` instance (allocate with `k.arena.allocF32`), holding float32 data in dlib's NCHW
 * layout: [n samples][k channels][nr rows][nc cols]. Kernels never allocate; a kernel that needs
 * temporary space takes a `scratch` pointer whose size in floats is given by a `...ScratchFloats`
 * function. Unless stated otherwise the output must not overlap any input. Optional pointers
 * (`bias`, `gamma`) use 0 / undefined for "absent".
 *
 * Every fast kernel has a scalar `_ref` twin in the module (e.g. `con_forward_ref`), reachable with
 * `{ ref: true }`, used as the oracle in tests.
 */
import type { Kernels } from "./wasm.js";

/** A 4-d tensor shape as dlib reports it. */
export interface Shape4 {
  n: number;
  k: number;
  nr: number;
  nc: number;
}

/** Number of floats in a tensor of this shape. */
export function shapeSize(s: Shape4): number {
  return s.n * s.k * s.nr * s.nc;
}

type Fn = (...args: number[]) => number | void;

function call(k: Kernels, name: string, ref: boolean | undefined, ...args: number[]): void {
  k.fn<Fn>(ref ? `${name}_ref` : name)(...args);
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

// ---------------------------------------------------------------------------------------------
// con_

/** Arguments of a convolution (dlib con_ forward, optionally fused with affine_ and relu_). */
export interface ConArgs {
  /** Input tensor pointer. */
  x: number;
  /** Input shape. */
  input: Shape4;
  /** Filters pointer, layout [numFilters][input.k][fnr][fnc]. */
  filters: number;
  numFilters: number;
  fnr: number;
  fnc: number;
  strideY: number;
  strideX: number;
  padY: number;
  padX: number;
  /** numFilters floats added to each output channel (0/undefined: none). */
  bias?: number;
  /** Fused affine_: numFilters gammas (0/undefined: no affine). */
  gamma?: number;
  /** Fused affine_: numFilters betas (required when gamma is given). */
  beta?: number;
  /** Fused relu_ after the (optional) affine. */
  relu?: boolean;
  /** Output pointer, shape conOutShape(args); must not overlap x, filters or scratch. */
  out: number;
  /** Scratch pointer of conScratchFloats(args) floats (may be 0/undefined when that is 0). */
  scratch?: number;
}

type ConGeom = Pick<ConArgs, "input" | "fnr" | "fnc" | "strideY" | "strideX" | "padY" | "padX">;

/** Output size along one axis of a convolution: (n + 2*pad - f)/stride + 1 (integer division). */
export function conOutSize(n: number, f: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - f) / stride) + 1;
}

/** Output shape of a convolution: [n][numFilters][onr][onc]. */
export function conOutShape(a: ConGeom & { numFilters: number }): Shape4 {
  return {
    n: a.input.n,
    k: a.numFilters,
    nr: conOutSize(a.input.nr, a.fnr, a.strideY, a.padY),
    nc: conOutSize(a.input.nc, a.fnc, a.strideX, a.padX),
  };
}

/**
 * Floats of scratch conForward needs for one call, whatever the number of samples or filters:
 * 0 for a 1x1 stride-1 unpadded convolution (no im2col); kd*P for P = onr*onc < 8 or 9..11 output
 * pixels (plain im2col, kd = k*fnr*fnc); otherwise one chunk of im2col packed in 8-pixel panels,
 * min(ceil(P/8), max(4, floor(6144/kd)))*8*kd floats, plus the packing's working space (a zero-padded
 * copy of one sample and a kd-entry offset table).
 * Asked from the module (`con_scratch_floats`), so it cannot drift from the packing.
 */
export function conScratchFloats(k: Kernels, a: ConGeom): number {
  return k.fn<(...x: number[]) => number>("con_scratch_floats")(a.input.k, a.input.nr, a.input.nc, a.fnr, a.fnc, a.strideY, a.strideX, a.padY, a.padX);
}

/**
 * dlib con_ forward: cross-correlation (no kernel flip) with zero padding,
 * out[s][f][r][c] = sum_{ch,y,x} filters[f][ch][y][x] * in[s][ch][r*strideY-padY+y][c*strideX-padX+x],
 * then + bias[f], then gamma[f]*v + beta[f], then relu (v >= 0 ? v : 0) — each step only when requested, each
 * rounded to f32 (so the fused result equals running con_, affine_, relu_ one after the other up to
 * the summation order of the dot products). Requires filters no larger than the padded input.
 */
export function conForward(k: Kernels, a: ConArgs, opts: { ref?: boolean } = {}): void {
  const s = a.input;
  checkInt("input.n", s.n, 0);
  checkInt("input.k", s.k, 1);
  checkInt("fnr", a.fnr, 1);
  checkInt("fnc", a.fnc, 1);
  checkInt("strideY", a.strideY, 1);
  checkInt("strideX", a.strideX, 1);
  checkInt("padY", a.padY, 0);
  checkInt("padX", a.padX, 0);
  if (a.fnr > s.nr + 2 * a.padY || a.fnc > s.nc + 2 * a.padX) {
    throw new RangeError(`filter ${a.fnr}x${a.fnc} larger than padded input ${s.nr}x${s.nc} (+${a.padY},${a.padX})`);
  }
  const gamma = a.gamma ?? 0;
  const beta = a.beta ?? 0;
  if (gamma && !beta) throw new RangeError("conForward: gamma given without beta");
  const common = [s.n, s.k, s.nr, s.nc, a.filters, a.numFilters, a.fnr, a.fnc, a.strideY, a.strideX, a.padY, a.padX,
    a.bias ?? 0, gamma, beta, a.relu ? 1 : 0, a.out];
  if (opts.ref) {
    k.fn<Fn>("con_affine_forward_ref")(a.x, ...common);
    return;
  }
  const scratch = a.scratch ?? 0;
  if (!scratch && conScratchFloats(k, a) > 0) throw new RangeError("conForward: this convolution needs a scratch buffer");
  k.fn<Fn>("con_affine_forward")(a.x, ...common, scratch);
}

// ---------------------------------------------------------------------------------------------
// fc_ and gemm

/** Arguments of dlib fc_ forward. */
export interface FcArgs {
  /** Input pointer: n samples of numInputs floats (a sample's k*nr*nc values in memory order). */
  x: number;
  n: number;
  numInputs: number;
  /** Weights pointer, row-major [numInputs][numOutputs] (dlib's params layout without the bias row). */
  w: number;
  numOutputs: number;
  /** numOutputs floats (dlib's last params row) or 0/undefined. */
  bias?: number;
  /** Output pointer [n][numOutputs]; must not overlap x or w. */
  out: number;
}

/** dlib fc_ forward: out[s][o] = sum_i x[s][i]*w[i][o] (+ bias[o]), f32 sums in increasing i. */
export function fcForward(k: Kernels, a: FcArgs, opts: { ref?: boolean } = {}): void {
  call(k, "fc_forward", opts.ref, a.x, a.n, a.numInputs, a.w, a.numOutputs, a.bias ?? 0, a.out);
}

/** Arguments of the general matrix product C = A*B (row-major, leading dimensions in floats). */
export interface GemmArgs {
  m: number;
  n: number;
  kk: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  /** Per-row epilogue, applied in this order: + bias[row], gamma[row]*v + beta[row], relu. */
  bias?: number;
  gamma?: number;
  beta?: number;
  relu?: boolean;
}

/** C[m][n] = A[m][kk] * B[kk][n] plus the per-row epilogue. C must not overlap A or B. */
export function gemm(k: Kernels, g: GemmArgs, opts: { ref?: boolean } = {}): void {
  call(k, "gemm", opts.ref, g.m, g.n, g.kk, g.a, g.lda, g.b, g.ldb, g.c, g.ldc, g.bias ?? 0, g.gamma ?? 0, g.beta ?? 0, g.relu ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// element-wise

/** relu_ as dlib (lowerbound(x, 0)): out[i] = x[i] >= 0 ? x[i] : 0 (NaN gives 0, -0 stays -0). out may equal x. */
export function relu(k: Kernels, x: number, len: number, out: number, opts: { ref?: boolean } = {}): void {
  call(k, "relu", opts.ref, x, len, out);
}

/** multiply_ (and dropout_ at inference): out[i] = x[i]*val (val rounded to f32). out may equal x. */
export function multiply(k: Kernels, x: number, len: number, val: number, out: number, opts: { ref?: boolean } = {}): void {
  call(k, "multiply", opts.ref, x, len, val, out);
}

/**
 * affine_ forward. CONV mode: gamma/beta hold shape.k floats, out[s][c][p] = gamma[c]*x + beta[c].
 * FC mode: gamma/beta hold k*nr*nc floats, one per element of a sample. out may equal x.
 * relu (conv mode only): apply max(0, .) in the same pass (dlib's affine_ then relu_, e.g. the
 * pre-activation of the densenet's 1x1 convolutions).
 */
export function affine(
  k: Kernels,
  a: { x: number; shape: Shape4; gamma: number; beta: number; out: number; mode: "conv" | "fc"; relu?: boolean },
  opts: { ref?: boolean } = {},
): void {
  const s = a.shape;
  if (a.relu && a.mode !== "conv") throw new RangeError("affine: the fused relu exists for conv mode only");
  if (a.relu) call(k, "affine_conv_relu", opts.ref, a.x, s.n, s.k, s.nr * s.nc, a.gamma, a.beta, a.out);
  else if (a.mode === "conv") call(k, "affine_conv", opts.ref, a.x, s.n, s.k, s.nr * s.nc, a.gamma, a.beta, a.out);
  else call(k, "affine_fc", opts.ref, a.x, s.n, s.k * s.nr * s.nc, a.gamma, a.beta, a.out);
}

/**
 * bn_ forward in inference mode (running statistics), dlib cpu arithmetic. eps is dlib's double.
 * CONV mode (per channel): invstd = f32(1/sqrt(double(var)+eps)); out = gamma*(x-mean)*invstd + beta in f32.
 * FC mode (per element): out = f32(double(gamma*(x-mean)) / sqrt(double(var)+eps) + beta).
 * gamma/beta/mean/variance hold k (conv) or k*nr*nc (fc) floats. out may equal x.
 */
export function bnInference(
  k: Kernels,
  a: { x: number; shape: Shape4; gamma: number; beta: number; mean: number; variance: number; eps: number; out: number; mode: "conv" | "fc" },
  opts: { ref?: boolean } = {},
): void {
  const s = a.shape;
  if (a.mode === "conv") {
    call(k, "bn_inference_conv", opts.ref, a.x, s.n, s.k, s.nr * s.nc, a.gamma, a.beta, a.mean, a.variance, a.eps, a.out);
  } else {
    call(k, "bn_inference_fc", opts.ref, a.x, s.n, s.k * s.nr * s.nc, a.gamma, a.beta, a.mean, a.variance, a.eps, a.out);
  }
}

/**
 * softmax_: over the k channels at each (r, c) of each sample: subtract the max, exp (f32),
 * divide by the f32 sum in channel order. out may equal x.
 */
export function softmax(k: Kernels, x: number, shape: Shape4, out: number, opts: { ref?: boolean } = {}): void {
  call(k, "softmax", opts.ref, x, shape.n, shape.k, shape.nr * shape.nc, out);
}

/** Output shape of add_prev: the element-wise max of the two input shapes. */
export function addPrevShape(a: Shape4, b: Shape4): Shape4 {
  return { n: Math.max(a.n, b.n), k: Math.max(a.k, b.k), nr: Math.max(a.nr, b.nr), nc: Math.max(a.nc, b.nc) };
}

/**
 * add_prev_ (dlib tt::add(dest, src1, src2)): out = a + b with out shape addPrevShape(aShape, bShape);
 * both inputs are aligned at index 0 in every dimension and missing entries count as 0.
 * out may equal a or b only when the three shapes are identical.
 */
export function addPrev(
  k: Kernels,
  a: number, aShape: Shape4, b: number, bShape: Shape4, out: number,
  opts: { ref?: boolean } = {},
): void {
  call(k, "add_prev", opts.ref, a, aShape.n, aShape.k, aShape.nr, aShape.nc, b, bShape.n, bShape.k, bShape.nr, bShape.nc, out);
}

/**
 * concat_ helper: copy every channel of src (shape srcShape) into dst, a tensor with dstK channels and
 * the same n, nr, nc, starting at channel dstKOffset (requires dstKOffset + srcShape.k <= dstK).
 */
export function concatChannels(
  k: Kernels, src: number, srcShape: Shape4, dst: number, dstK: number, dstKOffset: number,
  opts: { ref?: boolean } = {},
): void {
  if (dstKOffset < 0 || dstKOffset + srcShape.k > dstK) throw new RangeError(`concat: channels ${dstKOffset}+${srcShape.k} exceed ${dstK}`);
  call(k, "concat_channels", opts.ref, src, srcShape.n, srcShape.k, srcShape.nr * srcShape.nc, dst, dstK, dstKOffset);
}

/** Copy len floats from src to dst (overlap allowed). */
export function copy(k: Kernels, src: number, len: number, dst: number, opts: { ref?: boolean } = {}): void {
  call(k, "copy", opts.ref, src, len, dst);
}

// ---------------------------------------------------------------------------------------------
// pooling

/** Arguments of max_pool_/avg_pool_. winR = winC = 0 means the whole plane (avg_pool_everything). */
export interface PoolArgs {
  x: number;
  input: Shape4;
  winR: number;
  winC: number;
  strideY: number;
  strideX: number;
  padY: number;
  padX: number;
  /** Output pointer, shape poolOutShape(args); must not overlap x. */
  out: number;
}

/** Output shape of pooling: 1 + (in + 2*pad - win)/stride per axis (1 when win = 0). */
export function poolOutShape(a: Omit<PoolArgs, "x" | "out">): Shape4 {
  const wr = a.winR === 0 ? a.input.nr : a.winR;
  const wc = a.winC === 0 ? a.input.nc : a.winC;
  return {
    n: a.input.n,
    k: a.input.k,
    nr: 1 + Math.floor((a.input.nr + 2 * (a.winR === 0 ? 0 : a.padY) - wr) / (a.winR === 0 ? 1 : a.strideY)),
    nc: 1 + Math.floor((a.input.nc + 2 * (a.winC === 0 ? 0 : a.padX) - wc) / (a.winC === 0 ? 1 : a.strideX)),
  };
}

function pool(k: Kernels, name: string, a: PoolArgs, ref: boolean | undefined): void {
  const s = a.input;
  if (a.winR === 0 && a.winC === 0) {
    call(k, "avg_pool_everything", ref, a.x, s.n, s.k, s.nr, s.nc, a.out);
    return;
  }
  const wr = a.winR === 0 ? s.nr : a.winR;
  const wc = a.winC === 0 ? s.nc : a.winC;
  if (a.padY < 0 || a.padY >= wr || a.padX < 0 || a.padX >= wc) throw new RangeError("pooling padding must be in [0, window)");
  if (wr > s.nr + 2 * a.padY || wc > s.nc + 2 * a.padX) throw new RangeError("pooling window larger than the padded input");
  call(k, name, ref, a.x, s.n, s.k, s.nr, s.nc, wr, wc, a.strideY, a.strideX, a.padY, a.padX, a.out);
}

/**
 * max_pool_: output (r, c) = max over input rows r*strideY-padY ... +winR-1 and columns
 * c*strideX-padX ... +winC-1, clipped to the input.
 */
export function maxPool(k: Kernels, a: PoolArgs, opts: { ref?: boolean } = {}): void {
  if (a.winR === 0 && a.winC === 0) {
    const s = a.input;
    call(k, "max_pool", opts.ref, a.x, s.n, s.k, s.nr, s.nc, s.nr, s.nc, 1, 1, 0, 0, a.out);
    return;
  }
  pool(k, "max_pool", a, opts.ref);
}

/** avg_pool_: as maxPool but the mean of the clipped window (padding is not counted). */
export function avgPool(k: Kernels, a: PoolArgs, opts: { ref?: boolean } = {}): void {
  pool(k, "avg_pool", a, opts.ref);
}

/** avg_pool_everything: out[s][c] (shape n x k x 1 x 1) = mean of plane (s, c). */
export function avgPoolEverything(k: Kernels, x: number, shape: Shape4, out: number, opts: { ref?: boolean } = {}): void {
  call(k, "avg_pool_everything", opts.ref, x, shape.n, shape.k, shape.nr, shape.nc, out);
}
