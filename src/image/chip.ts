/**
 * dlib 19.24's image chips (dlib/image_transforms/interpolation.h): `chip_details`, `chip_dims`,
 * `get_face_chip_details` (5- and 68-point shapes) and `extract_image_chip(s)` with dlib's default bilinear
 * interpolation, including its pyramid_down<2> pre-shrinking of large source areas.
 *
 * Exactness notes (what dlib computes and how we match it):
 *  - extract_image_chips maps chip pixels to the source with `find_affine_transform` of three corner pairs,
 *    which dlib solves as Q·pinv(P). pinv(P) goes through LAPACK's dgesvd, so its last bits (tiny non-zero
 *    entries where the exact inverse has zeros) depend on the BLAS/LAPACK build, and they decide e.g. whether
 *    a chip's first row samples a hair above row 0 (black) or not. P depends only on the chip size, so for
 *    common sizes we carry the pinv(P) that Debian's dlib 19.24 + OpenBLAS 0.3.21 (Haswell kernels, the build
 *    behind the reference fixtures) computes, and the product Q·pinv(P) is evaluated as that BLAS does it
 *    (fused multiply-adds in k order). Other sizes use the exact inverse (differences of a few 1e-17).
 *  - `get_face_chip_details` uses dlib's least-squares similarity fit (Umeyama); dlib gets it from a LAPACK
 *    SVD, we use the 2-D closed form, equal up to rounding (≤ 26 ulp on the fixture faces' rects and angles;
 *    every fixture chip is still pixel-identical).
 *  - With OpenBLAS's AVX-512 kernels (its default on such CPUs) dlib's pinv(P) has other last bits than with the
 *    Haswell kernels; that build's center150 crops differ from the fixtures in a few pixels (black first row
 *    of crops touching the top edge, ±1 elsewhere). We follow the fixtures' (Haswell) build.
 *  - Pixel sampling is dlib's interpolate_bilinear (float64 blend, truncation to uint8), black outside.
 */
import { channelsOf, type ByteImage, type ImageWindow } from "./resample.js";
import type { DRect, Point, Rect } from "./types.js";

/** dlib `chip_dims`: the size of a chip in pixels. */
export interface ChipDims {
  rows: number;
  cols: number;
}

/**
 * dlib `chip_details`: where a chip comes from. `rect` is a drectangle (doubles, inclusive, width = right −
 * left + 1) in source-image coordinates, `angle` the rotation in radians (the rect is rotated by `angle`
 * about its centre), `rows × cols` the chip size.
 */
export interface ChipDetails {
  rect: DRect;
  angle: number;
  rows: number;
  cols: number;
}

/** dlib `chip_dims(rows, cols)`. Requires positive integers. */
export function chipDims(rows: number, cols: number): ChipDims {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new RangeError(`chip_dims: rows and cols must be positive integers, got ${rows}x${cols}`);
  }
  return { rows, cols };
}

/** dlib `chip_details(rect, dims, angle = 0)`: rect (integer Rect or drectangle) as given, angle in radians. */
export function chipDetails(rect: DRect | Rect, dims: ChipDims, angle = 0): ChipDetails {
  return { rect: { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom }, angle, rows: dims.rows, cols: dims.cols };
}

/**
 * dlib `chip_details(rect, size, angle = 0)`: a chip of about `size` pixels with the rect's aspect ratio:
 * rows = ⌊h·√(size/area) + 0.5⌋, cols = ⌊size/rows + 0.5⌋ (both at least 1), or √size square for an empty rect.
 */
export function chipDetailsFromSize(rect: DRect | Rect, size: number, angle = 0): ChipDetails {
  const r: DRect = { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom };
  let rows: number, cols: number;
  if (isEmpty(r)) {
    rows = cols = Math.round(Math.sqrt(size));
  } else {
    const rel = Math.sqrt(size / dArea(r));
    rows = Math.trunc(dHeight(r) * rel + 0.5);
    cols = Math.trunc(size / rows + 0.5);
    rows = Math.max(1, rows);
    cols = Math.max(1, cols);
  }
  return { rect: r, angle, rows, cols };
}

/** dlib `chip_details(drectangle)`: angle 0, rows/cols = the rect's height/width rounded (⌊v + 0.5⌋). */
export function chipDetailsOfRect(rect: DRect | Rect): ChipDetails {
  const r: DRect = { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom };
  return { rect: r, angle: 0, rows: Math.trunc(dHeight(r) + 0.5), cols: Math.trunc(dWidth(r) + 0.5) };
}

// ---------------------------------------------------------------------------------------------------------
// small geometry helpers with dlib's exact operation order

/** drectangle width/height: right − left + 1, or 0 when empty. */
function dWidth(r: DRect): number {
  return r.top > r.bottom || r.left > r.right ? 0 : r.right - r.left + 1;
}
function dHeight(r: DRect): number {
  return r.top > r.bottom || r.left > r.right ? 0 : r.bottom - r.top + 1;
}
function dArea(r: DRect): number {
  return dWidth(r) * dHeight(r);
}
function isEmpty(r: DRect): boolean {
  return r.top > r.bottom || r.left > r.right;
}
/** union of drectangles (dlib operator+): empty operands are ignored. */
function dUnion(a: DRect, b: DRect): DRect {
  if (isEmpty(b)) return a;
  if (isEmpty(a)) return b;
  return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) };
}
const EMPTY: DRect = { left: 0, top: 0, right: -1, bottom: -1 };

/** pyramid_down<2>::rect_down: corners mapped by p/2 − (1.25, 0.75), rebuilt as the union of the two points. */
function rectDown2(r: DRect): DRect {
  const x1 = r.left / 2.0 - 1.25, y1 = r.top / 2.0 - 0.75;
  const x2 = r.right / 2.0 - 1.25, y2 = r.bottom / 2.0 - 0.75;
  return { left: Math.min(x1, x2), top: Math.min(y1, y2), right: Math.max(x1, x2), bottom: Math.max(y1, y2) };
}

/** dlib rotate_point(center, p, angle): rotation about `center` with cos/sin of `angle`. */
function rotatePoint(cx: number, cy: number, px: number, py: number, cosA: number, sinA: number): [number, number] {
  const dx = px - cx, dy = py - cy;
  const x = cosA * dx - sinA * dy;
  const y = sinA * dx + cosA * dy;
  return [x + cx, y + cy];
}

// ---------------------------------------------------------------------------------------------------------
// exact fused multiply-add (used only a dozen times per chip)

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Splits a finite double into [mantissa, exponent] with x = mantissa · 2^exponent exactly. */
function decompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  f64[0] = x;
  const lo = u32[0], hi = u32[1];
  let ex = (hi >>> 20) & 0x7ff;
  let man = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (ex === 0) ex = 1;
  else man |= 1n << 52n;
  if (hi >>> 31) man = -man;
  return [man, ex - 1075];
}

/** fma(a, b, c) = a·b + c with a single rounding (round to nearest even). Requires finite inputs and a normal result. */
export function fma(a: number, b: number, c: number): number {
  // Fast path: a·b = p + e exactly (Dekker/Veltkamp), p + c = sum + t exactly (TwoSum), t + e = u + v exactly,
  // sum + u = r + d exactly. The exact result is r + (d + v); r is its correct rounding when |d| + |v| stays
  // below half an ulp of r (a quarter when r is a power of two). Otherwise fall back to exact arithmetic.
  const p = a * b;
  const A = a * 134217729, B = b * 134217729;
  const ah = A - (A - a), al = a - ah, bh = B - (B - b), bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  const sum = p + c;
  const sb = sum - p;
  const t = (p - (sum - sb)) + (c - sb);
  const u = t + e;
  const ub = u - t;
  const v = (t - (u - ub)) + (e - ub);
  const r = sum + u;
  const rb = r - sum;
  const d = (sum - (r - rb)) + (u - rb);
  if (Math.abs(p) < 1e300 && Math.abs(c) < 1e300 && (p === 0 || Math.abs(p) > 1e-280)) {
    f64[0] = r;
    const hi = u32[1];
    const ex = (hi >>> 20) & 0x7ff;
    if (ex > 110 && ex < 0x7ff) {
      const pow2 = (hi & 0xfffff) === 0 && u32[0] === 0;
      const half = 2 ** (ex - 1076 - (pow2 ? 1 : 0));
      if ((Math.abs(d) + Math.abs(v)) * (1 + 2 ** -50) < half) return r;
    } else if (r === 0 && d === 0 && v === 0) {
      return r;
    }
  }
  return fmaExact(a, b, c);
}

/** fma via exact BigInt arithmetic (slow; the fallback of `fma`). */
export function fmaExact(a: number, b: number, c: number): number {
  const [am, ae] = decompose(a);
  const [bm, be] = decompose(b);
  const [cm, ce] = decompose(c);
  const pm = am * bm, pe = ae + be;
  if (pm === 0n) return a * b + c;
  if (cm === 0n) return a * b + c;
  const e = Math.min(pe, ce);
  const s = (pm << BigInt(pe - e)) + (cm << BigInt(ce - e));
  if (s === 0n) return 0;
  // Number(bigint) rounds to nearest, ties to even; scaling by a power of two is then exact.
  return scale2(Number(s), e);
}

function scale2(v: number, e: number): number {
  while (e > 1000) { v *= 2 ** 1000; e -= 1000; }
  while (e < -1000) { v *= 2 ** -1000; e += 1000; }
  return v * 2 ** e;
}

// ---------------------------------------------------------------------------------------------------------
// find_affine_transform for extract_image_chips' three corner pairs

/**
 * pinv(P) as dlib 19.24 + OpenBLAS 0.3.21 (Haswell kernels) computes it for P = [[0, cols−1, 0], [0, 0, rows−1],
 * [1, 1, 1]] (columns = chip corners tl, tr, bl, homogeneous), row-major 3×3, for square chips of these sizes.
 */
const PINV_TABLE: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [150, [-0.0067114093959731525, -0.0067114093959731542, 0.99999999999999967, 0.0067114093959731542, 1.9354337311441146e-19, 2.6099384482321394e-22, -8.0920045026134766e-19, 0.0067114093959731551, 1.9223655131822761e-17]],
  [32, [-0.032258064516129024, -0.032258064516129031, 0.99999999999999956, 0.032258064516129052, 1.2448093984906324e-18, 1.771791670231557e-19, 1.1219629217433398e-18, 0.032258064516129024, 8.7689283236009043e-17]],
  [200, [-0.0050251256281407027, -0.0050251256281407036, 0.99999999999999989, 0.0050251256281407027, -5.3619239277679643e-19, -1.0795051799304882e-20, 1.3339859134211154e-19, 0.0050251256281407019, 1.4107193422554555e-17]],
  [224, [-0.0044843049327354242, -0.0044843049327354251, 0.99999999999999967, 0.0044843049327354268, -6.2155526108647404e-20, 2.2503433825873411e-21, -1.5477322564008928e-19, 0.0044843049327354233, -1.2008435591162216e-17]],
  [256, [-0.0039215686274509795, -0.0039215686274509812, 0.99999999999999989, 0.0039215686274509795, -5.8824703505072056e-19, -8.717757401233163e-21, -8.7569254477737152e-19, 0.0039215686274509795, -5.5505462921886798e-17]],
  [112, [-0.0090090090090090037, -0.0090090090090090055, 0.99999999999999933, 0.0090090090090090089, 2.0278489182511888e-18, 4.6407116640085316e-20, 3.6143465329975217e-19, 0.0090090090090090089, 6.7857745315064371e-17]],
  [128, [-0.0078740157480314942, -0.0078740157480314977, 0.99999999999999978, 0.0078740157480314994, 5.287329082783506e-19, 2.4612378110481486e-20, 2.6965419807639779e-18, 0.0078740157480314994, -1.1249504203680573e-16]],
  [64, [-0.015873015873015865, -0.015873015873015869, 0.99999999999999944, 0.015873015873015872, -5.9982192611818799e-19, -1.6291262699369087e-19, 1.0686987294565627e-18, 0.015873015873015869, 7.9126546209776312e-17]],
  [96, [-0.010526315789473682, -0.010526315789473684, 0.99999999999999978, 0.010526315789473682, -1.7939787762542827e-19, 3.0922708047295766e-21, -1.3516134787543565e-18, 0.010526315789473682, -5.6735054115561288e-17]],
  [160, [-0.0062893081761006267, -0.0062893081761006293, 0.99999999999999978, 0.0062893081761006284, 4.552480827532358e-19, -2.2807564240683639e-21, -4.7104340527050909e-19, 0.0062893081761006301, -1.8236484472896036e-17]],
  [40, [-0.025641025641025637, -0.02564102564102564, 0.99999999999999967, 0.025641025641025633, -3.7110621742328688e-18, -1.8318565307019123e-19, -5.3176252681693114e-18, 0.025641025641025644, -9.9972319467881385e-17]],
  [80, [-0.012658227848101253, -0.01265822784810126, 0.99999999999999922, 0.012658227848101266, 1.5522400463665604e-18, -2.1125217383696588e-21, -4.6291695727381118e-18, 0.01265822784810126, 1.6368617263947921e-16]],
  [100, [-0.0101010101010101, -0.010101010101010102, 1, 0.010101010101010098, 4.8788929310995306e-19, -4.6105504963698789e-20, 2.4072518998106873e-19, 0.010101010101010098, -5.6833843059988049e-18]],
]);

/** pinv(P) for a rows×cols chip: the tabulated dlib/OpenBLAS values when known, else the exact inverse. */
function cornerPinv(rows: number, cols: number): readonly number[] {
  if (rows === cols) {
    const t = PINV_TABLE.get(rows);
    if (t) return t;
  }
  // Exact (pseudo-)inverse of [[0, W, 0], [0, 0, H], [1, 1, 1]] (W = cols−1, H = rows−1). A 1-pixel side makes
  // P singular; the least-squares map then sends the coinciding corners to their mean.
  const W = cols - 1, H = rows - 1;
  if (W > 0 && H > 0) return [-1 / W, -1 / H, 1, 1 / W, 0, 0, 0, 1 / H, 0];
  if (H > 0) return [0, -1 / (2 * H), 0.5, 0, -1 / (2 * H), 0.5, 0, 1 / H, 0];
  if (W > 0) return [-1 / (2 * W), 0, 0.5, 1 / W, 0, 0, -1 / (2 * W), 0, 0.5];
  return [0, 0, 1 / 3, 0, 0, 1 / 3, 0, 0, 1 / 3];
}

/**
 * An affine point map p ↦ M·p + b (dlib point_transform_affine). Applying it follows dlib's order:
 * x' = (m00·x + m01·y) + b0, y' = (m10·x + m11·y) + b1, float64, no fused operations.
 */
export interface AffineTransform {
  m00: number;
  m01: number;
  m10: number;
  m11: number;
  b0: number;
  b1: number;
}

/** Applies an AffineTransform to (x, y) in dlib's operation order. */
export function applyAffine(t: AffineTransform, x: number, y: number): [number, number] {
  return [t.m00 * x + t.m01 * y + t.b0, t.m10 * x + t.m11 * y + t.b1];
}

/**
 * The map extract_image_chips uses from chip pixel (c, r) to the source: the affine transform taking the chip's
 * corners (0,0), (cols−1,0), (0,rows−1) to `tl`, `tr`, `bl` (dlib find_affine_transform, see module notes).
 */
export function chipCornerTransform(rows: number, cols: number, tl: Point, tr: Point, bl: Point): AffineTransform {
  const p = cornerPinv(rows, cols);
  const qx = [tl.x, tr.x, bl.x], qy = [tl.y, tr.y, bl.y];
  const dot = (q: number[], j: number): number => fma(q[2], p[6 + j], fma(q[1], p[3 + j], q[0] * p[j]));
  return { m00: dot(qx, 0), m01: dot(qx, 1), b0: dot(qx, 2), m10: dot(qy, 0), m11: dot(qy, 1), b1: dot(qy, 2) };
}

// ---------------------------------------------------------------------------------------------------------
// get_face_chip_details

/** dlib's mean face (points 17..67 of the iBUG 68-point layout), x then y, in [0,1] chip units. */
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127,
  0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
  0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395,
  0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
  0.553364, 0.490127, 0.42689,
];
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352,
  0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
  0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578,
  0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
  0.784792, 0.824182, 0.831803, 0.824182,
];
/** dlib's 5-point template (shape_predictor_5_face_landmarks order). */
const FIVE_POINT_TEMPLATE: readonly [number, number][] = [
  [0.8595674595992, 0.2134981538014],
  [0.6460604764104, 0.2289674387677],
  [0.1205750620789, 0.2137274526848],
  [0.3340850613712, 0.2290642403242],
  [0.4901123135679, 0.6277975316475],
];

/**
 * Least-squares similarity transform (rotation + uniform scale + translation) taking `from[i]` to `to[i]`
 * (Umeyama's method, as dlib find_similarity_transform, closed form for 2-D). Requires ≥ 2 point pairs.
 */
export function findSimilarityTransform(from: readonly Point[], to: readonly Point[]): AffineTransform {
  const n = from.length;
  if (n !== to.length || n < 2) throw new RangeError(`find_similarity_transform: need >= 2 point pairs of equal count (got ${n}, ${to.length})`);
  let mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (let i = 0; i < n; i++) {
    mfx += from[i].x; mfy += from[i].y;
    mtx += to[i].x; mty += to[i].y;
  }
  mfx /= n; mfy /= n; mtx /= n; mty /= n;
  let sigmaFrom = 0, c00 = 0, c01 = 0, c10 = 0, c11 = 0;
  for (let i = 0; i < n; i++) {
    const fx = from[i].x - mfx, fy = from[i].y - mfy;
    const tx = to[i].x - mtx, ty = to[i].y - mty;
    sigmaFrom += fx * fx + fy * fy;
    c00 += tx * fx; c01 += tx * fy;
    c10 += ty * fx; c11 += ty * fy;
  }
  sigmaFrom /= n;
  c00 /= n; c01 /= n; c10 /= n; c11 /= n;
  // For a 2x2 cross-covariance the optimal rotation has cos ∝ (c00 + c11), sin ∝ (c10 − c01), and trace(D·S)
  // equals the length of that vector (sum, or difference when det < 0, of the singular values).
  const A = c00 + c11, B = c10 - c01;
  const tr = Math.sqrt(A * A + B * B);
  const cosA = tr > 0 ? A / tr : 1, sinA = tr > 0 ? B / tr : 0;
  const c = sigmaFrom !== 0 ? (1.0 / sigmaFrom) * tr : 1;
  const m00 = c * cosA, m01 = c * -sinA, m10 = c * sinA, m11 = c * cosA;
  return { m00, m01, m10, m11, b0: mtx - (m00 * mfx + m01 * mfy), b1: mty - (m10 * mfx + m11 * mfy) };
}

/**
 * dlib `chip_details(chip_points, img_points, dims)`: the chip whose similarity transform best maps
 * `chipPoints` (chip pixel coordinates) onto `imgPoints` (image coordinates).
 */
export function chipDetailsFromPoints(chipPoints: readonly Point[], imgPoints: readonly Point[], dims: ChipDims): ChipDetails {
  const t = findSimilarityTransform(chipPoints, imgPoints);
  const px = t.m00 * 1 + t.m01 * 0, py = t.m10 * 1 + t.m11 * 0;
  const angle = Math.atan2(py, px);
  const scale = Math.sqrt(px * px + py * py);
  const [cx, cy] = applyAffine(t, dims.cols / 2.0, dims.rows / 2.0);
  const w = dims.cols * scale - 1, h = dims.rows * scale - 1; // centered_drect
  return { rect: { left: cx - w / 2, top: cy - h / 2, right: cx + w / 2, bottom: cy + h / 2 }, angle, rows: dims.rows, cols: dims.cols };
}

/**
 * dlib `get_face_chip_details(det, size = 200, padding = 0.2)`: the aligned face chip (size × size) for a 68-point
 * (iBUG) or 5-point (dlib 5-point model order) landmark shape. 68 points: dlib fits its mean face to points
 * 17..67 without eyebrows (17–26) and lower lip (55–59, 65–67). `padding` ≥ 0 widens the crop by that fraction
 * of the face on each side. Throws on another point count, size ≤ 0 or padding < 0.
 */
export function getFaceChipDetails(shape: readonly Point[], size = 200, padding = 0.2): ChipDetails {
  if (shape.length !== 68 && shape.length !== 5) {
    throw new RangeError(`get_face_chip_details: need a 68 or 5 point shape, got ${shape.length}`);
  }
  if (!(padding >= 0) || !(size > 0) || !Number.isInteger(size)) {
    throw new RangeError(`get_face_chip_details: invalid size ${size} or padding ${padding}`);
  }
  const from: Point[] = [], to: Point[] = [];
  const denom = 2 * padding + 1;
  if (shape.length === 5) {
    for (let i = 0; i < 5; i++) {
      const [tx, ty] = FIVE_POINT_TEMPLATE[i];
      from.push({ x: ((padding + tx) / denom) * size, y: ((padding + ty) / denom) * size });
      to.push({ x: shape[i].x, y: shape[i].y });
    }
  } else {
    for (let i = 17; i < 68; i++) {
      if ((55 <= i && i <= 59) || (65 <= i && i <= 67)) continue;
      if (i <= 26) continue;
      from.push({ x: ((padding + MEAN_FACE_X[i - 17]) / denom) * size, y: ((padding + MEAN_FACE_Y[i - 17]) / denom) * size });
      to.push({ x: shape[i].x, y: shape[i].y });
    }
  }
  return chipDetailsFromPoints(from, to, { rows: size, cols: size });
}

// ---------------------------------------------------------------------------------------------------------
// extract_image_chips

function checkDetails(d: ChipDetails, i: number): void {
  if (!Number.isInteger(d.rows) || !Number.isInteger(d.cols) || d.rows <= 0 || d.cols <= 0 || isEmpty(d.rect)) {
    throw new RangeError(`extract_image_chips: chip ${i} has an empty size or rect (${d.rows}x${d.cols})`);
  }
  if (![d.rect.left, d.rect.top, d.rect.right, d.rect.bottom, d.angle].every(Number.isFinite)) {
    throw new RangeError(`extract_image_chips: chip ${i} has a non-finite rect or angle`);
  }
}

/**
 * pyramid_down<2> (dlib impl::pyramid_down_2_1, 8-bit rgb or grey) of the window `x0, y0, w × h` of `src`
 * (row stride `srcW` pixels): 5-tap [1 4 6 4 1] row filter on every second column, the same filter down the
 * columns on every second row, integer sums divided by 256 (truncating). Output ((w−3)/2) × ((h−3)/2), or empty
 * when w or h ≤ 8. Same result as `pyramidDown` of the cropped window, without the copy.
 */
function pyramidDown2Window(src: Uint8Array, srcW: number, x0: number, y0: number, w: number, h: number, ch: 1 | 3): { width: number; height: number; data: Uint8Array } {
  if (w <= 8 || h <= 8) return { width: 0, height: 0, data: new Uint8Array(0) };
  const dw = (w - 3) >> 1, dh = (h - 3) >> 1;
  const rowLen = dw * ch;
  // Row-filtered rows live in a ring of 5 (output row dr needs filtered rows 2dr .. 2dr+4); sums ≤ 16·255.
  const ring = new Uint16Array(5 * rowLen);
  const stride = srcW * ch;
  const out = new Uint8Array(dh * rowLen);
  for (let r = 0; r < 3; r++) filterRow2(src, ring, (y0 + r) * stride + x0 * ch, (r % 5) * rowLen, dw, ch);
  for (let dr = 0; dr < dh; dr++) {
    const r0 = 2 * dr;
    filterRow2(src, ring, (y0 + r0 + 3) * stride + x0 * ch, ((r0 + 3) % 5) * rowLen, dw, ch);
    filterRow2(src, ring, (y0 + r0 + 4) * stride + x0 * ch, ((r0 + 4) % 5) * rowLen, dw, ch);
    const a = (r0 % 5) * rowLen, b = ((r0 + 1) % 5) * rowLen, c0 = ((r0 + 2) % 5) * rowLen;
    const d = ((r0 + 3) % 5) * rowLen, e = ((r0 + 4) % 5) * rowLen;
    const o = dr * rowLen;
    for (let j = 0; j < rowLen; j++) {
      out[o + j] = (ring[a + j] + 4 * ring[b + j] + 6 * ring[c0 + j] + 4 * ring[d + j] + ring[e + j]) >> 8;
    }
  }
  return { width: dw, height: dh, data: out };
}

/** [1 4 6 4 1] on every second pixel of one row (starting at byte `i` of `src`), written at `o` of `ring`. */
function filterRow2(src: Uint8Array, ring: Uint16Array, i: number, o: number, dw: number, ch: 1 | 3): void {
  if (ch === 3) {
    for (let c = 0; c < dw; c++, i += 6, o += 3) {
      ring[o] = src[i] + 4 * src[i + 3] + 6 * src[i + 6] + 4 * src[i + 9] + src[i + 12];
      ring[o + 1] = src[i + 1] + 4 * src[i + 4] + 6 * src[i + 7] + 4 * src[i + 10] + src[i + 13];
      ring[o + 2] = src[i + 2] + 4 * src[i + 5] + 6 * src[i + 8] + 4 * src[i + 11] + src[i + 14];
    }
  } else {
    for (let c = 0; c < dw; c++, i += 2, o++) {
      ring[o] = src[i] + 4 * src[i + 1] + 6 * src[i + 2] + 4 * src[i + 3] + src[i + 4];
    }
  }
}

/** dlib's impl::basic_extract_image_chip: a plain copy of an integer rect, black where it leaves the image. */
function basicExtract<T extends ByteImage>(img: T, rect: DRect, ch: number): T {
  // chip_details built from an integer rectangle keeps integral coordinates; dlib converts drectangle to
  // rectangle by rounding each side.
  const l = Math.floor(rect.left + 0.5), t = Math.floor(rect.top + 0.5);
  const r = Math.floor(rect.right + 0.5), b = Math.floor(rect.bottom + 0.5);
  const w = Math.max(0, r - l + 1), h = Math.max(0, b - t + 1);
  const out = new Uint8Array(w * h * ch);
  const x0 = Math.max(l, 0), x1 = Math.min(r, img.width - 1), y0 = Math.max(t, 0), y1 = Math.min(b, img.height - 1);
  if (x0 <= x1) {
    for (let y = y0; y <= y1; y++) {
      const s = (y * img.width + x0) * ch;
      out.set(img.data.subarray(s, s + (x1 - x0 + 1) * ch), ((y - t) * w + (x0 - l)) * ch);
    }
  }
  return { width: w, height: h, data: out } as T;
}

/** Fills `out` (rows × cols, ch channels) by sampling `win` through `t` (dlib transform_image, black background). */
function transformImage(win: ImageWindow, out: Uint8Array, rows: number, cols: number, ch: number, t: AffineTransform): void {
  if (ch === 3) transformImageRgb(win, out, rows, cols, t);
  else transformImageGrey(win, out, rows, cols, t);
}

// Column terms m00·c and m10·c are the same in every row, so they are tabulated; x = (m00·c + m01·r) + b0 keeps
// dlib's evaluation order. floor(x) < W−1 ⟺ x < W−1 for integer W, so the range test runs on the doubles and
// the truncations that follow are floors of non-negative values.
const colTerms = { x: new Float64Array(256), y: new Float64Array(256) };
function columnTerms(cols: number, m00: number, m10: number): { x: Float64Array; y: Float64Array } {
  if (colTerms.x.length < cols) {
    colTerms.x = new Float64Array(cols);
    colTerms.y = new Float64Array(cols);
  }
  for (let c = 0; c < cols; c++) {
    colTerms.x[c] = m00 * c;
    colTerms.y[c] = m10 * c;
  }
  return colTerms;
}

function transformImageRgb(win: ImageWindow, out: Uint8Array, rows: number, cols: number, t: AffineTransform): void {
  const { m00, m01, m10, m11, b0, b1 } = t;
  const W1 = win.width - 1, H1 = win.height - 1;
  const s = win.img.data;
  const stride = win.img.width * 3;
  const base = win.y0 * stride + win.x0 * 3;
  const { x: cx, y: cy } = columnTerms(cols, m00, m10);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const ry0 = m01 * r, ry1 = m11 * r;
    for (let c = 0; c < cols; c++, o += 3) {
      const x = cx[c] + ry0 + b0;
      const y = cy[c] + ry1 + b1;
      if (!(x >= 0 && y >= 0 && x < W1 && y < H1)) continue; // stays 0 (black)
      const fl = x | 0, ft = y | 0;
      const lr = x - fl, tb = y - ft;
      const a = 1 - lr, b = 1 - tb;
      const i = base + ft * stride + fl * 3;
      const j = i + stride;
      const t0 = s[i], t1 = s[i + 1], t2 = s[i + 2], t3 = s[i + 3], t4 = s[i + 4], t5 = s[i + 5];
      const u0 = s[j], u1 = s[j + 1], u2 = s[j + 2], u3 = s[j + 3], u4 = s[j + 4], u5 = s[j + 5];
      out[o] = b * (a * t0 + lr * t3) + tb * (a * u0 + lr * u3);
      out[o + 1] = b * (a * t1 + lr * t4) + tb * (a * u1 + lr * u4);
      out[o + 2] = b * (a * t2 + lr * t5) + tb * (a * u2 + lr * u5);
    }
  }
}

function transformImageGrey(win: ImageWindow, out: Uint8Array, rows: number, cols: number, t: AffineTransform): void {
  const { m00, m01, m10, m11, b0, b1 } = t;
  const W1 = win.width - 1, H1 = win.height - 1;
  const s = win.img.data;
  const stride = win.img.width;
  const base = win.y0 * stride + win.x0;
  const { x: cx, y: cy } = columnTerms(cols, m00, m10);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const ry0 = m01 * r, ry1 = m11 * r;
    for (let c = 0; c < cols; c++, o++) {
      const x = cx[c] + ry0 + b0;
      const y = cy[c] + ry1 + b1;
      if (!(x >= 0 && y >= 0 && x < W1 && y < H1)) continue;
      const fl = x | 0, ft = y | 0;
      const lr = x - fl, tb = y - ft;
      const a = 1 - lr;
      const i = base + ft * stride + fl;
      const j = i + stride;
      out[o] = (1 - tb) * (a * s[i] + lr * s[i + 1]) + tb * (a * s[j] + lr * s[j + 1]);
    }
  }
}

/**
 * dlib `extract_image_chips(img, details, chips)` with bilinear interpolation: one new image (same pixel type
 * as `img`, `rows × cols`) per entry of `details`. Pixels whose source neighbourhood falls outside the image
 * are black. When a chip shrinks its source area a lot, dlib (and this) first builds pyramid_down<2> levels of
 * the image cropped to the union of all chips' (rotated, grown) rects and samples from the deepest level whose
 * rect_down would still be larger than the chip; chips with angle 0 and rows×cols equal to the rect's size are
 * plain copies. Throws RangeError on empty sizes/rects or non-finite values.
 */
export function extractImageChips<T extends ByteImage>(img: T, details: readonly ChipDetails[]): T[] {
  details.forEach(checkDetails);
  const ch = channelsOf(img);
  const imgRect: DRect = { left: 0, top: 0, right: img.width - 1, bottom: img.height - 1 };

  // How deep a pyramid is needed, and which part of the image it must cover.
  let maxDepth = 0;
  let bb: Rect = { left: 0, top: 0, right: -1, bottom: -1 };
  for (const d of details) {
    const size = d.rows * d.cols;
    let depth = 0;
    let grow = 2;
    let rect = rectDown2(d.rect);
    while (dArea(rect) > size) {
      rect = rectDown2(rect);
      ++depth;
      grow = grow * 2 + 2;
    }
    const cx = (d.rect.left + d.rect.right) / 2.0, cy = (d.rect.top + d.rect.bottom) / 2.0;
    const cosA = Math.cos(d.angle), sinA = Math.sin(d.angle);
    let rot = EMPTY;
    for (const [px, py] of [[d.rect.left, d.rect.top], [d.rect.right, d.rect.top], [d.rect.left, d.rect.bottom], [d.rect.right, d.rect.bottom]]) {
      const [x, y] = rotatePoint(cx, cy, px, py, cosA, sinA);
      rot = dUnion(rot, { left: x, top: y, right: x, bottom: y });
    }
    const grown: DRect = { left: rot.left - grow, top: rot.top - grow, right: rot.right + grow, bottom: rot.bottom + grow };
    const inter: DRect = {
      left: Math.max(grown.left, imgRect.left), top: Math.max(grown.top, imgRect.top),
      right: Math.min(grown.right, imgRect.right), bottom: Math.min(grown.bottom, imgRect.bottom),
    };
    // rectangle += drectangle: the drectangle is first rounded to an integer rectangle.
    const ir: Rect = { left: Math.floor(inter.left + 0.5), top: Math.floor(inter.top + 0.5), right: Math.floor(inter.right + 0.5), bottom: Math.floor(inter.bottom + 0.5) };
    bb = dUnion(bb, ir);
    maxDepth = Math.max(maxDepth, depth);
  }
  // sub_image(img, bb) clips to the image.
  const sub: Rect = { left: Math.max(bb.left, 0), top: Math.max(bb.top, 0), right: Math.min(bb.right, img.width - 1), bottom: Math.min(bb.bottom, img.height - 1) };
  const subEmpty = isEmpty(sub);
  const baseWin: ImageWindow = subEmpty
    ? { img, x0: 0, y0: 0, width: 0, height: 0 }
    : { img, x0: sub.left, y0: sub.top, width: sub.right - sub.left + 1, height: sub.bottom - sub.top + 1 };

  const levels: T[] = [];
  if (maxDepth > 0) {
    // level 0 from sub_image(img, bb), each further level from the previous one
    let cur = subEmpty
      ? { width: 0, height: 0, data: new Uint8Array(0) }
      : pyramidDown2Window(img.data, img.width, baseWin.x0, baseWin.y0, baseWin.width, baseWin.height, ch);
    levels.push(cur as T);
    for (let i = 1; i < maxDepth; i++) {
      cur = pyramidDown2Window(cur.data, cur.width, 0, 0, cur.width, cur.height, ch);
      levels.push(cur as T);
    }
  }

  const chips: T[] = [];
  for (const d of details) {
    if (d.angle === 0 && d.rows === dHeight(d.rect) && d.cols === dWidth(d.rect)) {
      chips.push(basicExtract(img, d.rect, ch));
      continue;
    }
    const size = d.rows * d.cols;
    let level = -1;
    // translate_rect(rect, -bb.tl_corner())
    let rect: DRect = { left: d.rect.left + -bb.left, top: d.rect.top + -bb.top, right: d.rect.right + -bb.left, bottom: d.rect.bottom + -bb.top };
    while (dArea(rectDown2(rect)) > size) {
      ++level;
      rect = rectDown2(rect);
    }
    const cx = (rect.left + rect.right) / 2.0, cy = (rect.top + rect.bottom) / 2.0;
    const cosA = Math.cos(d.angle), sinA = Math.sin(d.angle);
    const [tlx, tly] = rotatePoint(cx, cy, rect.left, rect.top, cosA, sinA);
    const [trx, try_] = rotatePoint(cx, cy, rect.right, rect.top, cosA, sinA);
    const [blx, bly] = rotatePoint(cx, cy, rect.left, rect.bottom, cosA, sinA);
    const t = chipCornerTransform(d.rows, d.cols, { x: tlx, y: tly }, { x: trx, y: try_ }, { x: blx, y: bly });
    const win: ImageWindow = level === -1 ? baseWin : { img: levels[level], x0: 0, y0: 0, width: levels[level].width, height: levels[level].height };
    const out = new Uint8Array(size * ch);
    if (win.width > 0 && win.height > 0) transformImage(win, out, d.rows, d.cols, ch, t);
    chips.push({ width: d.cols, height: d.rows, data: out } as T);
  }
  return chips;
}

/** dlib `extract_image_chip(img, details)` (bilinear): one chip; see `extractImageChips`. */
export function extractImageChip<T extends ByteImage>(img: T, details: ChipDetails): T {
  return extractImageChips(img, [details])[0];
}

