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
 * con_ forward (with optional fused per-channel affine gamma/beta and relu: out = [relu](gamma*(conv + bias) + beta)), every argument fixed now: returns a closure that runs the convolution with no allocation
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

/** Copy a tensor's channels into channel offset `off` of a `dk`-channel tensor (per sample), for concat_. */
export const concatChannels = (k: Kernels, src: number, n: number, sk: number, plane: number, dst: number, dk: number, off: number) =>
  void f(k, "concat_channels")(src, n, sk, plane, dst, dk, off);
