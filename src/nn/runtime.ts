/**
 * The runtime: a loaded dlib network (`LossModel`) compiled to a flat plan of kernel calls over the one
 * wasm arena. A plan is built per (batch size, input rows, input cols) and cached; buffers are assigned by
 * liveness (a tensor's memory is reused once its last reader has run), so after the first call nothing is
 * allocated per forward pass. Tensors are NCHW float32 as in dlib.
 */
import type { Kernels } from "./wasm.js";
import type { LayerDetails, LossModel, ModelNode, InputModel, ParamRef } from "../dlib/model.js";
import * as K from "./ops.js";
import { WrongNetworkError } from "../errors.js";

export interface Shape {
  n: number;
  k: number;
  nr: number;
  nc: number;
}

export const sizeOf = (s: Shape) => s.n * s.k * s.nr * s.nc;

/** One entry of a plan. `out` is the value this step defines (tags/skips alias an existing value). */
export interface Step {
  /** dlib's layer<index>(net) */
  index: number;
  /** dlib's layer type name as in traces: con, affine, relu, tag1, skip1, add_prev2, fc_no_bias, ... */
  type: string;
  /** dlib's printout of the layer */
  desc: string;
  out: number;
  /** value ids read */
  ins: number[];
  /**
   * Binder of the step's kernel call (null for aliases: input, tag, skip): given the final buffer
   * addresses it returns a closure with every argument fixed, so a forward pass allocates nothing.
   */
  op: ((ptrOf: (v: number) => number) => () => void) | null;
  /** may write its output over its first input */
  inplace: boolean;
}

export interface Value {
  shape: Shape;
  size: number;
  /** value whose memory this one shares (tags, skips, in-place ops), or -1 */
  aliasOf: number;
  ptr: number;
}

/**
 * The network cannot run on this input: an image smaller than a layer's window, or parameters that do not fit
 * the shapes (a model file inconsistent with itself). A WrongNetworkError, so callers get a typed error.
 */
export class UnsupportedShapeError extends WrongNetworkError {
  override name = "UnsupportedShapeError";
}

/** A compiled plan for one input geometry. */
export class Plan {
  readonly steps: Step[] = [];
  readonly values: Value[] = [];
  input = -1;
  output = -1;
  scratchFloats = 0;
  scratchPtr = 0;
  private blocks: number[] = [];
  /** Releases of shared per-network data (Winograd weights) this plan holds a reference to. */
  readonly onDispose: (() => void)[] = [];
  /** While compiling: told of each con layer that could be baked (see bakeCollector). */
  candidate?: (c: BakeCandidate, s: Shape) => void;
  /**
   * Each con layer's algorithm is chosen as for one sample, whatever the batch size (set by `compile` for loss_metric
   * networks, see convOptions.metricBatchesPerSample).
   */
  perSample = false;

  constructor(readonly kernels: Kernels) {}

  /** The shape a con layer's algorithm is chosen for: `s`, or one sample of it when `perSample`. */
  algShape(s: Shape): Shape {
    return this.perSample && s.n !== 1 ? { ...s, n: 1 } : s;
  }

  addValue(shape: Shape, aliasOf = -1): number {
    this.values.push({ shape, size: sizeOf(shape), aliasOf, ptr: 0 });
    return this.values.length - 1;
  }

  root(v: number): number {
    while (this.values[v].aliasOf >= 0) v = this.values[v].aliasOf;
    return v;
  }

  /**
   * Assign memory. With `keepAll` every step gets its own buffer (for traces: each layer's true output).
   * Otherwise buffers are reused after the last read, and in-place steps write over their input when it is
   * read by nobody later.
   */
  allocate(keepAll: boolean): void {
    const arena = this.kernels.arena;
    const lastUse = new Array<number>(this.values.length).fill(-1);
    this.steps.forEach((s, i) => {
      for (const v of s.ins) lastUse[this.root(v)] = Math.max(lastUse[this.root(v)], i);
      lastUse[this.root(s.out)] = Math.max(lastUse[this.root(s.out)], i);
    });
    lastUse[this.root(this.output)] = Infinity;
    const free: { ptr: number; floats: number }[] = [];
    const owned = new Map<number, { ptr: number; floats: number }>();
    const take = (floats: number) => {
      let best = -1;
      for (let i = 0; i < free.length; i++) if (free[i].floats >= floats && (best < 0 || free[i].floats < free[best].floats)) best = i;
      if (best >= 0) return free.splice(best, 1)[0];
      const ptr = arena.allocF32(Math.max(floats, 4));
      this.blocks.push(ptr);
      return { ptr, floats };
    };
    this.steps.forEach((s, i) => {
      const ov = this.values[s.out];
      if (s.op && ov.aliasOf < 0) {
        const src = s.ins.length ? this.root(s.ins[0]) : -1;
        if (!keepAll && s.inplace && src >= 0 && lastUse[src] === i && owned.has(src) && this.values[src].size === ov.size) {
          // write over the input
          owned.set(s.out, owned.get(src)!);
          owned.delete(src);
          lastUse[src] = -1;
        } else {
          owned.set(s.out, take(ov.size));
        }
        ov.ptr = owned.get(s.out)!.ptr;
      } else if (ov.aliasOf < 0 && !owned.has(s.out)) {
        owned.set(s.out, take(ov.size));
        ov.ptr = owned.get(s.out)!.ptr;
      }
      if (!keepAll) {
        for (const v of new Set([...s.ins.map((x) => this.root(x)), this.root(s.out)])) {
          if (lastUse[v] === i && owned.has(v)) {
            free.push(owned.get(v)!);
            owned.delete(v);
          }
        }
      }
    });
    for (const v of this.values) if (v.aliasOf >= 0) v.ptr = this.values[this.root(v.aliasOf)].ptr;
    // in-place chains: a value written over its input shares that buffer
    if (this.scratchFloats > 0) {
      this.scratchPtr = arena.allocF32(this.scratchFloats);
      this.blocks.push(this.scratchPtr);
    }
  }

  ptrOf = (v: number): number => this.values[this.root(v)].ptr || this.values[v].ptr;

  private runners: (() => void)[] | null = null;
  private runnerSteps: Step[] = [];

  /**
   * Bind every step's kernel call now (after `allocate`): the per-layer filter forms they read (Winograd transforms,
   * tap slices) are made here, which the first `run` would otherwise do. Idempotent.
   */
  bind(): void {
    this.bound();
  }

  /** The bound kernel calls, in plan order (built once, after `allocate`). */
  private bound(): (() => void)[] {
    if (!this.runners) {
      const rs: (() => void)[] = [];
      const ss: Step[] = [];
      for (const s of this.steps) {
        if (!s.op) continue;
        rs.push(s.op(this.ptrOf));
        ss.push(s);
      }
      this.runners = rs;
      this.runnerSteps = ss;
    }
    return this.runners;
  }

  /** Run every step (the input tensor must already be filled). `after` sees each step's output. */
  run(after?: (step: Step, value: Value) => void): void {
    const rs = this.bound();
    if (!after) {
      for (let i = 0; i < rs.length; i++) rs[i]();
      return;
    }
    const bySteps = new Map<Step, () => void>();
    this.runnerSteps.forEach((s, i) => bySteps.set(s, rs[i]));
    for (const s of this.steps) {
      const r = bySteps.get(s);
      if (r) r();
      after(s, { ...this.values[s.out], ptr: this.ptrOf(s.out) });
    }
  }

  /**
   * Time each kernel step: runs the whole plan `reps` times and returns, per step with a kernel, its median
   * wall time (performance.now) and its mean CPU time of this process (`cpuTime()`, µs resolution: robust
   * when other processes share the cores), in ms. The input must be filled.
   */
  profile(reps: number, cpuTime?: () => number): { step: Step; shape: Shape; inShape: Shape | null; ms: number; cpuMs: number }[] {
    const rs = this.bound();
    const times = rs.map(() => [] as number[]);
    const cpu = rs.map(() => 0);
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < rs.length; i++) {
        const c0 = cpuTime ? cpuTime() : 0;
        const t0 = performance.now();
        rs[i]();
        times[i].push(performance.now() - t0);
        if (cpuTime) cpu[i] += cpuTime() - c0;
      }
    }
    return this.runnerSteps.map((s, i) => {
      const t = times[i].sort((a, b) => a - b);
      return { step: s, shape: this.values[s.out].shape, inShape: s.ins.length ? this.values[s.ins[0]].shape : null, ms: t[t.length >> 1], cpuMs: cpu[i] / reps };
    });
  }

  dispose(): void {
    for (const b of this.blocks) this.kernels.arena.release(b);
    this.blocks = [];
    for (const f of this.onDispose.splice(0)) f();
  }
}

/** dlib's printout of a layer (as in `cout << net`), used by info() and traces. */
export function describeLayer(d: LayerDetails): string {
  const m = (xs: number[]) => xs.map((x) => fmt(x));
  switch (d.type) {
    case "con": {
      const [a, b, c, e] = m(d.multipliers);
      return `con  (num_filters=${d.numFilters}, nr=${d.nr}, nc=${d.nc}, stride_y=${d.strideY}, stride_x=${d.strideX}, padding_y=${d.paddingY}, padding_x=${d.paddingX}) learning_rate_mult=${a} weight_decay_mult=${b} bias_learning_rate_mult=${c} bias_weight_decay_mult=${e}`;
    }
    case "fc": {
      const [a, b, c, e] = m(d.multipliers);
      return d.hasBias
        ? `fc  (num_outputs=${d.numOutputs}) learning_rate_mult=${a} weight_decay_mult=${b} bias_learning_rate_mult=${c} bias_weight_decay_mult=${e}`
        : `fc_no_bias (num_outputs=${d.numOutputs}) learning_rate_mult=${a} weight_decay_mult=${b}`;
    }
    case "relu": return "relu";
    case "max_pool": case "avg_pool":
      return `${d.type} (nr=${d.nr}, nc=${d.nc}, stride_y=${d.strideY}, stride_x=${d.strideX}, padding_y=${d.paddingY}, padding_x=${d.paddingX})`;
    case "affine": return "affine";
    case "bn_con": case "bn_fc": {
      const [a, b, c, e] = m(d.multipliers);
      return `${d.type}   eps=${fmt(d.eps)} running_stats_window_size=${d.runningStatsWindowSize} learning_rate_mult=${a} weight_decay_mult=${b} bias_learning_rate_mult=${c} bias_weight_decay_mult=${e}`;
    }
    case "multiply": return `multiply (val=${fmt(d.val)})`;
    case "add_prev": return `add_prev${d.tag}`;
    case "concat": return `concat  (${d.tags.join(",")})`;
    case "softmax": return "softmax";
  }
}

/** dlib prints doubles with the default ostream precision (6 significant digits). */
export function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const s = x.toPrecision(6);
  return s.includes("e") ? s.replace(/\.?0+e/, "e").replace(/e([+-])(\d)$/, "e$10$2") : s.replace(/\.?0+$/, "");
}

function layerTypeName(d: LayerDetails): string {
  switch (d.type) {
    case "fc": return d.hasBias ? "fc" : "fc_no_bias";
    case "add_prev": return `add_prev${d.tag}`;
    default: return d.type;
  }
}

/** Output shape of a layer, or an UnsupportedShapeError naming it. */
function outShape(d: LayerDetails, s: Shape, index: number, second?: Shape[]): Shape {
  switch (d.type) {
    case "con": {
      if (s.k !== d.k) throw new UnsupportedShapeError(`layer<${index}> con expects ${d.k} input channels, got ${s.k}`);
      const nr = Math.floor((s.nr + 2 * d.paddingY - d.nr) / d.strideY) + 1;
      const nc = Math.floor((s.nc + 2 * d.paddingX - d.nc) / d.strideX) + 1;
      if (nr < 1 || nc < 1) throw new UnsupportedShapeError(`layer<${index}> con: input ${s.nr}x${s.nc} is smaller than the ${d.nr}x${d.nc} filter`);
      return { n: s.n, k: d.numFilters, nr, nc };
    }
    case "fc":
      if (s.k * s.nr * s.nc !== d.numInputs) throw new UnsupportedShapeError(`layer<${index}> fc expects ${d.numInputs} inputs, got ${s.k}x${s.nr}x${s.nc}`);
      return { n: s.n, k: d.numOutputs, nr: 1, nc: 1 };
    case "max_pool": case "avg_pool": {
      const wr = d.nr === 0 ? s.nr : d.nr;
      const wc = d.nc === 0 ? s.nc : d.nc;
      const nr = 1 + Math.floor((s.nr + 2 * d.paddingY - wr) / d.strideY);
      const nc = 1 + Math.floor((s.nc + 2 * d.paddingX - wc) / d.strideX);
      if (nr < 1 || nc < 1) throw new UnsupportedShapeError(`layer<${index}> ${d.type}: input ${s.nr}x${s.nc} is smaller than the window`);
      return { n: s.n, k: s.k, nr, nc };
    }
    case "affine":
      if ((d.mode === 0 ? s.k : s.k * s.nr * s.nc) !== d.gamma.length) throw new UnsupportedShapeError(`layer<${index}> affine has ${d.gamma.length} parameters for input ${s.k}x${s.nr}x${s.nc}`);
      return s;
    case "bn_con": case "bn_fc":
      if ((d.type === "bn_con" ? s.k : s.k * s.nr * s.nc) !== d.gamma.length) throw new UnsupportedShapeError(`layer<${index}> ${d.type} has ${d.gamma.length} parameters for input ${s.k}x${s.nr}x${s.nc}`);
      return s;
    case "add_prev": {
      const t = second![0];
      return { n: Math.max(s.n, t.n), k: Math.max(s.k, t.k), nr: Math.max(s.nr, t.nr), nc: Math.max(s.nc, t.nc) };
    }
    case "concat": {
      let k = 0;
      for (const t of second!) {
        if (t.nr !== second![0].nr || t.nc !== second![0].nc || t.n !== second![0].n) throw new UnsupportedShapeError(`layer<${index}> concat of tensors with different sizes`);
        k += t.k;
      }
      return { ...second![0], k };
    }
    default:
      return s;
  }
}

/** Convolution algorithms the compiler may choose (tests and benchmarks switch them). */
export const convOptions = {
  /** Winograd F(2x2,3x3) for 3x3 stride-1 pad-1 convolutions on planes of at least 3x3 (and 4 tiles in the batch). */
  winograd: true,
  /** Winograd F(4x4,3x3) instead of F(2x2,3x3) on large planes (see winoVariant). */
  winograd4: true,
  /** Winograd F(3x3,3x3) instead of F(2x2,3x3) on mid-size planes such as 17x17 (see winoVariant). */
  winograd3: true,
  /** Winograd F(6x6,3x3) instead of F(4x4,3x3) where its tiling needs fewer products, such as 35x35 (see winoVariant). */
  winograd6: true,
  /**
   * Networks with a fixed input size keep their F(2x2,3x3) layers' filters only in transformed form (see
   * Network); off: they keep dlib's filters and plans make the transforms (twice the memory, same numbers).
   */
  bakeWinograd: true,
  /** Polyphase Winograd F(3x3,4x4) for stride-2 unpadded convolutions with 5..8-tap filters (see winoS2Eligible). */
  winogradS2: true,
  /** Polyphase Winograd F(4x4,2x2) or F(3x3,2x2) for stride-2 unpadded 3x3 convolutions (see s2k3Tile). */
  winogradS2k3: true,
  /** relu over add_prev (the end of a residual block) as one kernel, `add_prev_relu` (same numbers). */
  addPrevRelu: true,
  /**
   * Plans of loss_metric networks (face descriptors) choose each layer's algorithm as for one sample at every batch
   * size: a face's descriptor has the same bits in a batch as alone, and batches get the faster per-sample algorithms
   * (larger Winograd tiles, polyphase stride-2 layers; the face ResNet at batch 16: 8.3 -> 6.2 ms per face). Other
   * networks' batches keep F(2x2,3x3) and im2col, whose rounding is closest to dlib's (see wino4Preferred).
   */
  metricBatchesPerSample: true,
};

/** Per-network Winograd-transformed filters (F2, F3, F4 and F6), keyed by the con layer's filter ParamRef, shared by plans. */
const winoCache = { 2: new WeakMap<object, Shared>(), 3: new WeakMap<object, Shared>(), 4: new WeakMap<object, Shared>(), 6: new WeakMap<object, Shared>() };

/** Output tile side of the Winograd variants F(m x m, 3x3): 2, 3, 4 or 6. */
type WinoM = 2 | 3 | 4 | 6;

/**
 * F(4x4,3x3) for a Winograd-eligible layer of a single-sample plan on planes of at least 32x32 with at least 32
 * channels in and out (35x35 planes of the face ResNet, one chip: 0.33 -> 0.26 ms). Its rounding is several times
 * F(2x2,3x3)'s (larger transform constants): batched plans keep F(2x2,3x3), which holds dlib's printed 6-digit
 * gender probabilities (F(4x4) on the ResNet-34's 38x38 layers at batch 16 moved one from 0.863875 to 0.863874),
 * and small planes / few channels keep it too (no measured gain there; tiny test nets sit near thresholds). Plans of
 * loss_metric networks choose for one sample at any batch size (`Plan.algShape`, convOptions.metricBatchesPerSample).
 */
function wino4Preferred(s: Shape, nf: number): boolean {
  return convOptions.winograd4 && s.n === 1 && s.k >= 32 && nf >= 32 && s.nr >= 32 && s.nc >= 32;
}

/**
 * F(3x3,3x3) for a Winograd-eligible single-sample layer with at least 32 channels in and out on planes of 13 to
 * 31 pixels a side whose 3x3 tiling needs under 80% of F(2x2)'s products (17x17: 25*36 vs 16*81; the face
 * ResNet's 64-channel layers 0.31 -> 0.23 ms). Not smaller planes (8x8: 9 tiles, slower), nor batches (the
 * same rounding argument as wino4Preferred: its error is between F(2x2)'s and F(4x4)'s).
 */
function wino3Preferred(s: Shape, nf: number): boolean {
  if (!convOptions.winograd3 || s.n !== 1 || s.k < 32 || nf < 32 || s.nr < 13 || s.nc < 13 || s.nr >= 32 || s.nc >= 32) return false;
  const t3 = Math.ceil(s.nr / 3) * Math.ceil(s.nc / 3), t2 = Math.ceil(s.nr / 2) * Math.ceil(s.nc / 2);
  return 25 * t3 < 0.8 * 16 * t2;
}

/**
 * F(6x6,3x3) instead of F(4x4) where F(4x4) is preferred and the 6x6 tiling needs under 85% of its products (35x35:
 * 64*36 vs 36*81; the face ResNet's 32-channel layers 0.25 -> 0.21 ms). Its rounding is a few times F(4x4)'s
 * (descriptors still within ~1e-6 of the direct convolution).
 */
function wino6Preferred(s: Shape): boolean {
  if (!convOptions.winograd6) return false;
  const t6 = Math.ceil(s.nr / 6) * Math.ceil(s.nc / 6), t4 = Math.ceil(s.nr / 4) * Math.ceil(s.nc / 4);
  return 64 * t6 < 0.85 * 36 * t4;
}

/** The Winograd variant a layer runs with: F(6x6) or F(4x4), F(3x3) (single samples, see above) or F(2x2). */
function winoVariant(s: Shape, nf: number): WinoM {
  if (wino4Preferred(s, nf)) return wino6Preferred(s) ? 6 : 4;
  return wino3Preferred(s, nf) ? 3 : 2;
}

function winoEligible(s: Shape, fnr: number, fnc: number, sy: number, sx: number, py: number, px: number): boolean {
  // From 3x3 planes and 4 tiles up: with the transformed filters packed in the micro-kernel layout (one
  // sequential stream, which the hardware prefetcher follows) even the one-sample 256-channel 4x4 and 3x3
  // planes, bound by reading 16/9 the bytes of the direct filters, are faster (0.55 -> 0.33 ms, 0.42 -> 0.33 ms);
  // unpacked they were slower than direct (0.69 ms).
  const tiles = s.n * Math.ceil(s.nr / 2) * Math.ceil(s.nc / 2);
  return convOptions.winograd && fnr === 3 && fnc === 3 && sy === 1 && sx === 1 && py === 1 && px === 1 && s.nr >= 3 && s.nc >= 3 && tiles >= 4;
}

/**
 * Stride-2x2, unpadded convolutions with 5..8 x 5..8 filters giving at least 3x3 outputs, with at least 16 filters, in
 * single-sample plans: run as a stride-1 4x4 convolution of the 4k polyphase channels by Winograd F(3x3,4x4),
 * `wino34s2_con` (CPU time: the face ResNet's first layer 7x7/2 3->32 on 150x150 1.21 -> 0.52 ms, descriptor
 * 9.0 -> 8.3 ms; mmod's 5x5/2 3->16 on 400x400 2.7 -> 2.3 ms, 16->32 on 198x198 6.1 -> 4.4 ms). Fewer filters keep
 * im2col: the transforms dominate there (5x5/2 3->4 was slower, 0.25 -> 0.28 ms; 3->8 hardly faster), and the tiny
 * mmod test nets (4 filters) sit on ties of equal detection scores that any reordering of the sums reorders.
 * Batched plans keep im2col as they keep F(2x2,3x3) (see wino4Preferred): on the ResNet-34 gender net's 7x7/2 stem at
 * batch 16 it moved dlib's printed 6-digit probability of one crop from 0.863875 to 0.863874.
 */
function winoS2Eligible(s: Shape, nf: number, fnr: number, fnc: number, sy: number, sx: number, py: number, px: number): boolean {
  return convOptions.winogradS2 && s.n === 1 && nf >= 16 && sy === 2 && sx === 2 && py === 0 && px === 0 && fnr >= 5 && fnr <= 8 && fnc >= 5 && fnc <= 8 &&
    s.nr >= fnr + 4 && s.nc >= fnc + 4; // (nr - fnr)/2 + 1 >= 3 output rows and cols
}

/**
 * Stride-2x2, unpadded 3x3 convolutions with at least 32 filters and 16 input channels in single-sample plans, giving
 * at least 4x4 outputs: run as a stride-1 2x2 convolution of the 4k polyphase channels by Winograd F(4x4,2x2)
 * (`wino42s2_con`) or F(3x3,2x2) (`wino32s2_con`). Of the two whose transformed filters take at most 1 MiB, the one
 * needing fewer multiply-adds with its tiles in panels of 4 (81 per 4x4 tile and 49 per 3x3 tile per filter and input
 * channel, the zero phases skipped), when that is under 82% of the direct convolution's 9 per output (returns the tile
 * side, or 0: im2col). The size cap: in a network each layer's transformed filters are read cold on every call (the
 * other layers' weights evict them), and these are 16-25/9 times the filters' size times the phase padding; the face
 * ResNet's 64->128 on 17x17 -> 8x8 by F(4x4) (3.3 MB) is 0.216 -> 0.141 ms in a hot loop but 0.262 -> 0.309 ms (wall,
 * caches flushed) and slower in the network's profile too, so it keeps im2col. CPU time, plain SIMD build, vs im2col +
 * gemm: the face ResNet's 32->64 on 35x35 -> 17x17 by F(3x3) (0.5 MB) 0.261 -> 0.210 ms hot, 0.281 -> 0.258 ms cold,
 * 0.28 -> 0.25..0.265 ms in the network's per-layer profile (F(4x4): 5x5 tiles cover 20x20, 0.275 ms hot);
 * 16->32 on 33x33 -> 16x16 by F(4x4) 0.061 -> 0.048 ms, 32->32 on 150x150 2.59 -> 2.23 ms (hot). Not the 3x3 outputs
 * of 128->256 on 8x8 (one tile: 0.157 -> 0.31 ms), nor under 16 input channels (padded to 4 per phase: 3->32 on
 * 150x150 0.29 -> 0.45 ms). Batched plans keep im2col (see winoS2Eligible).
 */
function s2k3Tile(s: Shape, nf: number, fnr: number, fnc: number, sy: number, sx: number, py: number, px: number): 0 | 3 | 4 {
  if (!convOptions.winogradS2k3 || s.n !== 1 || nf < 32 || s.k < 16 || fnr !== 3 || fnc !== 3 || sy !== 2 || sx !== 2 || py !== 0 || px !== 0) return 0;
  if (s.nr < 3 || s.nc < 3) return 0;
  const onr = ((s.nr - 3) >> 1) + 1, onc = ((s.nc - 3) >> 1) + 1;
  if (onr < 4 || onc < 4) return 0;
  const uBytes = (m: number) => (m === 4 ? 25 : 16) * 4 * Math.ceil(s.k / 4) * 4 * Math.ceil(nf / 8) * 8 * 4;
  const macs = (m: number) => Math.ceil((Math.ceil(onr / m) * Math.ceil(onc / m)) / 4) * 4 * (m === 4 ? 81 : 49);
  let best: 0 | 3 | 4 = 0;
  for (const m of [4, 3] as const) {
    if (uBytes(m) <= 1 << 20 && macs(m) < 0.82 * 9 * onr * onc && (best === 0 || macs(m) < macs(best))) best = m;
  }
  return best;
}

function winoS2k3Eligible(s: Shape, nf: number, fnr: number, fnc: number, sy: number, sx: number, py: number, px: number): boolean {
  return s2k3Tile(s, nf, fnr, fnc, sy, sx, py, px) !== 0;
}

/**
 * Con layers whose filters were replaced in the parameter store by the form their only algorithm reads (a
 * network with a fixed input size does this once, see `bakeCollector`), keyed by the filters ParamRef:
 * "wino2": `wino2_weights(_packed)` of the filters (packed: nf % 4 == 0), run by Winograd F(2x2,3x3) in every plan;
 * "tap": the [nf][k] slice of the one filter tap a 1x1 plane meets, run as a matrix-vector product.
 * The original filters no longer exist.
 */
const baked = new WeakMap<object, { kind: "wino2"; packed: boolean } | { kind: "tap" }>();

/** Record that `filters` now holds its baked form (see `bakeCollector`). */
export function markBaked(filters: ParamRef, kind: "wino2" | "tap", nf: number): void {
  baked.set(filters, kind === "wino2" ? { kind, packed: nf % 4 === 0 } : { kind });
}

/** A con layer whose filters can be baked: "wino2" (bytes 16*nf*k floats) or "tap" (nf*k floats: tap `tap` of each filter). */
export interface BakeCandidate { kind: "wino2" | "tap"; filters: ParamRef; nf: number; k: number; taps: number; tap: number }

/**
 * Collects, while `compile` runs (pass `add`), the con layers that run the same way at every batch size for
 * the plan's input size with the current `convOptions`: Winograd F(2x2,3x3) layers (those taking F(4x4) at
 * n = 1 are left out) and 1x1-plane layers (single tap). A network with a fixed input size may replace these
 * layers' filters by the form their algorithm reads, once, instead of keeping both (see Network): plans read
 * parameter addresses and make transforms only when bound, after that.
 */
export function bakeCollector(): { add: (c: BakeCandidate, s: Shape) => void; readonly list: BakeCandidate[] } {
  const found = new Map<ParamRef, BakeCandidate>();
  const mixed = new Set<ParamRef>(); // (filters met with two algorithms: left as they are)
  return {
    add: (c, s) => {
      if (baked.has(c.filters) || mixed.has(c.filters)) return;
      const had = found.get(c.filters);
      if ((c.kind === "wino2" && winoVariant({ ...s, n: 1 }, c.nf) !== 2) || (had && had.kind !== c.kind)) {
        mixed.add(c.filters);
        found.delete(c.filters);
      } else found.set(c.filters, c);
    },
    get list() {
      return [...found.values()];
    },
  };
}

type Ref = ParamRef | null;
const addr = (r: Ref): number => (r ? r.ptr : 0);

/**
 * `wino{m}_weights_packed` (m = 2, 3, 6; nf % 4 == 0) of `nf` filters of `kin` channels at `filters` into `dst`, in parts
 * of about 4096 (filter, channel) pairs: the engine runs each call in the code it started with, so one call for a
 * 256x256 layer ran all of its ~0.4 ms of work in baseline code on a process's first forward (the bake's transforms
 * took 13 ms of it); in parts, the optimised code takes over after the first ones. Same values.
 */
export function winoWeightsPacked(k: Kernels, m: WinoM, filters: number, nf: number, kin: number, dst: number): void {
  const fn = K.fnOf(k, `wino${m}_weights_packed_range`);
  const step = Math.max(4, Math.floor(4096 / Math.max(1, kin) / 4) * 4);
  for (let f = 0; f < nf; f += step) fn(filters, nf, kin, dst, f, Math.min(nf, f + step));
}

/** A filter form derived per layer (a transform, a tap slice), shared by the plans that bind it. */
type Shared = { ptr: number; refs: number };

/**
 * The address of a per-layer form of `filters` kept in `cache` and shared by plans: made by `make()` (which allocates
 * it in the arena) when the first plan binds the layer; each plan holds one reference, dropped when it is disposed,
 * and the last one releases the memory. Returns the plan's getter (call it when binding).
 */
function sharedFilterForm(plan: Plan, cache: WeakMap<object, Shared>, filters: ParamRef, make: () => number): () => number {
  let held: Shared | null = null;
  plan.onDispose.push(() => {
    if (held && --held.refs === 0) {
      plan.kernels.arena.release(held.ptr);
      cache.delete(filters);
    }
    held = null;
  });
  return () => {
    if (!held) {
      let e = cache.get(filters);
      if (!e) {
        e = { ptr: make(), refs: 0 };
        cache.set(filters, e);
      }
      e.refs++;
      held = e;
    }
    return held.ptr;
  };
}

/** The F(m x m, 3x3) transform of `filters` in the micro-kernel layout (a new arena block). */
function makeWino(k: Kernels, filters: ParamRef, kin: number, nf: number, wm: WinoM): number {
  const nxi = (wm + 2) * (wm + 2);
  const ptr = k.arena.allocF32(nxi * nf * kin);
  if (wm !== 4 && nf % 4 === 0) {
    winoWeightsPacked(k, wm, filters.ptr, nf, kin, ptr); // transformed and packed in one pass
  } else {
    K.fnOf(k, `wino${wm}_weights`)(filters.ptr, nf, kin, ptr);
  }
  if (wm === 4 && nf % 4 === 0) {
    // micro-kernel layout: 4 filters interleaved per k, one sequential stream per product (same sums)
    const tmp = k.arena.allocF32(nf * kin);
    K.fnOf(k, "wino_pack_u")(ptr, nxi, nf, kin, tmp);
    k.arena.release(tmp);
  }
  return ptr;
}

/**
 * Bind a Winograd convolution. Its filters are read when the plan is bound: the baked transform of a
 * fixed-input network's parameter store, or a transform made then (cached per layer, released with the
 * last plan using it). `gamma`/`beta` null = no affine.
 */
function winoOp(plan: Plan, filters: ParamRef, biases: Ref, s: Shape, nf: number, gamma: Ref, beta: Ref, relu: boolean, x: number, out: number): (p: (v: number) => number) => () => void {
  const k = plan.kernels;
  plan.candidate?.({ kind: "wino2", filters, nf, k: s.k, taps: 9, tap: 0 }, s);
  const wm: WinoM = baked.has(filters) ? 2 : winoVariant(plan.algShape(s), nf);
  const v = `wino${wm}`;
  plan.scratchFloats = Math.max(plan.scratchFloats, K.fnOf(k, `${v}_scratch_floats`)(s.n, s.k, s.nr, s.nc, nf) as number);
  const fn = K.fnOf(k, `${v}_con`);
  const r = relu ? 1 : 0;
  const transform = sharedFilterForm(plan, winoCache[wm], filters, () => makeWino(k, filters, s.k, nf, wm));
  return (p) => {
    const a = p(x), b = p(out), sc = plan.scratchPtr, bi = addr(biases), g = addr(gamma), be = addr(beta);
    const bk = baked.get(filters);
    let u: number, packed: number;
    if (bk?.kind === "wino2" && wm === 2) {
      u = filters.ptr;
      packed = bk.packed ? 1 : 0;
    } else {
      if (bk) throw new Error("internal: baked filters bound by another algorithm");
      u = transform();
      packed = nf % 4 === 0 ? 1 : 0;
    }
    return () => void fn(a, s.n, s.k, s.nr, s.nc, u, nf, bi, g, be, r, b, sc, packed);
  };
}

/** Per-network wino34s2_weights of stride-2 filters, keyed by the con layer's filter ParamRef, shared by plans. */
const winoS2Cache = new WeakMap<object, Shared>();

/**
 * Bind a stride-2 polyphase Winograd convolution (see winoS2Eligible). The filters' transform is made when the plan
 * is bound, cached per layer and released with the last plan using it (never baked). `gamma`/`beta` null = no affine.
 */
function winoS2Op(plan: Plan, filters: ParamRef, biases: Ref, s: Shape, nf: number, fnr: number, fnc: number, gamma: Ref, beta: Ref, relu: boolean, x: number, out: number): (p: (v: number) => number) => () => void {
  const k = plan.kernels;
  plan.scratchFloats = Math.max(plan.scratchFloats, K.fnOf(k, "wino34s2_scratch_floats")(s.n, s.k, s.nr, s.nc, nf) as number);
  const fn = K.fnOf(k, "wino34s2_con");
  const r = relu ? 1 : 0;
  const transform = sharedFilterForm(plan, winoS2Cache, filters, () => {
    const ptr = k.arena.allocF32(K.fnOf(k, "wino34s2_weights_floats")(nf, s.k) as number);
    K.fnOf(k, "wino34s2_weights")(filters.ptr, nf, s.k, fnr, fnc, ptr);
    return ptr;
  });
  return (p) => {
    const a = p(x), b = p(out), sc = plan.scratchPtr, bi = addr(biases), g = addr(gamma), be = addr(beta);
    const u = transform();
    return () => void fn(a, s.n, s.k, s.nr, s.nc, u, nf, fnr, fnc, bi, g, be, r, b, sc);
  };
}

/** Per-network wino42s2_weights (4) / wino32s2_weights (3) of stride-2 3x3 filters, keyed by the con layer's filter ParamRef. */
const winoS2k3Cache = { 3: new WeakMap<object, Shared>(), 4: new WeakMap<object, Shared>() };

/**
 * Bind a stride-2 3x3 polyphase Winograd convolution (see s2k3Tile; F(4x4,2x2) or F(3x3,2x2)). The filters' transform
 * is made when the plan is bound, cached per layer and variant and released with the last plan using it (never baked).
 * `gamma`/`beta` null = no affine.
 */
function winoS2k3Op(plan: Plan, filters: ParamRef, biases: Ref, s: Shape, nf: number, gamma: Ref, beta: Ref, relu: boolean, x: number, out: number): (p: (v: number) => number) => () => void {
  const k = plan.kernels;
  const m = s2k3Tile(plan.algShape(s), nf, 3, 3, 2, 2, 0, 0) === 3 ? 3 : 4;
  const pre = m === 4 ? "wino42s2" : "wino32s2";
  plan.scratchFloats = Math.max(plan.scratchFloats, K.fnOf(k, `${pre}_scratch_floats`)(s.n, s.k, s.nr, s.nc, nf) as number);
  const fn = K.fnOf(k, `${pre}_con`);
  const r = relu ? 1 : 0;
  const transform = sharedFilterForm(plan, winoS2k3Cache[m], filters, () => {
    const ptr = k.arena.allocF32(K.fnOf(k, `${pre}_weights_floats`)(nf, s.k) as number);
    K.fnOf(k, `${pre}_weights`)(filters.ptr, nf, s.k, ptr);
    return ptr;
  });
  return (p) => {
    const a = p(x), b = p(out), sc = plan.scratchPtr, bi = addr(biases), g = addr(gamma), be = addr(beta);
    const u = transform();
    return () => void fn(a, s.n, s.k, s.nr, s.nc, u, nf, bi, g, be, r, b, sc);
  };
}

/** Per-network single-tap filter slices ([nf][k]), keyed by the con layer's filter ParamRef. */
const tapCache = new WeakMap<object, Shared>();

/**
 * A convolution of a 1x1 plane giving a 1x1 plane (a padded 3x3 conv after the last stride-2 layer) only
 * meets the input with filter tap (padY, padX): bind it as a matrix-vector product over a [nf][k] copy of
 * that tap (made when bound, shared by the plans; a fixed-input network's parameter store may hold it
 * instead of the filters), instead of reading all nr*nc taps of every filter.
 */
function singleTapOp(plan: Plan, filters: ParamRef, biases: Ref, s: Shape, nf: number, fnr: number, fnc: number, tap: number, gamma: Ref, beta: Ref, relu: boolean, x: number, out: number): (p: (v: number) => number) => () => void {
  const k = plan.kernels;
  plan.candidate?.({ kind: "tap", filters, nf, k: s.k, taps: fnr * fnc, tap }, s);
  const gemm = K.fnOf(k, "gemm");
  const r = relu ? 1 : 0;
  const slice = sharedFilterForm(plan, tapCache, filters, () => {
    const ptr = k.arena.allocF32(nf * s.k);
    K.fnOf(k, "gather_stride")(filters.ptr + 4 * tap, nf * s.k, fnr * fnc, ptr); // (the bake uses it too)
    return ptr;
  });
  return (p) => {
    const a = p(x), b = p(out), bi = addr(biases), g = addr(gamma), be = addr(beta);
    const w = baked.get(filters)?.kind === "tap" ? filters.ptr : slice();
    return () => {
      for (let i = 0; i < s.n; i++) gemm(nf, 1, s.k, w, s.k, a + 4 * i * s.k, 1, b + 4 * i * nf, 1, bi, g, be, r);
    };
  };
}

const isSingleTap = (s: Shape, fnr: number, fnc: number, py: number, px: number) =>
  s.nr === 1 && s.nc === 1 && fnr === 2 * py + 1 && fnc === 2 * px + 1 && (fnr > 1 || fnc > 1);

/**
 * The algorithm `compile` picks for a con layer on input shape `s` (with the current `convOptions`):
 * "winograd6" F(6x6,3x3), "winograd4" F(4x4,3x3), "winograd3" F(3x3,3x3), "winograd2" F(2x2,3x3), "winograd_s2"
 * (stride 2 through polyphase F(3x3,4x4)), "winograd_s2k3" (3x3 stride 2 through polyphase F(4x4,2x2) or F(3x3,2x2)), "single_tap" (1x1 plane through a padded filter) or "im2col" (packed
 * im2col + SIMD gemm, the general path).
 */
export function conAlgorithm(s: Shape, nf: number, fnr: number, fnc: number, sy: number, sx: number, py: number, px: number): "winograd6" | "winograd4" | "winograd3" | "winograd2" | "winograd_s2" | "winograd_s2k3" | "single_tap" | "im2col" {
  if (winoEligible(s, fnr, fnc, sy, sx, py, px)) return `winograd${winoVariant(s, nf)}`;
  if (winoS2Eligible(s, nf, fnr, fnc, sy, sx, py, px)) return "winograd_s2";
  if (winoS2k3Eligible(s, nf, fnr, fnc, sy, sx, py, px)) return "winograd_s2k3";
  if (isSingleTap(s, fnr, fnc, py, px)) return "single_tap";
  return "im2col";
}

/**
 * Compile `model` for a batch of `n` inputs of `nr` x `nc` (after the input layer, i.e. the tensor size).
 * With `fuse`, con+affine(+relu) run as one kernel (same numbers up to float rounding of the fused epilogue);
 * traces compile with fuse = false so that every layer's own output is kept.
 */
export function compile(kernels: Kernels, model: LossModel, n: number, nr: number, nc: number, fuse = true, candidate?: (c: BakeCandidate, s: Shape) => void): Plan {
  const plan = new Plan(kernels);
  plan.candidate = candidate;
  plan.perSample = convOptions.metricBatchesPerSample && model.type === "loss_metric";
  const emit = (node: ModelNode, index: number, tags: Map<number, number>, repeatInput: number): number => {
    switch (node.kind) {
      case "input": {
        const v = plan.addValue({ n, k: 3, nr, nc });
        plan.input = v;
        plan.steps.push({ index, type: "input", desc: node.version, out: v, ins: [], op: null, inplace: false });
        return v;
      }
      case "repeat_input":
        return repeatInput;
      case "tag": {
        const x = emit(node.subnet, index + 1, tags, repeatInput);
        const v = plan.addValue(plan.values[x].shape, x);
        tags.set(node.id, v);
        plan.steps.push({ index, type: `tag${node.id}`, desc: `tag${node.id}`, out: v, ins: [x], op: null, inplace: false });
        return v;
      }
      case "skip": {
        emit(node.subnet, index + 1, tags, repeatInput);
        const t = tags.get(node.id);
        if (t === undefined) throw new UnsupportedShapeError(`layer<${index}> skip${node.id}: no tag${node.id} below it`);
        const v = plan.addValue(plan.values[t].shape, t);
        plan.steps.push({ index, type: `skip${node.id}`, desc: `skip${node.id}`, out: v, ins: [t], op: null, inplace: false });
        return v;
      }
      case "repeat": {
        const per = countModelLayers(node.blocks[0]);
        let x = emit(node.subnet, index + node.blocks.length * per, tags, repeatInput);
        for (let i = node.blocks.length - 1; i >= 0; i--) {
          x = emit(node.blocks[i], index + i * per, new Map(), x);
        }
        return x;
      }
      case "layer": {
        const fusedV = fuse ? emitFused(node, index, tags, repeatInput) : -1;
        if (fusedV >= 0) return fusedV;
        const residualV = fuse ? emitAddPrevRelu(node, index, tags, repeatInput) : -1;
        if (residualV >= 0) return residualV;
        const x = emit(node.subnet, index + 1, tags, repeatInput);
        const d = node.details;
        let ins = [x];
        let second: Shape[] | undefined;
        if (d.type === "add_prev") {
          const t = tags.get(d.tag);
          if (t === undefined) throw new UnsupportedShapeError(`layer<${index}> add_prev${d.tag}: no tag${d.tag} below it`);
          ins = [x, t];
          second = [plan.values[t].shape];
        } else if (d.type === "concat") {
          ins = d.tags.map((id) => {
            const t = tags.get(id);
            if (t === undefined) throw new UnsupportedShapeError(`layer<${index}> concat: no tag${id} below it`);
            return t;
          });
          second = ins.map((v) => plan.values[v].shape);
        }
        const inShape = plan.values[x].shape;
        const shape = outShape(d, inShape, index, second);
        const v = plan.addValue(shape);
        const step: Step = { index, type: layerTypeName(d), get desc() { return describeLayer(d); }, out: v, ins, op: null, inplace: false };
        bindOp(plan, step, d, ins.map((i) => plan.values[i].shape), shape);
        plan.steps.push(step);
        return v;
      }
      case "loss":
        throw new UnsupportedShapeError("nested loss layer");
    }
  };
  /**
   * con -> affine (conv mode) [-> relu] as one kernel call. Only when the con's output is not tagged (the
   * affine is its only reader); the fused layers' steps stay in the plan as aliases of the result.
   */
  const emitFused = (node: ModelNode & { kind: "layer" }, index: number, tags: Map<number, number>, repeatInput: number): number => {
    let relu: (ModelNode & { kind: "layer" }) | null = null;
    let aff: ModelNode = node;
    if (node.details.type === "relu" && !node.details.disabled) {
      relu = node;
      aff = node.subnet;
    }
    if (aff.kind !== "layer" || aff.details.type !== "affine" || aff.details.mode !== 0 || aff.details.disabled) return -1;
    const con = aff.subnet;
    if (con.kind !== "layer" || con.details.type !== "con" || con.details.useRelu) return -1;
    const conIndex = index + (relu ? 2 : 1);
    const x = emit(con.subnet, conIndex + 1, tags, repeatInput);
    const cd = con.details;
    const ad = aff.details;
    const s = plan.values[x].shape;
    const shape = outShape(cd, s, conIndex);
    const v = plan.addValue(shape);
    const step: Step = { index: conIndex, type: "con", get desc() { return describeLayer(cd); }, out: v, ins: [x], op: null, inplace: false };
    const g = { n: s.n, k: s.k, nr: s.nr, nc: s.nc, numFilters: cd.numFilters, fnr: cd.nr, fnc: cd.nc, strideY: cd.strideY, strideX: cd.strideX, padY: cd.paddingY, padX: cd.paddingX };
    const sa = plan.algShape(s);
    if (baked.get(cd.filters)?.kind === "wino2" || winoEligible(sa, cd.nr, cd.nc, cd.strideY, cd.strideX, cd.paddingY, cd.paddingX)) {
      step.op = winoOp(plan, cd.filters, cd.biases, s, cd.numFilters, ad.gamma, ad.beta, !!relu, x, v);
    } else if (!baked.has(cd.filters) && winoS2Eligible(sa, cd.numFilters, cd.nr, cd.nc, cd.strideY, cd.strideX, cd.paddingY, cd.paddingX)) {
      step.op = winoS2Op(plan, cd.filters, cd.biases, s, cd.numFilters, cd.nr, cd.nc, ad.gamma, ad.beta, !!relu, x, v);
    } else if (!baked.has(cd.filters) && winoS2k3Eligible(sa, cd.numFilters, cd.nr, cd.nc, cd.strideY, cd.strideX, cd.paddingY, cd.paddingX)) {
      step.op = winoS2k3Op(plan, cd.filters, cd.biases, s, cd.numFilters, ad.gamma, ad.beta, !!relu, x, v);
    } else if (baked.get(cd.filters)?.kind === "tap" || isSingleTap(s, cd.nr, cd.nc, cd.paddingY, cd.paddingX)) {
      step.op = singleTapOp(plan, cd.filters, cd.biases, s, cd.numFilters, cd.nr, cd.nc, cd.paddingY * cd.nc + cd.paddingX, ad.gamma, ad.beta, !!relu, x, v);
    } else {
      plan.scratchFloats = Math.max(plan.scratchFloats, K.conScratchFloats(kernels, g));
      step.op = (p) => K.conForwardBound(kernels, { ...g, x: p(x), filters: cd.filters.ptr, biases: cd.biases ? cd.biases.ptr : 0, gamma: ad.gamma.ptr, beta: ad.beta.ptr, relu: !!relu, out: p(v), scratch: plan.scratchPtr });
    }
    plan.steps.push(step);
    const a1 = plan.addValue(shape, v);
    plan.steps.push({ index: conIndex - 1, type: "affine", desc: "affine", out: a1, ins: [v], op: null, inplace: false });
    if (!relu) return a1;
    const a2 = plan.addValue(shape, v);
    plan.steps.push({ index, type: "relu", desc: "relu", out: a2, ins: [a1], op: null, inplace: false });
    return a2;
  };
  /**
   * relu -> add_prev (a residual block's end) as one kernel call, `add_prev_relu` (the same numbers as the two
   * steps); the relu step stays in the plan as an alias of the result.
   */
  const emitAddPrevRelu = (node: ModelNode & { kind: "layer" }, index: number, tags: Map<number, number>, repeatInput: number): number => {
    if (!convOptions.addPrevRelu || node.details.type !== "relu" || node.details.disabled) return -1;
    const ap = node.subnet;
    if (ap.kind !== "layer" || ap.details.type !== "add_prev") return -1;
    const d = ap.details;
    const x = emit(ap.subnet, index + 2, tags, repeatInput);
    const t = tags.get(d.tag);
    if (t === undefined) throw new UnsupportedShapeError(`layer<${index + 1}> add_prev${d.tag}: no tag${d.tag} below it`);
    const sa = plan.values[x].shape, sb = plan.values[t].shape;
    const shape = outShape(d, sa, index + 1, [sb]);
    const v = plan.addValue(shape);
    const step: Step = { index: index + 1, type: layerTypeName(d), get desc() { return describeLayer(d); }, out: v, ins: [x, t], op: null, inplace: false };
    const f = K.fnOf(kernels, "add_prev_relu");
    step.op = (p) => {
      const a = p(x), b = p(t), o = p(v);
      return () => void f(a, sa.n, sa.k, sa.nr, sa.nc, b, sb.n, sb.k, sb.nr, sb.nc, o);
    };
    plan.steps.push(step);
    const r = plan.addValue(shape, v);
    plan.steps.push({ index, type: "relu", desc: "relu", out: r, ins: [v], op: null, inplace: false });
    return r;
  };
  try {
    plan.output = emit(model.subnet, 1, new Map(), -1);
  } catch (e) {
    plan.dispose();
    throw e;
  } finally {
    plan.candidate = undefined;
  }
  return plan;
}

/** Layer indices a loaded node chain occupies (every add_layer, tag, skip and the input count one). */
export function countModelLayers(b: ModelNode): number {
  let c = 0;
  let cur: ModelNode | null = b;
  while (cur) {
    switch (cur.kind) {
      case "layer": case "tag": case "skip": c++; cur = cur.subnet; break;
      case "repeat": c += cur.blocks.length * countModelLayers(cur.blocks[0]); cur = cur.subnet; break;
      case "input": c++; cur = null; break;
      default: cur = null;
    }
  }
  return c;
}

/** Attach the kernel call for one layer (a binder: arguments are fixed once the buffers are assigned). */
function bindOp(plan: Plan, step: Step, d: LayerDetails, ins: Shape[], o: Shape): void {
  const k = plan.kernels;
  const s = ins[0];
  const [x] = step.ins;
  const out = step.out;
  const fn = (name: string) => K.fnOf(k, name);
  const len = sizeOf(o);
  switch (d.type) {
    case "con": {
      const g = { n: s.n, k: s.k, nr: s.nr, nc: s.nc, numFilters: d.numFilters, fnr: d.nr, fnc: d.nc, strideY: d.strideY, strideX: d.strideX, padY: d.paddingY, padX: d.paddingX };
      const sa = plan.algShape(s);
      if (baked.get(d.filters)?.kind === "wino2" || winoEligible(sa, d.nr, d.nc, d.strideY, d.strideX, d.paddingY, d.paddingX)) {
        step.op = winoOp(plan, d.filters, d.biases, s, d.numFilters, null, null, d.useRelu, x, out);
        return;
      }
      if (!baked.has(d.filters) && winoS2Eligible(sa, d.numFilters, d.nr, d.nc, d.strideY, d.strideX, d.paddingY, d.paddingX)) {
        step.op = winoS2Op(plan, d.filters, d.biases, s, d.numFilters, d.nr, d.nc, null, null, d.useRelu, x, out);
        return;
      }
      if (!baked.has(d.filters) && winoS2k3Eligible(sa, d.numFilters, d.nr, d.nc, d.strideY, d.strideX, d.paddingY, d.paddingX)) {
        step.op = winoS2k3Op(plan, d.filters, d.biases, s, d.numFilters, null, null, d.useRelu, x, out);
        return;
      }
      if (baked.get(d.filters)?.kind === "tap" || isSingleTap(s, d.nr, d.nc, d.paddingY, d.paddingX)) {
        step.op = singleTapOp(plan, d.filters, d.biases, s, d.numFilters, d.nr, d.nc, d.paddingY * d.nc + d.paddingX, null, null, d.useRelu, x, out);
        return;
      }
      plan.scratchFloats = Math.max(plan.scratchFloats, K.conScratchFloats(k, g));
      step.op = (p) => {
        const conv = K.conForwardBound(k, { ...g, x: p(x), filters: d.filters.ptr, biases: d.biases ? d.biases.ptr : 0, out: p(out), scratch: plan.scratchPtr });
        if (!d.useRelu) return conv;
        const relu = fn("relu"), po = p(out);
        return () => { conv(); relu(po, len, po); };
      };
      return;
    }
    case "fc": {
      const fc = fn("fc_forward");
      step.op = (p) => { const a = p(x), b = p(out), w = d.weights.ptr, bias = d.biases ? d.biases.ptr : 0; return () => void fc(a, s.n, d.numInputs, w, d.numOutputs, bias, b); };
      return;
    }
    case "relu": {
      step.inplace = true;
      const r = fn(d.disabled ? "copy" : "relu");
      step.op = (p) => { const a = p(x), b = p(out); return () => void r(a, len, b); };
      return;
    }
    case "multiply": {
      step.inplace = true;
      const m = fn("multiply");
      step.op = (p) => { const a = p(x), b = p(out); return () => void m(a, len, d.val, b); };
      return;
    }
    case "affine": {
      step.inplace = true;
      if (d.disabled) {
        const c = fn("copy");
        step.op = (p) => { const a = p(x), b = p(out); return () => void c(a, len, b); };
      } else if (d.mode === 0) {
        const af = fn("affine_conv");
        step.op = (p) => { const a = p(x), b = p(out); return () => void af(a, s.n, s.k, s.nr * s.nc, d.gamma.ptr, d.beta.ptr, b); };
      } else {
        const af = fn("affine_fc");
        step.op = (p) => { const a = p(x), b = p(out); return () => void af(a, s.n, s.k * s.nr * s.nc, d.gamma.ptr, d.beta.ptr, b); };
      }
      return;
    }
    case "bn_con": {
      step.inplace = true;
      const bn = fn("bn_inference_conv");
      step.op = (p) => { const a = p(x), b = p(out); return () => void bn(a, s.n, s.k, s.nr * s.nc, d.gamma.ptr, d.beta.ptr, d.runningMeans.ptr, d.runningVariances.ptr, d.eps, b); };
      return;
    }
    case "bn_fc": {
      step.inplace = true;
      const bn = fn("bn_inference_fc");
      step.op = (p) => { const a = p(x), b = p(out); return () => void bn(a, s.n, s.k * s.nr * s.nc, d.gamma.ptr, d.beta.ptr, d.runningMeans.ptr, d.runningVariances.ptr, d.eps, b); };
      return;
    }
    case "max_pool":
    case "avg_pool": {
      const wr = d.nr === 0 ? s.nr : d.nr;
      const wc = d.nc === 0 ? s.nc : d.nc;
      const pf = fn(d.type);
      step.op = (p) => { const a = p(x), b = p(out); return () => void pf(a, s.n, s.k, s.nr, s.nc, wr, wc, d.strideY, d.strideX, d.paddingY, d.paddingX, b); };
      return;
    }
    case "add_prev": {
      const t = ins[1];
      const y = step.ins[1];
      const ap = fn("add_prev");
      step.op = (p) => { const a = p(x), b = p(y), c = p(out); return () => void ap(a, s.n, s.k, s.nr, s.nc, b, t.n, t.k, t.nr, t.nc, c); };
      return;
    }
    case "concat": {
      step.op = (p) => {
        const parts: (() => void)[] = [];
        let off = 0;
        step.ins.forEach((v, i) => {
          const src = p(v), dst = p(out), sh = ins[i], at = off;
          parts.push(() => K.concatChannels(k, src, sh.n, sh.k, sh.nr * sh.nc, dst, o.k, at));
          off += ins[i].k;
        });
        return () => { for (const f of parts) f(); };
      };
      return;
    }
    case "softmax": {
      const sm = fn("softmax");
      step.op = (p) => { const a = p(x), b = p(out); return () => void sm(a, s.n, s.k, s.nr * s.nc, b); };
      return;
    }
  }
}

/**
 * Fill the input tensor of dlib's input_rgb_image(_sized) at `ptr` (n = images.length samples of 3 x nr x nc
 * floats): (pixel - avg)/256 per channel, NCHW. Each image's bytes are copied into the last quarter of its own
 * sample and converted there in place by the `rgb_input` kernel (no other memory).
 */
export function fillRgbInputKernel(kernels: Kernels, ptr: number, input: InputModel, images: { width: number; height: number; data: Uint8Array }[], nr: number, nc: number): void {
  const plane = nr * nc;
  const f = K.fnOf(kernels, "rgb_input");
  const ar = Math.fround(input.avgRed), ag = Math.fround(input.avgGreen), ab = Math.fround(input.avgBlue);
  images.forEach((img, s) => {
    const base = ptr + s * 12 * plane;
    kernels.arena.U8.set(img.data.subarray(0, 3 * plane), base + 9 * plane);
    f(base + 9 * plane, plane, ar, ag, ab, base);
  });
}

/** Reference of `fillRgbInputKernel` in JS, into a float view of the input tensor. */
export function fillRgbInput(dst: Float32Array, input: InputModel, images: { width: number; height: number; data: Uint8Array }[], nr: number, nc: number): void {
  const plane = nr * nc;
  const ar = Math.fround(input.avgRed), ag = Math.fround(input.avgGreen), ab = Math.fround(input.avgBlue);
  images.forEach((img, s) => {
    const base = s * 3 * plane;
    const px = img.data;
    for (let i = 0; i < plane; i++) {
      dst[base + i] = Math.fround(px[3 * i] - ar) / 256;
      dst[base + plane + i] = Math.fround(px[3 * i + 1] - ag) / 256;
      dst[base + 2 * plane + i] = Math.fround(px[3 * i + 2] - ab) / 256;
    }
  });
}
