/**
 * dlib's `shape_predictor` (dlib/image_processing/shape_predictor.h, dlib 19.24): an ensemble of regression
 * trees (Kazemi & Sullivan) read from dlib's own model files (SERIALIZATION.md §7.1) and run the way
 * `shape_predictor::operator()(img, rect)` runs it, in the same float32 arithmetic:
 *
 * - the shape starts as `initial_shape` (x0,y0,x1,y1,... in the normalized face-box frame, (0,0) = the
 *   rect's top-left corner, (1,1) = its bottom-right corner);
 * - per cascade level: the similarity transform from `initial_shape` to the current shape (Umeyama, double,
 *   then cast to float32) maps each feature pixel's stored delta, which is added to its anchor landmark
 *   (float32); the point goes to image coordinates (double), is rounded with floor(v + 0.5), and the pixel's
 *   grey level ((r+g+b)/3, integer) is read, 0 outside the image;
 * - each tree compares float(pixel[idx1]) − float(pixel[idx2]) > thresh (true → left child) down to a leaf,
 *   whose float32 vector is added to the shape (float32 adds, in tree order; with the wasm kernels the trees
 *   are walked and the adds run four lanes at a time in `sp_cascade`, bit-identical);
 * - finally every landmark is mapped to image coordinates (double); dlib's integer points are floor(v + 0.5).
 */
import { DlibReader } from "../dlib/serialize.js";
import { DlibFormatError } from "../errors.js";
import type { GrayImage, Point, Rect, RgbImage } from "../image/types.js";
import { defaultKernels, type Kernels } from "../nn/wasm.js";

/** One cascade level: its trees (flattened) and its feature pixels (anchor landmark + delta). */
export interface ShapePredictorCascade {
  numTrees: number;
  /** Start of tree t's splits in splitIdx1/splitIdx2/splitThresh; length numTrees + 1. */
  splitOffset: Uint32Array;
  /** Start of tree t's leaves (in leaves, not floats); length numTrees + 1. */
  leafOffset: Uint32Array;
  splitIdx1: Uint32Array;
  splitIdx2: Uint32Array;
  splitThresh: Float32Array;
  /** Leaf vectors, each 2·numParts float32 values, tree after tree. */
  leafValues: Float32Array;
  /** Feature pixel p is anchored at landmark anchorIdx[p] ... */
  anchorIdx: Uint32Array;
  /** ... displaced by (deltas[2p], deltas[2p+1]) in the normalized frame of initial_shape. */
  deltas: Float32Array;
}

/** A loaded shape_predictor. All arrays are float32 as in dlib. */
export interface ShapePredictorModel {
  numParts: number;
  /** 2·numParts values x0,y0,x1,y1,... (normalized face-box frame). */
  initialShape: Float32Array;
  cascades: ShapePredictorCascade[];
  /** Size in bytes of the serialized model that was read. */
  byteLength: number;
}

/** dlib's `full_object_detection` plus the unrounded landmark positions. */
export interface FullObjectDetection {
  rect: Rect;
  /** Landmarks as dlib returns them: integer points, floor(v + 0.5) of partsFloat. */
  parts: Point[];
  /** Landmarks before rounding, image pixel coordinates (x = column, y = row), doubles. */
  partsFloat: Point[];
}

/** Summary for `dlib-face info`. */
export interface ShapePredictorInfo {
  landmarks: number;
  cascades: number;
  treesPerCascade: number;
  /** Depth of the trees (leaves = 2^depth); -1 if trees differ. */
  treeDepth: number;
  leavesPerTree: number;
  /** Feature pixels per cascade level (dlib's feature_pool_size); -1 if they differ. */
  featurePoolSize: number;
  totalTrees: number;
  totalSplits: number;
  totalLeafValues: number;
  /** dlib's num_features(): total number of leaves over all trees. */
  numFeatures: number;
  /** Bytes held by the model's typed arrays. */
  memoryBytes: number;
  byteLength: number;
}

// ---------------------------------------------------------------------------------------------------------
// Reading

const POW2 = new Float64Array(2046);
for (let e = -1022; e <= 1023; ++e) POW2[e + 1022] = 2 ** e;

/** Growable float32 buffer whose capacity never exceeds what the remaining bytes can hold. */
class FloatSink {
  data: Float32Array;
  length = 0;
  constructor(initial: number) {
    this.data = new Float32Array(Math.max(16, initial));
  }
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.data.length) return;
    const grown = new Float32Array(Math.max(need, this.data.length * 2));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
  finish(): Float32Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }
}

/**
 * Reads `count` float_details values (SERIALIZATION.md §1.4) as float32 into out[outOff...]. Fast path for the
 * common short encodings; anything unusual (or truncated) goes through DlibReader.float, which throws
 * DlibFormatError with the byte offset.
 */
function readFloats(r: DlibReader, count: number, out: Float32Array, outOff: number, what: string): void {
  const b = r.bytes;
  const end = b.length;
  let p = r.pos;
  for (let i = 0; i < count; ++i) {
    const c = b[p]!;
    // the common case first (almost every value of dlib's trained models): a 3-byte mantissa and a 1-byte
    // exponent, 6 bytes; the same arithmetic as the general path below, so the same float
    if ((c & 0x7f) === 3 && p + 6 <= end) {
      const c2 = b[p + 4]!;
      if ((c2 & 0x7f) === 1) {
        const m = b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16);
        const e = c2 & 0x80 ? -b[p + 5]! : b[p + 5]!;
        out[outOff + i] = (c & 0x80 ? -m : m) * POW2[e + 1022]!;
        p += 6;
        continue;
      }
    }
    const n = c & 0x0f;
    if (p + n + 3 <= end && (c & 0x70) === 0 && n >= 1 && n <= 6) {
      let q = p + 1;
      let m = b[q]!;
      if (n > 1) m += b[q + 1]! * 0x100;
      if (n > 2) m += b[q + 2]! * 0x10000;
      if (n > 3) m += b[q + 3]! * 0x1000000;
      if (n > 4) m += b[q + 4]! * 0x100000000;
      if (n > 5) m += b[q + 5]! * 0x10000000000;
      q += n;
      const c2 = b[q]!;
      const n2 = c2 & 0x0f;
      if ((c2 & 0x70) === 0 && (n2 === 1 || n2 === 2) && q + 1 + n2 <= end) {
        let e = b[q + 1]!;
        if (n2 === 2) e += b[q + 2]! * 256;
        if (e < 1022) {
          if (c2 & 0x80) e = -e;
          const mf = Math.fround(c & 0x80 ? -m : m);
          out[outOff + i] = mf * POW2[e + 1022]!;
          p = q + 1 + n2;
          continue;
        }
      }
    }
    // slow path: unusual encoding, special values, truncation (throws with the offset)
    r.pos = p;
    const v = r.float(what, true);
    out[outOff + i] = v;
    p = r.pos;
  }
  r.pos = p;
}

/** Reads the size of a std::vector / matrix and checks that `minBytesEach` bytes per element remain. */
function readCount(r: DlibReader, what: string, minBytesEach: number): number {
  const start = r.pos;
  const n = r.uint(what);
  if (n * minBytesEach > r.remaining) {
    r.fail(`${what} = ${n} needs at least ${n * minBytesEach} bytes but only ${r.remaining} are left`, start);
  }
  return n;
}

/** matrix<float,0,1> header: returns the element count (checks a column vector and the bytes left). */
function readColumnHeader(r: DlibReader, what: string): number {
  const start = r.pos;
  let nr = r.int(`${what} rows`);
  let nc = r.int(`${what} cols`);
  if (nr < 0 || nc < 0) {
    if (!(nr <= 0 && nc <= 0)) r.fail(`${what}: inconsistent matrix size signs (${nr}, ${nc})`, start);
    nr = -nr;
    nc = -nc;
  }
  const count = nr * nc;
  if (count > 0 && nc !== 1) r.fail(`${what}: expected a column vector, got ${nr}x${nc}`, start);
  if (count * 4 > r.remaining) r.fail(`${what}: ${count} values do not fit in the ${r.remaining} bytes left`, start);
  return count;
}

/**
 * Parses a serialized dlib `shape_predictor` (the bytes of e.g. shape_predictor_68_face_landmarks.dat).
 * Requires: the complete file. Guarantees: a consistent model (every split index < its cascade's feature
 * count, anchors < numParts, leaves = splits + 1 with 2·numParts values each); otherwise throws
 * DlibFormatError with the byte offset. Trailing bytes after the object are rejected.
 */
export function readShapePredictor(bytes: Uint8Array, file = "<bytes>"): ShapePredictorModel {
  if (bytes.length >= 3 && bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68) {
    throw new DlibFormatError("this is a bzip2 file (BZh): decompress it before reading the shape_predictor", { file, offset: 0 });
  }
  const r = new DlibReader(bytes, file);
  r.context = "shape_predictor";
  r.version("shape_predictor version", [1]);
  const shapeStart = r.pos;
  const dim = readColumnHeader(r, "initial_shape");
  if (dim === 0 || dim % 2 !== 0) r.fail(`initial_shape has ${dim} values (need a positive even number)`, shapeStart);
  const initialShape = new Float32Array(dim);
  readFloats(r, dim, initialShape, 0, "initial_shape");
  const numParts = dim / 2;

  const numCascades = readCount(r, "forests.size()", 2);
  const partial: Omit<ShapePredictorCascade, "anchorIdx" | "deltas">[] = [];
  const maxSplitIdx: number[] = [];
  for (let ci = 0; ci < numCascades; ++ci) {
    r.context = `shape_predictor cascade ${ci}`;
    const numTrees = readCount(r, "number of trees", 4);
    const splitOffset = new Uint32Array(numTrees + 1);
    const leafOffset = new Uint32Array(numTrees + 1);
    let splitIdx1 = new Uint32Array(0);
    let splitIdx2 = new Uint32Array(0);
    let splitThresh = new Float32Array(0);
    let nSplits = 0;
    let leaves: FloatSink | null = null;
    let nLeaves = 0;
    let maxIdx = -1;
    for (let t = 0; t < numTrees; ++t) {
      const ns = readCount(r, `tree ${t} splits.size()`, 8);
      if (nSplits + ns > splitIdx1.length) {
        // all trees alike is the usual case; never more splits than the bytes left could encode (>= 8 each)
        const guess = t === 0 ? ns * numTrees : splitIdx1.length * 2;
        const cap = Math.max(nSplits + ns, Math.min(guess, nSplits + Math.floor(r.remaining / 8)));
        const a1 = new Uint32Array(cap);
        a1.set(splitIdx1.subarray(0, nSplits));
        const a2 = new Uint32Array(cap);
        a2.set(splitIdx2.subarray(0, nSplits));
        const th = new Float32Array(cap);
        th.set(splitThresh.subarray(0, nSplits));
        splitIdx1 = a1;
        splitIdx2 = a2;
        splitThresh = th;
      }
      for (let s = 0; s < ns; ++s) {
        const i1 = r.uint("split idx1", 0xffffffff);
        const i2 = r.uint("split idx2", 0xffffffff);
        splitIdx1[nSplits] = i1;
        splitIdx2[nSplits] = i2;
        readFloats(r, 1, splitThresh, nSplits, "split thresh");
        if (i1 > maxIdx) maxIdx = i1;
        if (i2 > maxIdx) maxIdx = i2;
        nSplits++;
      }
      const leafStart = r.pos;
      const nl = readCount(r, `tree ${t} leaf_values.size()`, 4 + 4 * dim);
      if (nl !== ns + 1) r.fail(`tree ${t} has ${ns} splits but ${nl} leaves (dlib needs splits + 1)`, leafStart);
      if (leaves === null) {
        // capacity guess: all trees alike; never more floats than the bytes left could encode (>= 4 bytes each)
        leaves = new FloatSink(Math.min(numTrees * nl * dim, Math.floor(r.remaining / 4)));
      }
      leaves.reserve(nl * dim);
      for (let l = 0; l < nl; ++l) {
        const hs = r.pos;
        const cnt = readColumnHeader(r, "leaf value");
        if (cnt !== dim) r.fail(`leaf value has ${cnt} values, initial_shape has ${dim}`, hs);
        readFloats(r, dim, leaves.data, leaves.length, "leaf value");
        leaves.length += dim;
      }
      nLeaves += nl;
      splitOffset[t + 1] = nSplits;
      leafOffset[t + 1] = nLeaves;
    }
    partial.push({
      numTrees,
      splitOffset,
      leafOffset,
      splitIdx1: splitIdx1.length === nSplits ? splitIdx1 : splitIdx1.slice(0, nSplits),
      splitIdx2: splitIdx2.length === nSplits ? splitIdx2 : splitIdx2.slice(0, nSplits),
      splitThresh: splitThresh.length === nSplits ? splitThresh : splitThresh.slice(0, nSplits),
      leafValues: leaves ? leaves.finish() : new Float32Array(0),
    });
    maxSplitIdx.push(maxIdx);
  }

  r.context = "shape_predictor anchor_idx";
  let at = r.pos;
  const nAnchorSets = readCount(r, "anchor_idx.size()", 2);
  if (nAnchorSets !== numCascades) r.fail(`anchor_idx has ${nAnchorSets} entries, forests has ${numCascades}`, at);
  const anchors: Uint32Array[] = [];
  for (let ci = 0; ci < numCascades; ++ci) {
    const n = readCount(r, `anchor_idx[${ci}].size()`, 2);
    const a = new Uint32Array(n);
    for (let i = 0; i < n; ++i) {
      const p = r.pos;
      const v = r.uint("anchor index");
      if (v >= numParts) r.fail(`anchor index ${v} >= number of landmarks ${numParts}`, p);
      a[i] = v;
    }
    if (maxSplitIdx[ci]! >= n) {
      r.fail(`cascade ${ci} uses feature ${maxSplitIdx[ci]} but has only ${n} feature pixels`, at);
    }
    anchors.push(a);
  }

  r.context = "shape_predictor deltas";
  at = r.pos;
  const nDeltaSets = readCount(r, "deltas.size()", 2);
  if (nDeltaSets !== numCascades) r.fail(`deltas has ${nDeltaSets} entries, forests has ${numCascades}`, at);
  const cascades: ShapePredictorCascade[] = [];
  for (let ci = 0; ci < numCascades; ++ci) {
    const p = r.pos;
    const n = readCount(r, `deltas[${ci}].size()`, 8);
    if (n !== anchors[ci]!.length) r.fail(`deltas[${ci}] has ${n} entries, anchor_idx[${ci}] has ${anchors[ci]!.length}`, p);
    const d = new Float32Array(2 * n);
    readFloats(r, 2 * n, d, 0, "delta");
    cascades.push({ ...partial[ci]!, anchorIdx: anchors[ci]!, deltas: d });
  }
  if (!r.atEnd) {
    throw new DlibFormatError(`${r.remaining} unexpected bytes after the shape_predictor`, { file, offset: r.pos });
  }
  return { numParts, initialShape, cascades, byteLength: bytes.length };
}

/** Counts and sizes of a loaded model (for `dlib-face info`). */
export function describeShapePredictor(sp: ShapePredictorModel | ShapePredictor): ShapePredictorInfo {
  const m = sp instanceof ShapePredictor ? sp.model : sp;
  let totalTrees = 0;
  let totalSplits = 0;
  let totalLeafValues = 0;
  let numFeatures = 0;
  let mem = m.initialShape.byteLength;
  let depth: number | null = null;
  let leavesPerTree: number | null = null;
  let trees: number | null = null;
  let pool: number | null = null;
  for (const c of m.cascades) {
    totalTrees += c.numTrees;
    totalSplits += c.splitIdx1.length;
    totalLeafValues += c.leafOffset[c.numTrees]! * m.initialShape.length;
    numFeatures += c.leafOffset[c.numTrees]!;
    mem += c.splitOffset.byteLength + c.leafOffset.byteLength + c.splitIdx1.byteLength + c.splitIdx2.byteLength +
      c.splitThresh.byteLength + c.leafOffset[c.numTrees]! * m.initialShape.length * 4 + c.anchorIdx.byteLength +
      c.deltas.byteLength;
    trees = trees === null ? c.numTrees : trees === c.numTrees ? trees : -1;
    pool = pool === null ? c.anchorIdx.length : pool === c.anchorIdx.length ? pool : -1;
    for (let t = 0; t < c.numTrees; ++t) {
      const nl = c.leafOffset[t + 1]! - c.leafOffset[t]!;
      const d = Math.log2(nl);
      const dd = Number.isInteger(d) ? d : -1;
      depth = depth === null ? dd : depth === dd ? depth : -1;
      leavesPerTree = leavesPerTree === null ? nl : leavesPerTree === nl ? leavesPerTree : -1;
    }
  }
  return {
    landmarks: m.numParts,
    cascades: m.cascades.length,
    treesPerCascade: trees ?? 0,
    treeDepth: depth ?? 0,
    leavesPerTree: leavesPerTree ?? 0,
    featurePoolSize: pool ?? 0,
    totalTrees,
    totalSplits,
    totalLeafValues,
    numFeatures,
    memoryBytes: mem,
    byteLength: m.byteLength,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Inference

const fround = Math.fround;

/**
 * float32 2×2 matrix of the similarity transform (rotation·scale, Umeyama's least squares, computed in
 * double as dlib's find_similarity_transform does) taking `from` to `to` (both x0,y0,x1,y1,...), then cast to
 * float32. Written out in closed form for 2-D: the optimal rotation and trace(D·S) follow from the 2×2
 * covariance directly; it agrees with dlib's SVD route to a few double ulps. One landmark: identity.
 * Returns [m00, m01, m10, m11].
 */
export function similarityTransform2x2(from: Float32Array, to: Float32Array, out = new Float32Array(4)): Float32Array {
  const num = from.length >> 1;
  if (num <= 1) {
    out[0] = 1; out[1] = 0; out[2] = 0; out[3] = 1;
    return out;
  }
  let mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (let i = 0; i < num; ++i) {
    mfx += from[2 * i]!;
    mfy += from[2 * i + 1]!;
    mtx += to[2 * i]!;
    mty += to[2 * i + 1]!;
  }
  mfx /= num; mfy /= num; mtx /= num; mty /= num;
  let sigmaFrom = 0;
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0;
  for (let i = 0; i < num; ++i) {
    const fx = from[2 * i]! - mfx;
    const fy = from[2 * i + 1]! - mfy;
    const tx = to[2 * i]! - mtx;
    const ty = to[2 * i + 1]! - mty;
    sigmaFrom += fx * fx + fy * fy;
    c00 += tx * fx;
    c01 += tx * fy;
    c10 += ty * fx;
    c11 += ty * fy;
  }
  sigmaFrom /= num;
  const inv = 1 / num; // dlib divides a matrix by a scalar as a multiply by the reciprocal
  c00 *= inv; c01 *= inv; c10 *= inv; c11 *= inv;
  const det = c00 * c11 - c01 * c10;
  let m00: number, m01: number, m10: number, m11: number;
  if (det >= 0) {
    // rotation: c·R = (1/σ²)·[[a+d, b−c], [c−b, a+d]] for cov = [[a,b],[c,d]]
    const p = c00 + c11;
    const q = c10 - c01;
    m00 = p; m01 = -q; m10 = q; m11 = p;
  } else {
    // reflection (det < 0): c·R = (1/σ²)·[[a−d, b+c], [b+c, d−a]]
    const p = c00 - c11;
    const q = c01 + c10;
    m00 = p; m01 = q; m10 = q; m11 = -p;
  }
  const s = sigmaFrom !== 0 ? 1 / sigmaFrom : 1;
  if (sigmaFrom === 0) {
    // dlib: c = 1 and R from the SVD; with a zero covariance R is the identity
    const n = Math.hypot(m00, m10);
    if (n === 0) { m00 = 1; m01 = 0; m10 = 0; m11 = 1; } else { m00 /= n; m01 /= n; m10 /= n; m11 /= n; }
  }
  out[0] = fround(s * m00);
  out[1] = fround(s * m01);
  out[2] = fround(s * m10);
  out[3] = fround(s * m11);
  return out;
}

/** Pixel accessor: grey level per dlib's get_pixel_intensity, channels 1 (grey), 3 (RGB) or 4 (RGBA). */
function channelsOf(img: RgbImage | GrayImage): number {
  const n = img.width * img.height;
  if (img.data.length === n * 3) return 3;
  if (img.data.length === n) return 1;
  if (img.data.length === n * 4) return 4;
  throw new RangeError(`image data length ${img.data.length} does not match ${img.width}x${img.height} with 1, 3 or 4 channels`);
}

/** Options of ShapePredictor. */
export interface ShapePredictorOptions {
  /**
   * Wasm kernels to accumulate leaf vectors with (SIMD; bit-identical to the JS loop, ~10x faster). The leaf
   * values are copied into the kernels' arena. Without kernels everything runs in plain JS.
   */
  kernels?: Kernels | null;
  /**
   * With kernels: drop the model's JS copy of the leaf values after uploading them (saves 65 MB for the
   * 68-point model). Only when nothing else uses the model object; the predictor then owns it.
   */
  releaseJsLeaves?: boolean;
}

interface WasmTrees {
  idx1: number;
  idx2: number;
  thresh: number;
  splitOff: number;
  leafOff: number;
}

interface WasmState {
  kernels: Kernels;
  accumulate: (shape: number, leaves: number, idx: number, ntrees: number, dim: number) => void;
  /** sp_cascade (traversal + accumulation in one call) when the module has it */
  cascade: ((...args: number[]) => void) | null;
  leavesPtr: number;
  /** byte offset of each cascade's leaves */
  cascadePtr: number[];
  treesPtr: number;
  trees: WasmTrees[];
  scratchPtr: number;
  shapePtr: number;
  featsPtr: number;
  idxPtr: number;
  i32: Int32Array | null;
}

/** A shape_predictor ready to run. Not re-entrant (keeps scratch buffers); create one per worker. */
export class ShapePredictor {
  readonly model: ShapePredictorModel;
  private readonly shape: Float32Array;
  private readonly feats: Float32Array;
  private readonly leafIdx: Int32Array;
  private readonly tform = new Float32Array(4);
  private wasm: WasmState | null = null;
  private disposed = false;

  /**
   * Wraps a parsed model. With `opts.kernels` (and a kernels.wasm that has `sp_accumulate`) the leaf values
   * go to wasm memory; otherwise the pure JS path is used.
   */
  constructor(model: ShapePredictorModel, opts: ShapePredictorOptions = {}) {
    this.model = model;
    this.shape = new Float32Array(model.initialShape.length);
    let maxFeats = 0;
    let maxTrees = 0;
    for (const c of model.cascades) {
      maxFeats = Math.max(maxFeats, c.anchorIdx.length);
      maxTrees = Math.max(maxTrees, c.numTrees);
    }
    this.feats = new Float32Array(maxFeats);
    this.leafIdx = new Int32Array(maxTrees);
    const k = opts.kernels;
    if (k && typeof k.exports["sp_accumulate"] === "function") this.upload(k, maxTrees, maxFeats, opts.releaseJsLeaves ?? false);
  }

  private upload(k: Kernels, maxTrees: number, maxFeats: number, release: boolean): void {
    const dim = this.model.initialShape.length;
    const al = (bytes: number) => (bytes + 15) & ~15;
    let total = 0;
    let treeBytes = 0;
    for (const c of this.model.cascades) {
      if (c.leafValues.length !== c.leafOffset[c.numTrees]! * dim) {
        throw new Error("ShapePredictor: the model's leaf values were released by another predictor");
      }
      total += c.leafValues.length;
      treeBytes += 3 * al(c.splitIdx1.length * 4) + 2 * al((c.numTrees + 1) * 4);
    }
    const arena = k.arena;
    const leavesPtr = arena.allocF32(Math.max(1, total));
    const treesPtr = arena.alloc(Math.max(16, treeBytes));
    const scratchPtr = arena.alloc(al(dim * 4) + al(maxFeats * 4) + al(maxTrees * 4));
    const shapePtr = scratchPtr;
    const featsPtr = shapePtr + al(dim * 4);
    const idxPtr = featsPtr + al(maxFeats * 4);
    const cascadePtr: number[] = [];
    const trees: WasmTrees[] = [];
    let off = leavesPtr;
    let toff = treesPtr;
    const F = arena.F32;
    const U = new Uint32Array(F.buffer);
    for (const c of this.model.cascades) {
      cascadePtr.push(off);
      F.set(c.leafValues, off >> 2);
      off += c.leafValues.byteLength;
      if (release) c.leafValues = new Float32Array(0);
      const ns = c.splitIdx1.length;
      const tr: WasmTrees = { idx1: toff, idx2: 0, thresh: 0, splitOff: 0, leafOff: 0 };
      U.set(c.splitIdx1, toff >> 2);
      toff += al(ns * 4);
      tr.idx2 = toff;
      U.set(c.splitIdx2, toff >> 2);
      toff += al(ns * 4);
      tr.thresh = toff;
      F.set(c.splitThresh, toff >> 2);
      toff += al(ns * 4);
      tr.splitOff = toff;
      U.set(c.splitOffset, toff >> 2);
      toff += al((c.numTrees + 1) * 4);
      tr.leafOff = toff;
      U.set(c.leafOffset, toff >> 2);
      toff += al((c.numTrees + 1) * 4);
      trees.push(tr);
    }
    this.wasm = {
      kernels: k,
      accumulate: k.fn("sp_accumulate"),
      cascade: typeof k.exports["sp_cascade"] === "function" ? k.fn("sp_cascade") : null,
      leavesPtr,
      cascadePtr,
      treesPtr,
      trees,
      scratchPtr,
      shapePtr,
      featsPtr,
      idxPtr,
      i32: null,
    };
  }

  /**
   * Parses a serialized dlib shape_predictor and uses the wasm kernels (the process-wide default instance
   * unless `opts.kernels` is given; `kernels: null` or an unavailable kernels.wasm means plain JS). The JS
   * copy of the leaf values is released unless `releaseJsLeaves: false`.
   */
  static async load(bytes: Uint8Array, file = "<bytes>", opts: ShapePredictorOptions = {}): Promise<ShapePredictor> {
    const model = readShapePredictor(bytes, file);
    let kernels = opts.kernels;
    if (kernels === undefined) {
      try {
        kernels = await defaultKernels();
      } catch {
        kernels = null;
      }
    }
    return new ShapePredictor(model, { kernels, releaseJsLeaves: opts.releaseJsLeaves ?? true });
  }

  /** Parses a serialized dlib shape_predictor (see readShapePredictor); plain JS unless kernels are given. */
  static fromBytes(bytes: Uint8Array, file = "<bytes>", opts: ShapePredictorOptions = {}): ShapePredictor {
    return new ShapePredictor(readShapePredictor(bytes, file), opts);
  }

  get numParts(): number {
    return this.model.numParts;
  }

  /** True when leaf accumulation runs in the wasm kernels. */
  get usesWasm(): boolean {
    return this.wasm !== null;
  }

  /** Releases the wasm memory. Afterwards predict runs in JS if the JS leaves were kept, else throws. */
  dispose(): void {
    const w = this.wasm;
    if (!w) return;
    this.wasm = null;
    w.kernels.arena.release(w.leavesPtr);
    w.kernels.arena.release(w.treesPtr);
    w.kernels.arena.release(w.scratchPtr);
    const dim = this.model.initialShape.length;
    if (this.model.cascades.some((c) => c.leafValues.length !== c.leafOffset[c.numTrees]! * dim)) this.disposed = true;
  }

  /**
   * dlib `sp(img, rect)`. Requires: an 8-bit image (RGB, grey or RGBA; colour is turned into grey as dlib does,
   * (r+g+b)/3 truncated) and the face rectangle (inclusive, image coordinates, may extend past the image).
   * Guarantees: numParts landmarks, `parts` identical to dlib's integer points, `partsFloat` dlib's values
   * before rounding.
   */
  predict(img: RgbImage | GrayImage, rect: Rect): FullObjectDetection {
    if (this.disposed) throw new Error("ShapePredictor: used after dispose() (its leaf values were released)");
    const ch = channelsOf(img);
    const { width: W, height: H, data } = img;
    const model = this.model;
    const init = model.initialShape;
    const dim = init.length;
    const leafIdx = this.leafIdx;
    const tf = this.tform;
    const w = this.wasm;
    // with wasm, the shape and the feature pixel values live in wasm memory (views are valid for this call:
    // nothing allocates in between)
    let cs = this.shape;
    let fv = this.feats;
    let I: Int32Array | null = null;
    if (w) {
      const F = w.kernels.arena.F32;
      if (!w.i32 || w.i32.buffer !== F.buffer) w.i32 = new Int32Array(F.buffer);
      I = w.i32;
      cs = F.subarray(w.shapePtr >> 2, (w.shapePtr >> 2) + dim);
      fv = F.subarray(w.featsPtr >> 2, (w.featsPtr >> 2) + this.feats.length);
    }
    cs.set(init);
    // unnormalizing_tform(rect): (0,0) → top-left, (1,1) → bottom-right
    const left = rect.left;
    const top = rect.top;
    const sx = fround(rect.right) - fround(left);
    const sy = fround(rect.bottom) - fround(top);
    for (let ci = 0; ci < model.cascades.length; ++ci) {
      const c = model.cascades[ci]!;
      similarityTransform2x2(init, cs, tf);
      const t00 = tf[0]!, t01 = tf[1]!, t10 = tf[2]!, t11 = tf[3]!;
      const anchors = c.anchorIdx;
      const deltas = c.deltas;
      const nf = anchors.length;
      for (let i = 0; i < nf; ++i) {
        const a = anchors[i]! << 1;
        const dx = deltas[2 * i]!;
        const dy = deltas[2 * i + 1]!;
        const vx = fround(fround(fround(t00 * dx) + fround(t01 * dy)) + cs[a]!);
        const vy = fround(fround(fround(t10 * dx) + fround(t11 * dy)) + cs[a + 1]!);
        const px = Math.floor(sx * vx + left + 0.5);
        const py = Math.floor(sy * vy + top + 0.5);
        if (px >= 0 && py >= 0 && px < W && py < H) {
          const o = py * W + px;
          if (ch === 1) fv[i] = data[o]!;
          else {
            const q = o * ch;
            fv[i] = ((data[q]! + data[q + 1]! + data[q + 2]!) / 3) | 0;
          }
        } else {
          fv[i] = 0;
        }
      }
      const nt = c.numTrees;
      if (w && w.cascade) {
        const tr = w.trees[ci]!;
        w.cascade(w.featsPtr, tr.idx1, tr.idx2, tr.thresh, tr.splitOff, tr.leafOff, nt, w.cascadePtr[ci]!, w.shapePtr, dim, w.idxPtr);
        continue;
      }
      const so = c.splitOffset;
      const lo = c.leafOffset;
      const i1 = c.splitIdx1;
      const i2 = c.splitIdx2;
      const th = c.splitThresh;
      for (let t = 0; t < nt; ++t) {
        const base = so[t]!;
        const ns = so[t + 1]! - base;
        let n = 0;
        while (n < ns) {
          const k = base + n;
          n = fv[i1[k]!]! - fv[i2[k]!]! > th[k]! ? 2 * n + 1 : 2 * n + 2;
        }
        leafIdx[t] = lo[t]! + n - ns;
      }
      if (w) {
        I!.set(leafIdx.subarray(0, nt), w.idxPtr >> 2);
        w.accumulate(w.shapePtr, w.cascadePtr[ci]!, w.idxPtr, nt, dim);
      } else {
        const lv = c.leafValues;
        for (let t = 0; t < nt; ++t) {
          let off = leafIdx[t]! * dim;
          for (let j = 0; j < dim; ++j) cs[j] = cs[j]! + lv[off++]!;
        }
      }
    }
    const parts: Point[] = [];
    const partsFloat: Point[] = [];
    for (let i = 0; i < model.numParts; ++i) {
      const x = sx * cs[2 * i]! + left;
      const y = sy * cs[2 * i + 1]! + top;
      partsFloat.push({ x, y });
      parts.push({ x: Math.floor(x + 0.5), y: Math.floor(y + 0.5) });
    }
    return { rect: { ...rect }, parts, partsFloat };
  }
}

/** Convenience: ShapePredictor.load (parse, then wasm kernels when available). */
export function loadShapePredictor(bytes: Uint8Array, file = "<bytes>", opts: ShapePredictorOptions = {}): Promise<ShapePredictor> {
  return ShapePredictor.load(bytes, file, opts);
}
