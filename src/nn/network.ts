/**
 * The public network object: a dlib network file read with its C++ type, compiled for the kernels, run on
 * RGB images. `forward` returns, per image, the output of the last layer before the loss (NCHW sample).
 */
import type { RgbImage } from "../image/types.js";
import type { NetType } from "../dlib/nettype.js";
import type { InputModel, LossModel, ModelNode, ParamRef } from "../dlib/model.js";
import { readNetwork, countLayers, type ParamSink } from "../dlib/network-reader.js";
import { readSource, isBzip2, type ModelSource } from "../dlib/source.js";
import { parseNetDefinition } from "../dlib/netdef.js";
import { KNOWN_NETS, getKnownNet, parseKnownNet } from "../dlib/known-nets.js";
import { DlibFormatError, WrongNetworkError } from "../errors.js";
import { createKernels, defaultKernels, WasmOutOfMemoryError, type Kernels } from "./wasm.js";
import { compile, convOptions, countModelLayers, describeLayer, fillRgbInput, fmt, markWinograd2Baked, Plan, winogradBakeCandidates, type Shape } from "./runtime.js";

export interface LoadNetworkOptions {
  /**
   * The network's C++ type: a known id (see `knownNetworks()`), dlib C++ definition text
   * (`template<...> using ...; using net_type = ...;`), or a parsed NetType. Default: detected from the file.
   */
  type?: string | NetType;
  /** Name for error messages. */
  name?: string;
  /** Kernel instance (default: the process-wide one). */
  kernels?: Kernels;
  /** Largest decompressed model size accepted, bytes (default 1 GiB). */
  maxBytes?: number;
  /**
   * Total wasm memory limit in bytes. Without `kernels`, the network gets its own kernel instance with this
   * limit (instead of the shared one); with `kernels`, that instance's limit is lowered to it. Loading or
   * running past it throws WasmOutOfMemoryError (a LimitError).
   */
  maxMemoryBytes?: number;
}

export interface TraceEntry {
  index: number;
  type: string;
  desc: string;
  shape: [number, number, number, number];
  sum: number;
  sum_abs: number;
  first: number[];
}

export interface ForwardResult {
  shape: [number, number, number, number];
  outputs: Float32Array[];
  trace?: { input: TraceEntry; layers: TraceEntry[] }[];
}

/** Resolve a `type` option to a NetType. */
export function resolveNetType(type: string | NetType): NetType {
  if (typeof type !== "string") return type;
  if (getKnownNet(type)) return parseKnownNet(type);
  return parseNetDefinition(type, { source: "<type option>" });
}

/** Detect the type of a network file among the known definitions (dry-run read, nothing allocated). */
export function detectNetType(bytes: Uint8Array, name: string, candidates = KNOWN_NETS.map((k) => k.id)): NetType {
  const tried: string[] = [];
  for (const id of candidates) {
    const t = resolveNetType(id);
    try {
      readNetwork(bytes, t.root, null, name);
      return t;
    } catch (e) {
      if (!(e instanceof DlibFormatError)) throw e;
      tried.push(`${id} (${e.message.replace(`${name} `, "")})`);
    }
  }
  throw new DlibFormatError(`the file matches none of the known network types; pass the network's C++ definition as its type. Tried: ${tried.join("; ")}`, { file: name });
}

/**
 * The model file itself, in one arena block, becomes the parameter store: each parameter tensor is moved
 * (memmove) to the next 4-byte aligned place at the front of the block, dropping headers and metadata, and
 * the block is then shrunk to the parameters. No second copy of the weights is ever made.
 */
class CompactingSink implements ParamSink {
  private cursor: number;
  private readonly end: number;
  readonly ptrs: number[];
  constructor(readonly k: Kernels, public block: number, readonly length: number) {
    this.cursor = block;
    this.end = block + length;
    this.ptrs = [block];
  }
  place(offset: number, byteLength: number): number {
    const src = this.block + offset;
    const dest = (this.cursor + 3) & ~3;
    if (dest > src || src + byteLength > this.end) throw new Error(`internal: in-place parameter move out of order (${dest} > ${src})`);
    if (dest !== src) this.k.arena.U8.copyWithin(dest, src, src + byteLength);
    this.cursor = dest + byteLength;
    return dest;
  }
  allocF32(): number {
    throw new Error("internal: CompactingSink allocates nothing");
  }
  f32(ptr: number, n: number) {
    return this.k.arena.f32(ptr, n);
  }
  /** Bytes of the block in use after the read. */
  get used(): number {
    return this.cursor - this.block;
  }
  /** The parameters moved to `block` (`used` bytes); the old block was released by the caller. */
  moved(block: number, used: number): void {
    this.ptrs[this.ptrs.indexOf(this.block)] = block;
    this.block = block;
    this.cursor = block + used;
  }
  releaseAll() {
    for (const p of this.ptrs) this.k.arena.release(p);
    this.ptrs.length = 0;
  }
}

/**
 * Load a dlib network (.dat/.dnn, optionally .bz2) from bytes, a path, a URL or a stream.
 * Without `type`, the known network types are tried and the one that reads the file exactly is used.
 */
export async function loadNetwork(source: ModelSource, opts: LoadNetworkOptions = {}): Promise<Network> {
  let kernels = opts.kernels;
  if (opts.maxMemoryBytes !== undefined) {
    if (kernels) kernels.arena.maxBytes = Math.min(kernels.arena.maxBytes, opts.maxMemoryBytes);
    else kernels = await createKernels({ maxMemoryBytes: opts.maxMemoryBytes });
  }
  kernels ??= await defaultKernels();
  // an uncompressed file on disk is read straight into the kernel memory: no copy in JS at all
  const direct = await readFileIntoArena(source, kernels, opts);
  if (direct) {
    const { block, length, name } = direct;
    try {
      const type = opts.type !== undefined ? resolveNetType(opts.type) : detectNetType(kernels.arena.u8(block, length), name);
      return Network.fromArenaBlock(kernels, block, length, type, name);
    } catch (e) {
      if (kernels.arena.isLive(block)) kernels.arena.release(block);
      throw e;
    }
  }
  const { bytes, name } = await readSource(source, { name: opts.name, maxBytes: opts.maxBytes });
  const type = opts.type !== undefined ? resolveNetType(opts.type) : detectNetType(bytes, name);
  return Network.fromBytes(bytes, type, kernels, name);
}

/**
 * Node, a local path to an uncompressed file: read it (synchronously, so the memory cannot grow under the
 * read) into a new arena block. Null for anything else (other sources, .bz2 content, other runtimes).
 */
async function readFileIntoArena(source: ModelSource, kernels: Kernels, opts: LoadNetworkOptions): Promise<{ block: number; length: number; name: string } | null> {
  if (typeof source !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) return null;
  if (typeof process === "undefined" || !process.versions?.node) return null;
  const fs = await import("node:fs");
  const name = opts.name ?? source;
  let fd: number;
  try {
    fd = fs.openSync(source, "r");
  } catch {
    return null; // let readSource report it
  }
  try {
    const size = fs.fstatSync(fd).size;
    const max = opts.maxBytes ?? 1 << 30;
    const head = new Uint8Array(4);
    fs.readSync(fd, head, 0, 4, 0);
    if (isBzip2(head) || size > max || size === 0) return null;
    const block = kernels.arena.alloc(size);
    try {
      let off = 0;
      while (off < size) {
        const n = Math.min(size - off, 8 << 20);
        const got = fs.readSync(fd, kernels.arena.u8(block + off, n), 0, n, off);
        if (got <= 0) throw new DlibFormatError(`file ended after ${off} of ${size} bytes while reading`, { file: name, offset: off });
        off += got;
      }
    } catch (e) {
      kernels.arena.release(block);
      throw e;
    }
    return { block, length: size, name };
  } finally {
    fs.closeSync(fd);
  }
}

/** Every parameter tensor of a loaded model (each once). */
function collectParamRefs(m: LossModel): ParamRef[] {
  const out = new Set<ParamRef>();
  const isRef = (v: unknown): v is ParamRef => !!v && typeof v === "object" && typeof (v as ParamRef).ptr === "number" && typeof (v as ParamRef).length === "number";
  const walk = (n: ModelNode): void => {
    switch (n.kind) {
      case "layer":
        for (const v of Object.values(n.details)) if (isRef(v)) out.add(v);
        walk(n.subnet);
        break;
      case "tag": case "skip": walk(n.subnet); break;
      case "repeat": n.blocks.forEach(walk); walk(n.subnet); break;
      case "loss": walk(n.subnet); break;
      default: break;
    }
  };
  walk(m);
  return [...out];
}

function inputOf(m: ModelNode): InputModel {
  let cur: ModelNode = m;
  for (;;) {
    switch (cur.kind) {
      case "input": return cur;
      case "repeat": cur = cur.subnet; break;
      case "repeat_input": throw new Error("repeat input outside a repeat");
      default: cur = cur.subnet;
    }
  }
}

export class Network {
  readonly input: InputModel;
  private plans = new Map<string, Plan>();
  private disposed = false;
  private baked = false;

  private constructor(
    readonly model: LossModel,
    readonly type: NetType,
    readonly kernels: Kernels,
    readonly name: string,
    private readonly params: CompactingSink,
  ) {
    this.input = inputOf(model.subnet);
  }

  /** Read `bytes` (decompressed) with `type` into `kernels`' memory. */
  /**
   * Read `bytes` (a decompressed dlib network file) with `type`: the bytes are copied once into the
   * kernel memory and compacted there into the parameters (see `fromArenaBlock`).
   */
  static fromBytes(bytes: Uint8Array, type: NetType, kernels: Kernels, name = "<bytes>"): Network {
    const block = kernels.arena.alloc(bytes.length);
    kernels.arena.u8(block, bytes.length).set(bytes);
    return Network.fromArenaBlock(kernels, block, bytes.length, type, name);
  }

  /**
   * Read a network file that already lives in the kernel memory (`block`, `length` bytes, an arena block
   * this network takes over). Parameters are compacted in place; the block is shrunk to them afterwards.
   * On failure the block is released.
   */
  static fromArenaBlock(kernels: Kernels, block: number, length: number, type: NetType, name = "<bytes>"): Network {
    const sink = new CompactingSink(kernels, block, length);
    try {
      // nothing is allocated while reading, so this view of the wasm memory stays valid
      const model = readNetwork(kernels.arena.u8(block, length), type.root, sink, name);
      kernels.arena.shrink(block, sink.used);
      return new Network(model, type, kernels, name, sink);
    } catch (e) {
      sink.releaseAll();
      throw e;
    }
  }

  /** The loss layer's type (loss_metric, loss_multiclass_log, loss_mmod, ...). */
  get lossType(): string {
    return this.model.type;
  }

  /** Number of dlib layer indices (loss = 0 ... input = numLayers - 1). */
  get numLayers(): number {
    return countLayers(this.type.root) + 1;
  }

  /** Fixed input size (input_rgb_image_sized), or null. */
  get inputSize(): { nr: number; nc: number } | null {
    return this.input.nr !== undefined ? { nr: this.input.nr, nc: this.input.nc! } : null;
  }

  /** Like dlib's `cout << net`: one line per layer, layer<0> (the loss) first. */
  info(): string {
    const lines: string[] = [];
    const m = this.model;
    const lossDesc =
      m.type === "loss_metric" ? `loss_metric (margin=${fmt(m.margin!)}, distance_threshold=${fmt(m.distanceThreshold!)})` :
      m.type === "loss_mmod" ? `loss_mmod (detector_windows:(${m.mmod!.detectorWindows.map((w) => `${w.label ? w.label + ":" : ""}${w.width}x${w.height}`).join(",")}), loss per FA:${fmt(m.mmod!.lossPerFalseAlarm)}, loss per miss:${fmt(m.mmod!.lossPerMissedTarget)}, truth match IOU thresh:${fmt(m.mmod!.truthMatchIouThreshold)}, overlaps_nms:(${fmt(m.mmod!.overlapsNms.iouThresh)},${fmt(m.mmod!.overlapsNms.percentCoveredThresh)}), overlaps_ignore:(${fmt(m.mmod!.overlapsIgnore.iouThresh)},${fmt(m.mmod!.overlapsIgnore.percentCoveredThresh)}))` :
      m.type;
    lines.push(`layer<0>\t${lossDesc}`);
    const walk = (n: ModelNode, index: number): void => {
      switch (n.kind) {
        case "layer": lines.push(`layer<${index}>\t${describeLayer(n.details)}`); walk(n.subnet, index + 1); break;
        case "tag": lines.push(`layer<${index}>\ttag${n.id}`); walk(n.subnet, index + 1); break;
        case "skip": lines.push(`layer<${index}>\tskip${n.id}`); walk(n.subnet, index + 1); break;
        case "repeat": {
          const per = countModelLayers(n.blocks[0]);
          lines.push(`layer<${index}>\trepeat (${n.blocks.length} copies of ${per} layers)`);
          n.blocks.forEach((b, i) => walk(b, index + i * per));
          walk(n.subnet, index + n.blocks.length * per);
          break;
        }
        case "input": {
          const i = n;
          const extra = i.nr !== undefined ? ` (${i.nr}x${i.nc})` : i.pyramidFactor ? ` (pyramid_down<${i.pyramidFactor}>, padding=${i.pyramidPadding}, outer_padding=${i.pyramidOuterPadding})` : "";
          lines.push(`layer<${index}>\t${i.type}${extra} avg=(${fmt(i.avgRed)}, ${fmt(i.avgGreen)}, ${fmt(i.avgBlue)})`);
          break;
        }
        default: break;
      }
    };
    walk(m.subnet, 1);
    return lines.join("\n");
  }

  private plan(n: number, nr: number, nc: number, keepAll: boolean): Plan {
    const key = `${n}x${nr}x${nc}${keepAll ? "t" : ""}`;
    let p = this.plans.get(key);
    if (!p) {
      const sz = this.inputSize;
      if (sz && (sz.nr !== nr || sz.nc !== nc)) throw new WrongNetworkError(`${this.name}: the network takes ${sz.nc}x${sz.nr} inputs (input_rgb_image_sized), got ${nc}x${nr}`);
      if (sz && !this.baked) {
        this.baked = true;
        this.bakeWinograd(sz.nr, sz.nc);
      }
      // keep at most a few plans: free the others' buffers
      if (this.plans.size >= 4) {
        for (const q of this.plans.values()) q.dispose();
        this.plans.clear();
      }
      p = compile(this.kernels, this.model, n, nr, nc, !keepAll);
      try {
        p.allocate(keepAll);
      } catch (e) {
        p.dispose(); // e.g. past the wasm memory limit: give back what was allocated
        throw e;
      }
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * A network with a fixed input size runs each of its Winograd F(2x2,3x3) layers the same way at every batch
   * size, so it needs those layers' filters only in transformed form (16 values per 3x3 filter instead of 9):
   * the parameter block is rearranged in place, once, before the first plan, each such layer's filters
   * replaced by their transform (`wino2_weights(_packed)`, the values plans would otherwise make and keep next
   * to the originals). Saves the originals' memory (16 of the 21 MB of the face ResNet) and the copy.
   * The block is grown where it is and rewritten from its end backwards, so every piece moves up and nothing
   * unread is overwritten; a layer whose new place overlaps its old one is read from a staging copy.
   */
  private bakeWinograd(nr: number, nc: number): void {
    if (!convOptions.winograd || !convOptions.bakeWinograd) return;
    const k = this.kernels;
    const arena = k.arena;
    const cands = winogradBakeCandidates(k, this.model, nr, nc);
    if (cands.length === 0) return;
    const block = this.params.block, used = this.params.used;
    const refs = collectParamRefs(this.model);
    for (const c of cands) {
      if (c.filters.ptr < block || c.filters.ptr + c.filters.length * 4 > block + used || c.filters.length !== c.nf * c.k * 9) return; // not ours to rearrange
    }
    cands.sort((a, b) => a.filters.ptr - b.filters.ptr);
    // new places: each transform 16-byte aligned; everything between candidates moves by the growth so far
    const place: { oldPtr: number; oldBytes: number; newPtr: number; newBytes: number; nf: number; k: number; ref: ParamRef }[] = [];
    let delta = 0;
    for (const c of cands) {
      const oldPtr = c.filters.ptr, oldBytes = c.filters.length * 4;
      const newPtr = (oldPtr + delta + 15) & ~15;
      const newBytes = 16 * c.nf * c.k * 4;
      place.push({ oldPtr, oldBytes, newPtr, newBytes, nf: c.nf, k: c.k, ref: c.filters });
      delta = newPtr + newBytes - (oldPtr + oldBytes);
    }
    const newUsed = used + delta;
    let dst = block;
    try {
      if (!arena.extend(block, newUsed)) dst = arena.alloc(newUsed); // rebuilt in a new block instead
    } catch (e) {
      if (e instanceof WasmOutOfMemoryError) return; // plans will transform per layer (and report the limit)
      throw e;
    }
    const shift = dst - block; // 0 in place
    const stagingBytes = Math.max(0, ...place.filter((p) => shift === 0 && p.newPtr < p.oldPtr + p.oldBytes).map((p) => p.oldBytes));
    let staging = 0;
    try {
      staging = stagingBytes ? arena.alloc(stagingBytes) : 0;
    } catch (e) {
      if (dst !== block) arena.release(dst);
      else arena.shrink(block, used);
      if (e instanceof WasmOutOfMemoryError) return;
      throw e;
    }
    const U8 = () => arena.U8;
    const packedW = k.fn<(f: number, nf: number, kk: number, d: number) => void>("wino2_weights_packed");
    const plainW = k.fn<(f: number, nf: number, kk: number, d: number) => void>("wino2_weights");
    // from the end backwards: the bytes after candidate i move by its growth; then candidate i is transformed
    let end = block + used;
    let moveBy = delta;
    for (let i = place.length - 1; i >= 0; i--) {
      const p = place[i];
      const from = p.oldPtr + p.oldBytes;
      if (end > from) U8().copyWithin(from + moveBy + shift, from, end);
      let src = p.oldPtr;
      if (shift === 0 && p.newPtr < p.oldPtr + p.oldBytes) {
        U8().copyWithin(staging, p.oldPtr, p.oldPtr + p.oldBytes);
        src = staging;
      }
      (p.nf % 4 === 0 ? packedW : plainW)(src, p.nf, p.k, p.newPtr + shift);
      end = p.oldPtr;
      moveBy = i > 0 ? place[i - 1].newPtr + place[i - 1].newBytes - (place[i - 1].oldPtr + place[i - 1].oldBytes) : 0;
    }
    if (end > block && shift !== 0) U8().copyWithin(dst, block, end);
    if (staging) arena.release(staging);
    // every parameter's new address
    const olds = place.map((p) => p.oldPtr);
    for (const r of refs) {
      if (r.ptr < block || r.ptr >= block + used) continue; // (none: every parameter is in the block)
      let lo = 0, hi = olds.length; // candidates strictly below r
      while (lo < hi) { const m = (lo + hi) >> 1; if (olds[m] < r.ptr) lo = m + 1; else hi = m; }
      const p = place[lo];
      if (p && p.oldPtr === r.ptr) {
        r.ptr = p.newPtr + shift;
        r.length = p.newBytes / 4;
        markWinograd2Baked(r, p.nf % 4 === 0);
      } else {
        const q = place[lo - 1];
        r.ptr += (q ? q.newPtr + q.newBytes - (q.oldPtr + q.oldBytes) : 0) + shift;
      }
    }
    if (dst !== block) {
      arena.release(block);
      this.params.moved(dst, newUsed);
    } else {
      this.params.moved(block, newUsed);
    }
  }

  /**
   * Run the network on `images` (all the same size; the input layer's size if it has one).
   * Returns each image's output of the last layer before the loss. With `trace`, also each layer's
   * shape, sum, sum of |x| and first 8 values (dlib's trace format).
   */
  forwardSync(images: RgbImage[], opts: { trace?: boolean } = {}): ForwardResult {
    if (this.disposed) throw new Error("network was disposed");
    if (images.length === 0) return { shape: [0, 0, 0, 0], outputs: [] };
    if (this.input.type === "input_rgb_image_pyramid") throw new WrongNetworkError("pyramid-input networks (MMOD) run through detectFacesCnn(), not forward()");
    const { width, height } = images[0];
    for (const im of images) {
      if (im.width !== width || im.height !== height) throw new WrongNetworkError(`all images of a batch must have the same size (${width}x${height} vs ${im.width}x${im.height})`);
      if (im.data.length !== im.width * im.height * 3) throw new WrongNetworkError(`image data must be RGB (${im.width * im.height * 3} bytes), got ${im.data.length}`);
    }
    const sz = this.inputSize;
    if (sz && (sz.nr !== height || sz.nc !== width)) {
      throw new WrongNetworkError(`${this.name}: the network takes ${sz.nc}x${sz.nr} images (input_rgb_image_sized), got ${width}x${height}`);
    }
    const n = images.length;
    const plan = this.plan(n, height, width, !!opts.trace);
    const arena = this.kernels.arena;
    const inV = plan.values[plan.input];
    fillRgbInput(arena.f32(plan.ptrOf(plan.input), inV.size), this.input, images, height, width);
    return this.runPlan(plan, n, !!opts.trace);
  }

  /**
   * Run on an input tensor filled by the caller (for inputs the RGB path does not cover, e.g. the tiled
   * pyramid of input_rgb_image_pyramid). `fill` receives the [n,3,nr,nc] NCHW float32 view to write into
   * (already normalised as the input layer would). Returns the last layer's output per sample.
   */
  forwardTensor(n: number, nr: number, nc: number, fill: (dst: Float32Array) => void, opts: { trace?: boolean } = {}): ForwardResult {
    if (this.disposed) throw new Error("network was disposed");
    const plan = this.plan(n, nr, nc, !!opts.trace);
    const arena = this.kernels.arena;
    fill(arena.f32(plan.ptrOf(plan.input), n * 3 * nr * nc));
    return this.runPlan(plan, n, !!opts.trace);
  }

  private runPlan(plan: Plan, n: number, trace: boolean): ForwardResult {
    const arena = this.kernels.arena;
    const traces = trace ? Array.from({ length: n }, () => ({ input: null as unknown as TraceEntry, layers: [] as TraceEntry[] })) : undefined;
    const entry = (index: number, type: string, desc: string, shape: Shape, ptr: number, s: number): TraceEntry => {
      const per = shape.k * shape.nr * shape.nc;
      const v = arena.f32(ptr + s * per * 4, per);
      let sum = 0, sumAbs = 0;
      for (let i = 0; i < per; i++) { sum += v[i]; sumAbs += Math.abs(v[i]); }
      return { index, type, desc, shape: [1, shape.k, shape.nr, shape.nc], sum, sum_abs: sumAbs, first: Array.from(v.subarray(0, 8)) };
    };
    plan.run(traces ? (step, val) => {
      for (let s = 0; s < n; s++) {
        const e = entry(step.index, step.type, step.desc, val.shape, val.ptr, s);
        if (step.type === "input") traces[s].input = e;
        else traces[s].layers.push(e);
      }
    } : undefined);
    const out = plan.values[plan.output];
    const per = out.shape.k * out.shape.nr * out.shape.nc;
    const all = arena.f32(plan.ptrOf(plan.output), out.size);
    const outputs = Array.from({ length: n }, (_, s) => all.slice(s * per, (s + 1) * per));
    return { shape: [1, out.shape.k, out.shape.nr, out.shape.nc], outputs, trace: traces };
  }

  /** `forwardSync`, as a promise (the public contract; runs on the calling thread). */
  async forward(images: RgbImage[], opts: { trace?: boolean } = {}): Promise<Float32Array[]> {
    return this.forwardSync(images, opts).outputs;
  }

  /** loss_metric networks: the descriptor of each image (the fc output, not normalised, as dlib). */
  async descriptors(images: RgbImage[]): Promise<Float32Array[]> {
    if (this.model.type !== "loss_metric") throw new WrongNetworkError(`${this.name} is a ${this.model.type} network, not a face descriptor (loss_metric) network`);
    return this.forwardSync(images).outputs;
  }

  /** loss_multiclass_log networks: softmax over the classes for each image (float32, as dlib's softmax). */
  async probabilities(images: RgbImage[]): Promise<Float32Array[]> {
    if (this.model.type !== "loss_multiclass_log") throw new WrongNetworkError(`${this.name} is a ${this.model.type} network, not a classifier (loss_multiclass_log)`);
    const outs = this.forwardSync(images).outputs;
    return outs.map(softmaxF32);
  }

  /** Free the parameters and buffers in wasm memory. The network cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
    this.params.releaseAll();
    this.disposed = true;
  }
}

/** dlib's tt::softmax over one sample's k values (float32: exp(x - max) / sum). */
export function softmaxF32(x: Float32Array): Float32Array {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  const out = new Float32Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.fround(Math.exp(Math.fround(x[i] - m)));
    s = Math.fround(s + out[i]);
  }
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(out[i] / s);
  return out;
}
