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
import { createKernels, defaultKernels, warmUpOnce, WasmOutOfMemoryError, type Kernels } from "./wasm.js";
import { bakeCollector, compile, convOptions, countModelLayers, describeLayer, fillRgbInputKernel, fmt, markBaked, Plan, winoWeightsPacked, type BakeCandidate, type Shape } from "./runtime.js";

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
  // The default kernels are warmed up here, once the file is read: the engine's optimising compiles that the
  // warm-up starts then run beside the parse instead of competing with the reads' page faults (a fresh process's
  // first descriptor came ~7 ms sooner than when warming up before the read)
  warmUpOnce(kernels);
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
 * Node, a local path to an uncompressed file: read it into a new arena block (asynchronously, in 4 MiB
 * pieces read in parallel by libuv's threads into views of the wasm memory, so the page faults of the fresh
 * memory are spread over the cores: ~6 ms less than one synchronous read; should another task grow the
 * memory meanwhile, 64-bit engines grow it in place, so the views' bytes stay where the reads write). Null for
 * anything else (other sources, .bz2 content, other runtimes).
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
      const chunk = 4 << 20;
      const reads: Promise<void>[] = [];
      for (let off = 0; off < size; off += chunk) {
        const n = Math.min(size - off, chunk);
        const view = kernels.arena.u8(block + off, n);
        reads.push(readFully(fs, fd, view, off, name));
      }
      const settled = await Promise.allSettled(reads); // (all finished before the block may be released)
      for (const r of settled) if (r.status === "rejected") throw r.reason;
    } catch (e) {
      kernels.arena.release(block);
      throw e;
    }
    return { block, length: size, name };
  } finally {
    fs.closeSync(fd);
  }
}

/** Read `view.length` bytes of `fd` at `pos` into `view` (async, loops on short reads). */
function readFully(fs: typeof import("node:fs"), fd: number, view: Uint8Array, pos: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const step = (): void => {
      fs.read(fd, view, done, view.length - done, pos + done, (err, got) => {
        if (err) return reject(err);
        if (got <= 0) return reject(new DlibFormatError(`file ended after ${pos + done} bytes while reading`, { file: name, offset: pos + done }));
        done += got;
        if (done < view.length) step();
        else resolve();
      });
    };
    step();
  });
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
      const bake = sz && !this.baked && convOptions.winograd && convOptions.bakeWinograd ? bakeCollector() : null;
      // keep at most a few plans: free the others' buffers
      if (this.plans.size >= 4) {
        for (const q of this.plans.values()) q.dispose();
        this.plans.clear();
      }
      p = compile(this.kernels, this.model, n, nr, nc, !keepAll, bake?.add);
      if (sz && !this.baked) {
        this.baked = true;
        if (bake) this.bakeFilters(bake.list); // before binding: the plan reads parameter addresses when bound
      }
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
   * A network with a fixed input size runs each con layer the same way at every batch size, so layers whose
   * algorithm reads a derived form of the filters need only that form: Winograd F(2x2,3x3) layers their
   * transform (16 values per 3x3 filter instead of 9, `wino2_weights(_packed)`, what plans would otherwise make and
   * keep next to the originals) and 1x1-plane layers the one tap they meet. Before the first plan the parameter
   * block is rearranged once, in place, each such layer's filters replaced by that form: the face ResNet keeps
   * 33.6 MB instead of 21 MB of filters + 29 MB of transforms. Every piece keeps its order; pieces are moved in
   * an order where none overwrites one not yet moved (a layer whose new place overlaps its old one is read from
   * a staging copy). Same numbers as without (convOptions.bakeWinograd = false).
   */
  private bakeFilters(cands: BakeCandidate[]): void {
    const k = this.kernels;
    const arena = k.arena;
    if (cands.length === 0) return;
    const block = this.params.block, used = this.params.used;
    for (const c of cands) {
      if (c.filters.ptr < block || c.filters.ptr + c.filters.length * 4 > block + used || c.filters.length !== c.nf * c.k * c.taps) return; // not ours to rearrange
    }
    cands.sort((a, b) => a.filters.ptr - b.filters.ptr);
    // the block as pieces in address order: the stretches between candidates (moved as they are) and the candidates
    interface Piece { o: number; s: number; n: number; s2: number; c: BakeCandidate | null }
    const pieces: Piece[] = [];
    let at = block;
    for (const c of cands) {
      if (c.filters.ptr > at) pieces.push({ o: at, s: c.filters.ptr - at, n: 0, s2: c.filters.ptr - at, c: null });
      const bytes = c.filters.length * 4;
      pieces.push({ o: c.filters.ptr, s: bytes, n: 0, s2: (c.kind === "wino2" ? 16 : 1) * c.nf * c.k * 4, c });
      at = c.filters.ptr + bytes;
    }
    if (block + used > at) pieces.push({ o: at, s: block + used - at, n: 0, s2: block + used - at, c: null });
    let pos = block;
    for (const p of pieces) {
      if (p.c?.kind === "wino2") pos = block + ((pos - block + 15) & ~15); // transforms 16-byte aligned
      p.n = pos;
      pos += p.s2;
    }
    const newUsed = pos - block;
    // in place when the block can grow where it is (or shrinks), else rebuilt in a new block (no overlaps at all)
    let dst = block;
    try {
      if (newUsed > used && !arena.extend(block, newUsed)) dst = arena.alloc(newUsed);
    } catch (e) {
      if (e instanceof WasmOutOfMemoryError) return; // plans will transform per layer (and report the limit)
      throw e;
    }
    const shift = dst - block;
    const overlaps = (p: Piece) => shift === 0 && p.n < p.o + p.s && p.n + p.s2 > p.o;
    // an order of moves: a piece waits for every other piece whose old bytes its new place covers
    const order: number[] = [];
    if (shift === 0) {
      const state = new Uint8Array(pieces.length); // 0 new, 1 visiting, 2 done
      const visit = (i: number): boolean => {
        if (state[i] === 2) return true;
        if (state[i] === 1) return false; // (cannot happen for order-preserving layouts)
        state[i] = 1;
        const p = pieces[i];
        for (let j = i - 1; j >= 0 && pieces[j].o + pieces[j].s > p.n; j--) if (!visit(j)) return false;
        for (let j = i + 1; j < pieces.length && pieces[j].o < p.n + p.s2; j++) if (!visit(j)) return false;
        state[i] = 2;
        order.push(i);
        return true;
      };
      for (let i = 0; i < pieces.length; i++) if (!visit(i)) throw new Error("internal: parameter rearrangement has no order");
    } else {
      for (let i = 0; i < pieces.length; i++) order.push(i);
    }
    const stagingBytes = Math.max(0, ...pieces.filter((p) => p.c?.kind === "wino2" && overlaps(p) || p.c?.kind === "tap" && overlaps(p) && p.n > p.o).map((p) => p.s));
    let staging = 0;
    try {
      staging = stagingBytes ? arena.alloc(stagingBytes) : 0;
    } catch (e) {
      if (dst !== block) arena.release(dst);
      else if (newUsed > used) arena.shrink(block, used);
      if (e instanceof WasmOutOfMemoryError) return;
      throw e;
    }
    const plainW = k.fn<(f: number, nf: number, kk: number, d: number) => void>("wino2_weights");
    const gather = k.fn<(src: number, n: number, stride: number, d: number) => void>("gather_stride");
    for (const i of order) {
      const p = pieces[i];
      const to = p.n + shift;
      if (!p.c) {
        if (to !== p.o) arena.U8.copyWithin(to, p.o, p.o + p.s);
        continue;
      }
      let from = p.o;
      if (p.c.kind === "wino2") {
        if (overlaps(p)) {
          arena.U8.copyWithin(staging, p.o, p.o + p.s);
          from = staging;
        }
        if (p.c.nf % 4 === 0) winoWeightsPacked(k, 2, from, p.c.nf, p.c.k, to);
        else plainW(from, p.c.nf, p.c.k, to);
      } else {
        if (overlaps(p) && p.n > p.o) {
          arena.U8.copyWithin(staging, p.o, p.o + p.s);
          from = staging;
        }
        // one value per (filter, channel); reading ahead of writing when in place (to <= from)
        gather(from + 4 * p.c.tap, p.c.nf * p.c.k, p.c.taps, to);
      }
    }
    if (staging) arena.release(staging);
    // every parameter's new address
    const refs = collectParamRefs(this.model);
    const starts = pieces.map((p) => p.o);
    for (const r of refs) {
      if (r.ptr < block || r.ptr >= block + used) continue; // (none: every parameter is in the block)
      let lo = 0, hi = starts.length; // the piece holding r: the last one starting at or before it
      while (lo < hi) { const m = (lo + hi) >> 1; if (starts[m] <= r.ptr) lo = m + 1; else hi = m; }
      const p = pieces[lo - 1];
      if (p.c && p.c.filters === r) {
        r.ptr = p.n + shift;
        r.length = p.s2 / 4;
        markBaked(r, p.c.kind, p.c.nf);
      } else {
        r.ptr += p.n - p.o + shift;
      }
    }
    if (dst !== block) {
      arena.release(block);
      this.params.moved(dst, newUsed);
    } else {
      if (newUsed < used) arena.shrink(block, newUsed);
      this.params.moved(block, newUsed);
    }
  }

  /**
   * Do now the one-time work of the first forward of `n` inputs of `nr` x `nc` pixels (default: the input layer's
   * fixed size; required for networks without one): plan the layers, rearrange the parameters once (F(2x2)
   * filters kept only transformed), allocate the buffers and make each layer's derived filters. A later forward
   * of that shape then costs what every forward costs (a server can pay this at start-up, not in its first
   * request). Idempotent; the outputs are the same with or without it. Throws WrongNetworkError for a size the
   * network does not take, or for a pyramid-input (MMOD) network, whose plans depend on each image.
   */
  prepare(n = 1, nr?: number, nc?: number): void {
    if (this.disposed) throw new Error("network was disposed");
    if (this.input.type === "input_rgb_image_pyramid") throw new WrongNetworkError("pyramid-input networks (MMOD) are planned per image size; prepare() takes fixed-size inputs");
    const sz = this.inputSize;
    const rows = nr ?? sz?.nr, cols = nc ?? sz?.nc;
    if (rows === undefined || cols === undefined) throw new WrongNetworkError(`${this.name}: the input layer has no fixed size; pass prepare(n, nr, nc)`);
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
      throw new WrongNetworkError(`${this.name}: prepare(n, nr, nc) needs positive integers, got (${n}, ${rows}, ${cols})`);
    }
    this.plan(n, rows, cols, false).bind();
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
    fillRgbInputKernel(this.kernels, plan.ptrOf(plan.input), this.input, images, height, width);
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
