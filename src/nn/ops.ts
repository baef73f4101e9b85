/**
 * The runtime's view of the kernels: one typed function per layer operation, over raw arena pointers.
 * Shapes are NCHW (n samples, k channels, nr rows, nc cols); every pointer is a byte offset into the
 * kernel memory. Thin on purpose: the contracts are the kernels' (assembly/*.ts).
 */
import type { Kernels } from "./wasm.js";

type Fn = (...a: number[]) => unknown;
const cache = new WeakMap<Kernels, Map<string, Fn>>();
function f(k: Kernels, name: string): Fn {
  let m = cache.get(k);
  if (!m) cache.set(k, (m = new Map()));
  let fn = m.get(name);
  if (!fn) m.set(name, (fn = k.fn<Fn>(name)));
  return fn;
}

/** The module's export `name` (cached per kernel instance), for callers that bind their arguments once. */
export function fnOf(k: Kernels, name: string): Fn {
  return f(k, name);
}

export interface ConGeometry {
  n: number; k: number; nr: number; nc: number;
  numFilters: number; fnr: number; fnc: number;
  strideY: number; strideX: number; padY: number; padX: number;
}

/** Scratch floats `conForward` needs for this geometry (asked from the module: its packing decides). */
export function conScratchFloats(k: Kernels, g: ConGeometry): number {
  return f(k, "con_scratch_floats")(g.k, g.nr, g.nc, g.fnr, g.fnc, g.strideY, g.strideX, g.padY, g.padX) as number;
}

/**
 * con_ forward with an optional fused per-channel affine (gamma/beta, 0 = none) and relu.
 * out[s][f] = [relu](gamma[f]*(conv + bias[f]) + beta[f]).
 */
export function conForward(
  k: Kernels,
  a: ConGeometry & { x: number; filters: number; biases: number; out: number; scratch: number; gamma?: number; beta?: number; relu?: boolean },
): void {
  f(k, "con_affine_forward")(
    a.x, a.n, a.k, a.nr, a.nc, a.filters, a.numFilters, a.fnr, a.fnc, a.strideY, a.strideX, a.padY, a.padX,
    a.biases, a.gamma ?? 0, a.beta ?? 0, a.relu ? 1 : 0, a.out, a.scratch,
  );
}

/**
 * conForward with every argument fixed now: returns a closure that runs the convolution with no allocation
 * and no argument objects (the runtime's plans bind each step once, after buffers are assigned).
 */
export function conForwardBound(
  k: Kernels,
  a: ConGeometry & { x: number; filters: number; biases: number; out: number; scratch: number; gamma?: number; beta?: number; relu?: boolean },
): () => void {
  const fn = f(k, "con_affine_forward");
  const { x, n, k: ch, nr, nc, filters, numFilters, fnr, fnc, strideY, strideX, padY, padX, biases, out, scratch } = a;
  const gamma = a.gamma ?? 0, beta = a.beta ?? 0, relu = a.relu ? 1 : 0;
  return () => void fn(x, n, ch, nr, nc, filters, numFilters, fnr, fnc, strideY, strideX, padY, padX, biases, gamma, beta, relu, out, scratch);
}

/** fc_: out[s][o] = sum_i x[s][i] W[i][o] (+ b[o]). */
export function fcForward(k: Kernels, a: { x: number; n: number; numInputs: number; weights: number; numOutputs: number; biases: number; out: number }): void {
  f(k, "fc_forward")(a.x, a.n, a.numInputs, a.weights, a.numOutputs, a.biases, a.out);
}

export const relu = (k: Kernels, x: number, len: number, out: number) => void f(k, "relu")(x, len, out);
export const copy = (k: Kernels, x: number, len: number, out: number) => void f(k, "copy")(x, len, out);
export const multiply = (k: Kernels, x: number, len: number, val: number, out: number) => void f(k, "multiply")(x, len, val, out);
export const affineConv = (k: Kernels, x: number, n: number, ch: number, plane: number, gamma: number, beta: number, out: number) =>
  void f(k, "affine_conv")(x, n, ch, plane, gamma, beta, out);
export const affineFc = (k: Kernels, x: number, n: number, size: number, gamma: number, beta: number, out: number) =>
  void f(k, "affine_fc")(x, n, size, gamma, beta, out);
export const bnInferenceConv = (k: Kernels, x: number, n: number, ch: number, plane: number, gamma: number, beta: number, mean: number, variance: number, eps: number, out: number) =>
  void f(k, "bn_inference_conv")(x, n, ch, plane, gamma, beta, mean, variance, eps, out);
export const bnInferenceFc = (k: Kernels, x: number, n: number, size: number, gamma: number, beta: number, mean: number, variance: number, eps: number, out: number) =>
  void f(k, "bn_inference_fc")(x, n, size, gamma, beta, mean, variance, eps, out);

export interface PoolArgs { x: number; n: number; k: number; nr: number; nc: number; winR: number; winC: number; strideY: number; strideX: number; padY: number; padX: number; out: number }
export const maxPool = (k: Kernels, a: PoolArgs) => void f(k, "max_pool")(a.x, a.n, a.k, a.nr, a.nc, a.winR, a.winC, a.strideY, a.strideX, a.padY, a.padX, a.out);
export const avgPool = (k: Kernels, a: PoolArgs) => void f(k, "avg_pool")(a.x, a.n, a.k, a.nr, a.nc, a.winR, a.winC, a.strideY, a.strideX, a.padY, a.padX, a.out);

type S = { n: number; k: number; nr: number; nc: number };
/** dlib's add_prev: shapes may differ, output = element-wise max shape, zero-filled. */
export const addPrev = (k: Kernels, a: number, as: S, b: number, bs: S, out: number) =>
  void f(k, "add_prev")(a, as.n, as.k, as.nr, as.nc, b, bs.n, bs.k, bs.nr, bs.nc, out);
export const concatChannels = (k: Kernels, src: number, n: number, sk: number, plane: number, dst: number, dk: number, off: number) =>
  void f(k, "concat_channels")(src, n, sk, plane, dst, dk, off);
export const softmax = (k: Kernels, x: number, n: number, ch: number, plane: number, out: number) => void f(k, "softmax")(x, n, ch, plane, out);
