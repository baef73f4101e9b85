/**
 * dlib's HOG frontal face detector: `object_detector<scan_fhog_pyramid<pyramid_down<6>>>` evaluated exactly as
 * dlib 19.24's `object_detector::operator()(img, std::vector<rect_detection>&, adjust_threshold)` does it:
 *
 *  1. feature pyramid (`create_fhog_pyramid`): fHOG of the image, then of repeated pyramid_down<6> copies while
 *     the level (computed with rect_down on the image rectangle) stays ≥ min_pyramid_layer size;
 *  2. per weight vector, `build_fhog_filterbank`: each 31 planes' filter is also factored by SVD into
 *     separable rank-1 filters (singular values below max(1e-4, 0.001·max) dropped). dlib then uses the
 *     separable filters when there are few enough of them (always the case for the frontal face detector,
 *     trained with nuclear norm regularisation) and the full filters otherwise — both are reproduced with
 *     dlib's float32 SIMD/scalar summation orders;
 *  3. every saliency value ≥ threshold + adjust becomes a detection, mapped back through fhog_to_image and
 *     pyramid rect_up; detections of one filter sorted by score, all sorted by confidence, then dlib's greedy
 *     non-max suppression with the stored `test_box_overlap`.
 */
import type { GrayImage, Rect, RgbImage } from "../image/types.js";
import { PyramidDown, pyramidDown, roundRect } from "../image/pyramid.js";
import { pyramidUp, pyramidUpSize } from "../image/resample.js";
import { extractFhogFeatures, type FhogImage } from "./fhog.js";
import { Kernels, kernelModule, kernelModuleSync } from "../nn/wasm.js";
import {
  readFhogObjectDetector,
  type BoxOverlapTester,
  type FhogObjectDetectorModel,
  type FhogScannerConfig,
} from "../dlib/object-detector.js";

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------------------
// SVD (one-sided Jacobi, float64) for build_fhog_filterbank

/**
 * Singular value decomposition A = U·diag(w)·Vᵀ of a rows×cols row-major double matrix, with the singular values
 * sorted in decreasing order (what dlib's svd3 + rsort_columns produce, up to the signs of singular vector
 * pairs). Returns U (rows×k), w (k), V (cols×k), k = min(rows, cols); U and V column-major by singular value.
 */
export function svdJacobi(a: Float64Array, rows: number, cols: number): { u: Float64Array[]; w: Float64Array; v: Float64Array[] } {
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  // work columns: U (m each, n columns), V (n each, n columns)
  const U: Float64Array[] = [];
  const V: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = transpose ? a[j * cols + i] : a[i * cols + j];
    U.push(col);
    const e = new Float64Array(n);
    e[j] = 1;
    V.push(e);
  }
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const up = U[p], uq = U[q];
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += up[i] * up[i];
          beta += uq[i] * uq[i];
          gamma += up[i] * uq[i];
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = up[i], y = uq[i];
          up[i] = c * x - s * y;
          uq[i] = s * x + c * y;
        }
        const vp = V[p], vq = V[q];
        for (let i = 0; i < n; i++) {
          const x = vp[i], y = vq[i];
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const w = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += U[j][i] * U[j][i];
    w[j] = Math.sqrt(s);
    if (w[j] > 0) for (let i = 0; i < m; i++) U[j][i] /= w[j];
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => w[y] - w[x]);
  const ws = new Float64Array(order.map((j) => w[j]));
  const Us = order.map((j) => U[j]);
  const Vs = order.map((j) => V[j]);
  return transpose ? { u: Vs, w: ws, v: Us } : { u: Us, w: ws, v: Vs };
}

// ---------------------------------------------------------------------------------------------------------
// filter bank

/** dlib's `scan_fhog_pyramid::fhog_filterbank` for one weight vector. */
export interface FhogFilterbank {
  /** filter size in fhog cells */
  rows: number;
  cols: number;
  /** 31 full filters (rows×cols row-major float32) */
  filters: Float32Array[];
  /** per plane, the separable rank-1 parts: row filter (cols long) and column filter (rows long) */
  rowFilters: Float32Array[][];
  colFilters: Float32Array[][];
  numSeparableFilters: number;
}

/**
 * dlib `build_fhog_filterbank(weights)`: reshapes each plane's rows·cols weights into a filter (float32) and
 * its SVD into separable filters colᵢ = float(uⱼ·√wⱼ), rowᵢ = float(vⱼ·√wⱼ) for the singular values
 * wⱼ ≥ max(1e-4, 0.001·max(w)), largest first.
 */
export function buildFhogFilterbank(weights: Float64Array, rows: number, cols: number, numPlanes = 31): FhogFilterbank {
  const size = rows * cols;
  if (weights.length < size * numPlanes) throw new RangeError(`build_fhog_filterbank: need ${size * numPlanes} weights, got ${weights.length}`);
  const filters: Float32Array[] = [];
  const rowFilters: Float32Array[][] = [];
  const colFilters: Float32Array[][] = [];
  let numSeparableFilters = 0;
  for (let i = 0; i < numPlanes; i++) {
    const f = weights.subarray(i * size, (i + 1) * size);
    filters.push(Float32Array.from(f));
    const { u, w, v } = svdJacobi(Float64Array.from(f), rows, cols);
    let wmax = 0;
    for (let j = 0; j < w.length; j++) wmax = Math.max(wmax, w[j]);
    const thresh = Math.max(1e-4, wmax * 0.001);
    const rf: Float32Array[] = [];
    const cf: Float32Array[] = [];
    for (let j = 0; j < w.length; j++) {
      if (!(w[j] >= thresh)) continue;
      const s = Math.sqrt(w[j]);
      const col = new Float32Array(rows);
      for (let r = 0; r < rows; r++) col[r] = u[j][r] * s;
      const row = new Float32Array(cols);
      for (let c = 0; c < cols; c++) row[c] = v[j][c] * s;
      cf.push(col);
      rf.push(row);
    }
    rowFilters.push(rf);
    colFilters.push(cf);
    numSeparableFilters += rf.length;
  }
  return { rows, cols, filters, rowFilters, colFilters, numSeparableFilters };
}

// ---------------------------------------------------------------------------------------------------------
// spatial filtering (dlib's float paths, with their 8-lane SIMD / scalar summation orders)

interface Area { left: number; top: number; right: number; bottom: number }

/**
 * dlib `float_spatially_filter_image_separable(in, out, row, col, scratch, addTo)` on one plane.
 * out/scratch are rows×cols float32. Returns the non-border area.
 */
function filterSeparable(
  inp: Float32Array, inOff: number, nr: number, nc: number,
  rowF: Float32Array, colF: Float32Array, scratch: Float32Array, out: Float32Array, addTo: boolean,
): Area {
  const firstRow = colF.length >> 1;
  const firstCol = rowF.length >> 1;
  const lastRow = nr - ((colF.length - 1) >> 1);
  const lastCol = nc - ((rowF.length - 1) >> 1);
  if (!addTo) zeroBorder(out, nr, nc, firstCol, firstRow, lastCol - 1, lastRow - 1);
  const L = rowF.length;
  const nGroups = L >= 3 ? Math.floor((L - 3) / 3) + 1 : 0; // groups of 3 while n < L-2
  const nTail0 = nGroups * 3;
  // row filter
  for (let r = 0; r < nr; r++) {
    const rowBase = inOff + r * nc;
    const sBase = r * nc;
    let c = firstCol;
    for (; c < lastCol - 7; c += 8) {
      for (let k = 0; k < 8; k++) {
        const b = rowBase + c + k - firstCol;
        let t1 = 0, t2 = 0, t3 = 0;
        let n = 0;
        for (; n < nTail0; n += 3) {
          t1 = f32(t1 + f32(inp[b + n] * rowF[n]));
          t2 = f32(t2 + f32(inp[b + n + 1] * rowF[n + 1]));
          t3 = f32(t3 + f32(inp[b + n + 2] * rowF[n + 2]));
        }
        for (; n < L; n++) t1 = f32(t1 + f32(inp[b + n] * rowF[n]));
        scratch[sBase + c + k] = f32(t1 + f32(t2 + t3));
      }
    }
    for (; c < lastCol; c++) {
      const b = rowBase + c - firstCol;
      let t = 0;
      for (let n = 0; n < L; n++) t = f32(t + f32(inp[b + n] * rowF[n]));
      scratch[sBase + c] = t;
    }
  }
  // column filter
  const M = colF.length;
  const mGroups = M >= 3 ? Math.floor((M - 3) / 3) + 1 : 0;
  const mTail0 = mGroups * 3;
  for (let r = firstRow; r < lastRow; r++) {
    const top = (r - firstRow) * nc;
    const oBase = r * nc;
    let c = firstCol;
    for (; c < lastCol - 7; c += 8) {
      for (let k = 0; k < 8; k++) {
        const b = top + c + k;
        let t1 = 0, t2 = 0, t3 = 0;
        let m = 0;
        for (; m < mTail0; m += 3) {
          t1 = f32(t1 + f32(scratch[b + m * nc] * colF[m]));
          t2 = f32(t2 + f32(scratch[b + (m + 1) * nc] * colF[m + 1]));
          t3 = f32(t3 + f32(scratch[b + (m + 2) * nc] * colF[m + 2]));
        }
        for (; m < M; m++) t1 = f32(t1 + f32(scratch[b + m * nc] * colF[m]));
        const v = f32(t1 + f32(t2 + t3));
        out[oBase + c + k] = addTo ? f32(v + out[oBase + c + k]) : v;
      }
    }
    for (; c < lastCol; c++) {
      const b = top + c;
      let t = 0;
      for (let m = 0; m < M; m++) t = f32(t + f32(scratch[b + m * nc] * colF[m]));
      out[oBase + c] = addTo ? f32(out[oBase + c] + t) : t;
    }
  }
  return { left: firstCol, top: firstRow, right: lastCol - 1, bottom: lastRow - 1 };
}

/** dlib `spatially_filter_image(in, out, filter, 1, false, addTo)` for float images and a float filter. */
function filterFull(
  inp: Float32Array, inOff: number, nr: number, nc: number,
  filt: Float32Array, fr: number, fc: number, out: Float32Array, addTo: boolean,
): Area {
  const firstRow = fr >> 1;
  const firstCol = fc >> 1;
  const lastRow = nr - ((fr - 1) >> 1);
  const lastCol = nc - ((fc - 1) >> 1);
  if (!addTo) zeroBorder(out, nr, nc, firstCol, firstRow, lastCol - 1, lastRow - 1);
  const nGroups = fc >= 3 ? Math.floor((fc - 3) / 3) + 1 : 0;
  const nTail0 = nGroups * 3;
  for (let r = firstRow; r < lastRow; r++) {
    let c = firstCol;
    for (; c < lastCol - 7; c += 8) {
      for (let k = 0; k < 8; k++) {
        let t1 = 0, t2 = 0, t3 = 0;
        for (let m = 0; m < fr; m++) {
          const b = inOff + (r - firstRow + m) * nc + c + k - firstCol;
          const fb = m * fc;
          let n = 0;
          for (; n < nTail0; n += 3) {
            t1 = f32(t1 + f32(inp[b + n] * filt[fb + n]));
            t2 = f32(t2 + f32(inp[b + n + 1] * filt[fb + n + 1]));
            t3 = f32(t3 + f32(inp[b + n + 2] * filt[fb + n + 2]));
          }
          for (; n < fc; n++) t1 = f32(t1 + f32(inp[b + n] * filt[fb + n]));
        }
        const v = f32(t1 + f32(t2 + t3));
        const oi = r * nc + c + k;
        out[oi] = addTo ? f32(v + out[oi]) : v;
      }
    }
    for (; c < lastCol; c++) {
      let t = 0;
      for (let m = 0; m < fr; m++) {
        const b = inOff + (r - firstRow + m) * nc + c - firstCol;
        for (let n = 0; n < fc; n++) t = f32(t + f32(inp[b + n] * filt[m * fc + n]));
      }
      const oi = r * nc + c;
      out[oi] = addTo ? f32(out[oi] + t) : t;
    }
  }
  return { left: firstCol, top: firstRow, right: lastCol - 1, bottom: lastRow - 1 };
}

function zeroBorder(img: Float32Array, nr: number, nc: number, l: number, t: number, r: number, b: number): void {
  // dlib zero_border_pixels(img, rect): everything outside rect (clipped to the image) set to 0
  for (let y = 0; y < nr; y++) {
    const inside = y >= t && y <= b;
    for (let x = 0; x < nc; x++) {
      if (!inside || x < l || x > r) img[y * nc + x] = 0;
    }
  }
}

/**
 * dlib `impl::apply_filters_to_fhog`: the saliency image of one filter bank on one fhog level
 * (rows×cols float32) and the area in which it is valid. Returns null for an empty level.
 */
export function applyFiltersToFhog(fb: FhogFilterbank, feats: FhogImage): { saliency: Float32Array; area: Area } | null {
  const nr = feats.rows, nc = feats.cols;
  if (nr * nc === 0) return null;
  const plane = nr * nc;
  const saliency = new Float32Array(plane);
  let area: Area = { left: 0, top: 0, right: -1, bottom: -1 };
  const numPlanes = fb.filters.length;
  if (fb.numSeparableFilters > (numPlanes * Math.min(fb.rows, fb.cols)) / 3.0) {
    area = filterFull(feats.data, 0, nr, nc, fb.filters[0], fb.rows, fb.cols, saliency, false);
    for (let i = 1; i < numPlanes; i++) filterFull(feats.data, i * plane, nr, nc, fb.filters[i], fb.rows, fb.cols, saliency, true);
  } else {
    const scratch = new Float32Array(plane);
    let first = true;
    for (let i = 0; i < numPlanes; i++) {
      for (let j = 0; j < fb.rowFilters[i].length; j++) {
        area = filterSeparable(feats.data, i * plane, nr, nc, fb.rowFilters[i][j], fb.colFilters[i][j], scratch, saliency, !first);
        first = false;
      }
    }
    // no separable filter at all: dlib leaves an all-zero saliency image and an empty area
  }
  return { saliency, area };
}

// ---------------------------------------------------------------------------------------------------------
// detector

/** One detection as dlib's `rect_detection`: rectangle (inclusive), detection_confidence, weight_index. */
export interface HogDetection {
  rect: Rect;
  confidence: number;
  weightIndex: number;
}

/** A loaded HOG detector: the file's contents plus the precomputed filter banks. */
export interface HogDetector {
  model: FhogObjectDetectorModel;
  filterbanks: FhogFilterbank[];
  /** pyramid_down<N> used by the scanner (6 for dlib's frontal face detector; not stored in the file). */
  pyramidN: number;
}

/** Builds a detector from a deserialized model (computes the filter banks: SVDs of 31·k small matrices). */
export function makeHogDetector(model: FhogObjectDetectorModel, pyramidN = 6): HogDetector {
  const { filterHeight, filterWidth } = model.scanner;
  return { model, filterbanks: model.weights.map((w) => buildFhogFilterbank(w, filterHeight, filterWidth)), pyramidN };
}

/** Reads a serialized `object_detector<scan_fhog_pyramid<pyramid_down<N>>>` (e.g. frontal_face_detector.dat). */
export function loadHogDetector(bytes: Uint8Array, file = "<bytes>", pyramidN = 6): HogDetector {
  return makeHogDetector(readFhogObjectDetector(bytes, file), pyramidN);
}

let defaultDetector: HogDetector | null = null;

/**
 * dlib's `get_frontal_face_detector()`, read synchronously from this package's `models/frontal_face_detector.dat`
 * (Node ≥ 20.16, which has `process.getBuiltinModule`; elsewhere use `loadFrontalFaceDetector()` or
 * `loadHogDetector(bytes)`). Cached after the first call.
 */
export function getFrontalFaceDetector(): HogDetector {
  if (defaultDetector) return defaultDetector;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
  if (!fs) throw new Error("getFrontalFaceDetector: no file system here; pass a detector from loadHogDetector(bytes)");
  const url = new URL("../../models/frontal_face_detector.dat", import.meta.url);
  defaultDetector = loadHogDetector(new Uint8Array(fs.readFileSync(url)), "frontal_face_detector.dat");
  return defaultDetector;
}

/**
 * Async variant of `getFrontalFaceDetector` for any runtime: reads models/frontal_face_detector.dat with node:fs
 * (file: URLs) or fetch, and also loads the wasm kernels (`initHogWasm`) when they are not loaded yet; without
 * them detection falls back to the (slower, identical) JavaScript reference.
 */
export async function loadFrontalFaceDetector(): Promise<HogDetector> {
  if (!defaultDetector) {
    const url = new URL("../../models/frontal_face_detector.dat", import.meta.url);
    let bytes: Uint8Array;
    if (url.protocol === "file:") {
      const fs = await import("node:fs/promises");
      bytes = new Uint8Array(await fs.readFile(url));
    } else {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`cannot fetch ${url}: ${res.status} ${res.statusText}`);
      bytes = new Uint8Array(await res.arrayBuffer());
    }
    defaultDetector = loadHogDetector(bytes, "frontal_face_detector.dat");
  }
  if (!hogWasm) {
    try {
      await initHogWasm();
    } catch {
      // no kernels: the JavaScript reference is used
    }
  }
  return defaultDetector;
}

/**
 * dlib `create_fhog_pyramid`: fHOG (cell_size, paddings = filter size) of the image and of its successive
 * pyramid_down<N> levels; the number of levels comes from repeatedly applying rect_down to the image rectangle
 * until it is smaller than the minimum layer size (or max_pyramid_levels is reached).
 */
export function createFhogPyramid(img: RgbImage | GrayImage, scanner: FhogScannerConfig, pyramidN = 6): FhogImage[] {
  const levels = fhogPyramidLevels(img.width, img.height, scanner, pyramidN);
  const feats: FhogImage[] = [];
  const H = scanner.filterHeight, W = scanner.filterWidth;
  feats.push(extractFhogFeatures(img, scanner.cellSize, H, W));
  let cur: RgbImage | GrayImage = img;
  for (let l = 1; l < levels; l++) {
    cur = pyramidDown(cur, pyramidN);
    feats.push(extractFhogFeatures(cur, scanner.cellSize, H, W));
  }
  return feats;
}

/** dlib fhog_to_image for a point (integer arithmetic). */
function fhogToImagePoint(x: number, y: number, cell: number, rowsPad: number, colsPad: number): [number, number] {
  const px = (x + 1 - ((colsPad - 1) >> 1)) * cell + 1;
  const py = (y + 1 - ((rowsPad - 1) >> 1)) * cell + 1;
  const h = Math.trunc(cell / 2);
  const ox = px >= 0 ? h : -h;
  const oy = py >= 0 ? h : -h;
  return [px + ox, py + oy];
}

function rectArea(r: Rect): number {
  if (r.right < r.left || r.bottom < r.top) return 0;
  return (r.right - r.left + 1) * (r.bottom - r.top + 1);
}

/** dlib `test_box_overlap::operator()(a, b)`. */
export function boxesOverlap(t: BoxOverlapTester, a: Rect, b: Rect): boolean {
  const inner = rectArea({
    left: Math.max(a.left, b.left), top: Math.max(a.top, b.top),
    right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom),
  });
  if (inner === 0) return false;
  const aEmpty = rectArea(a) === 0, bEmpty = rectArea(b) === 0;
  const union = aEmpty ? b : bEmpty ? a : {
    left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom),
  };
  const outer = rectArea(union);
  return inner / outer > t.iouThresh || inner / rectArea(a) > t.percentCoveredThresh || inner / rectArea(b) > t.percentCoveredThresh;
}

/** Number of pyramid levels dlib's create_fhog_pyramid uses for a width×height image. */
export function fhogPyramidLevels(width: number, height: number, scanner: FhogScannerConfig, pyramidN = 6): number {
  const pyr = new PyramidDown(pyramidN);
  let levels = 0;
  let rect: Rect = { left: 0, top: 0, right: width - 1, bottom: height - 1 };
  do {
    rect = roundRect(pyr.rectDown(rect));
    levels++;
  } while (
    rect.right - rect.left + 1 >= scanner.minPyramidLayerWidth &&
    rect.bottom - rect.top + 1 >= scanner.minPyramidLayerHeight &&
    levels < scanner.maxPyramidLevels
  );
  return levels;
}

/** Appends the detections (score ≥ t) of one saliency image of pyramid level l (detect_from_fhog_pyramid). */
function scanSaliency(
  sal: Float32Array, salOff: number, nc: number, area: Area, t: number, l: number,
  sc: FhogScannerConfig, pyr: PyramidDown, dets: { score: number; rect: Rect }[],
): void {
  for (let r = area.top; r <= area.bottom; r++) {
    const rowOff = salOff + r * nc;
    for (let c = area.left; c <= area.right; c++) {
      const s = sal[rowOff + c];
      if (s >= t) pushDetection(s, r, c, l, sc, pyr, dets);
    }
  }
}

/** The detection of saliency s at fhog position (r, c) of pyramid level l (detect_from_fhog_pyramid). */
function pushDetection(s: number, r: number, c: number, l: number, sc: FhogScannerConfig, pyr: PyramidDown, dets: { score: number; rect: Rect }[]): void {
  const fH = sc.filterHeight, fW = sc.filterWidth;
  const boxH = fH - 2 * sc.padding, boxW = fW - 2 * sc.padding;
  // centered_rect(point(c,r), boxW, boxH) in fhog space, then to the image and up the pyramid
  const left = c - Math.trunc(boxW / 2), top = r - Math.trunc(boxH / 2);
  const right = left + boxW - 1, bottom = top + boxH - 1;
  const [x0, y0] = fhogToImagePoint(left, top, sc.cellSize, fH, fW);
  const [x1, y1] = fhogToImagePoint(right, bottom, sc.cellSize, fH, fW);
  dets.push({ score: s, rect: roundRect(pyr.rectUp({ left: x0, top: y0, right: x1, bottom: y1 }, l)) });
}

/** object_detector::operator(): per-filter sorting, confidence = score − threshold, global sort, NMS. */
function finishDetections(det: HogDetector, perFilter: { score: number; rect: Rect }[][]): HogDetection[] {
  const sc = det.model.scanner;
  const all: HogDetection[] = [];
  for (let i = 0; i < perFilter.length; i++) {
    const thresh = det.model.weights[i][sc.numDimensions];
    const dets = perFilter[i];
    // std::sort(dets.rbegin(), dets.rend()) by score: decreasing
    dets.sort((a, b) => b.score - a.score);
    for (const d of dets) all.push({ rect: d.rect, confidence: d.score - thresh, weightIndex: i });
  }
  if (perFilter.length > 1) all.sort((a, b) => b.confidence - a.confidence);
  const final: HogDetection[] = [];
  for (const d of all) {
    if (final.some((f) => boxesOverlap(det.model.boxesOverlap, f.rect, d.rect))) continue;
    final.push(d);
  }
  return final;
}

/**
 * Pure-JavaScript reference of `runHogDetector` (same results bit for bit, about 30x slower).
 */
export function runHogDetectorJs(det: HogDetector, img: RgbImage | GrayImage, adjustThreshold = 0): HogDetection[] {
  const sc = det.model.scanner;
  const feats = createFhogPyramid(img, sc, det.pyramidN);
  const pyr = new PyramidDown(det.pyramidN);
  const perFilter: { score: number; rect: Rect }[][] = [];
  for (let i = 0; i < det.filterbanks.length; i++) {
    const t = det.model.weights[i][sc.numDimensions] + adjustThreshold;
    const dets: { score: number; rect: Rect }[] = [];
    for (let l = 0; l < feats.length; l++) {
      const res = applyFiltersToFhog(det.filterbanks[i], feats[l]);
      if (res) scanSaliency(res.saliency, 0, feats[l].cols, res.area, t, l, sc, pyr, dets);
    }
    perFilter.push(dets);
  }
  return finishDetections(det, perFilter);
}

// ---------------------------------------------------------------------------------------------------------
// WebAssembly path (assembly/hog.ts): same arithmetic, float32 natively and 4-lane SIMD

type KFn = (...args: number[]) => void;
interface HogWasm {
  k: Kernels;
  fhog: KFn;
  sep: KFn;
  full: KFn;
  resize: KFn;
  sal10: (...args: number[]) => number;
  scan: (...args: number[]) => number;
  /** hog_orientation_table's 511x511 byte table (arena pointer), built on first use; 0 until then */
  otab: number;
  banks: WeakMap<HogDetector, UploadedBank>;
}
let hogWasm: HogWasm | null = null;
let hogWasmFailed = false;

/** Use this kernel instance (e.g. from `createKernels()`) for the HOG detector's hot loops. */
export function useHogKernels(k: Kernels): void {
  hogWasm = {
    k,
    fhog: k.fn<KFn>("hog_fhog"),
    sep: k.fn<KFn>("hog_filter_separable"),
    full: k.fn<KFn>("hog_filter_full"),
    resize: k.fn<KFn>("hog_resize_bilinear_u8"),
    sal10: k.fn<(...args: number[]) => number>("hog_saliency_sep10"),
    scan: k.fn<(...args: number[]) => number>("hog_scan_threshold"),
    otab: 0,
    banks: new WeakMap(),
  };
}

/** The orientation table hog_fhog reads (built once per kernel instance, kept for its lifetime). */
function orientationTable(w: HogWasm): number {
  if (!w.otab) {
    const p = w.k.arena.alloc(511 * 511);
    w.k.fn<KFn>("hog_orientation_table")(p);
    w.otab = p;
  }
  return w.otab;
}

/** Loads the kernel module asynchronously (any runtime) and uses a fresh instance of it for HOG. */
export async function initHogWasm(): Promise<void> {
  const mod = await kernelModule();
  useHogKernels(new Kernels(await WebAssembly.instantiate(mod, {})));
}

/** The HOG kernel instance, created synchronously from dist/kernels.wasm under Node if needed; null if unavailable. */
function getHogWasm(): HogWasm | null {
  if (hogWasm || hogWasmFailed) return hogWasm;
  try {
    const mod = kernelModuleSync();
    if (!mod) throw new Error("kernels.wasm not available synchronously");
    useHogKernels(new Kernels(new WebAssembly.Instance(mod, {})));
  } catch {
    hogWasmFailed = true;
  }
  return hogWasm;
}

/** True when the wasm kernels are loaded (or loadable synchronously under Node). */
export function hogWasmAvailable(): boolean {
  return getHogWasm() !== null;
}

/**
 * The wasm kernels' fHOG (hog_fhog) of one 8-bit rgb/grey image: same output as `extractFhogFeatures`, bit for
 * bit. Throws if the kernels are not available. (Mainly for tests and benchmarks.)
 */
export function extractFhogFeaturesWasm(img: RgbImage | GrayImage, cellSize = 8, rowsPad = 1, colsPad = 1): FhogImage {
  const w = getHogWasm();
  if (!w) throw new Error("HOG wasm kernels not available");
  const A = w.k.arena;
  const isRgb = img.data.length === img.width * img.height * 3 && img.width * img.height > 0;
  const cellsNr = Math.trunc(Math.fround(img.height / cellSize) + 0.5);
  const cellsNc = Math.trunc(Math.fround(img.width / cellSize) + 0.5);
  if (cellsNr < 3 || cellsNc < 3) return { rows: 0, cols: 0, data: new Float32Array(0) };
  const rows = cellsNr - 2 + rowsPad - 1, cols = cellsNc - 2 + colsPad - 1;
  const src = A.alloc(img.data.length + 32);
  A.U8.set(img.data, src);
  const hist = A.allocF32((cellsNr + 2) * (cellsNc + 2) * 18);
  const norm = A.allocF32(Math.max(cellsNr * cellsNc, 3 * (img.width + 16)));
  const out = A.allocF32(31 * rows * cols);
  try {
    w.fhog(src, img.width, img.height, isRgb ? 1 : 0, cellSize, rowsPad, colsPad, cellsNr, cellsNc, hist, norm, out, orientationTable(w));
    return { rows, cols, data: A.f32(out, 31 * rows * cols).slice() };
  } finally {
    A.release(out); A.release(norm); A.release(hist); A.release(src);
  }
}

/** The wasm kernels' dlib resize_image (bilinear) of an 8-bit rgb/grey image; same output as resizeImageBilinear. */
export function resizeImageBilinearWasm<T extends RgbImage | GrayImage>(img: T, outWidth: number, outHeight: number): T {
  const w = getHogWasm();
  if (!w) throw new Error("HOG wasm kernels not available");
  const A = w.k.arena;
  const ch = img.data.length === img.width * img.height * 3 && img.width * img.height > 0 ? 3 : 1;
  const src = A.alloc(img.data.length + 32);
  A.U8.set(img.data, src);
  const n = Math.max(0, outWidth) * Math.max(0, outHeight) * ch;
  const dst = A.alloc(n + 32);
  const tab = A.allocF32(13 * (Math.max(0, outWidth) + 8));
  try {
    w.resize(src, img.width, img.height, dst, outWidth, outHeight, ch, tab);
    return { width: outWidth, height: outHeight, data: A.u8(dst, n).slice() } as T;
  } finally {
    A.release(tab); A.release(dst); A.release(src);
  }
}

/** A detector's filters in wasm memory: per filter bank its parts, and the separable ones as i32 triples. */
interface UploadedBank {
  ptr: number;
  parts: { plane: number; row: number; col: number }[][];
  /** per filter bank: pointer to (plane, row filter, column filter) i32 triples of its separable parts, and their count */
  sepTriples: { ptr: number; n: number }[];
}

function uploadBank(w: HogWasm, det: HogDetector): UploadedBank {
  const cached = w.banks.get(det);
  if (cached) return cached;
  const { filterHeight: fr, filterWidth: fc } = det.model.scanner;
  let floats = 0;
  for (const fb of det.filterbanks) floats += 31 * fr * fc + fb.numSeparableFilters * (fr + fc);
  const ptr = w.k.arena.allocF32(floats);
  const F = w.k.arena.F32;
  let at = ptr >> 2;
  const parts: { plane: number; row: number; col: number }[][] = [];
  for (const fb of det.filterbanks) {
    const p: { plane: number; row: number; col: number }[] = [];
    const fullAt = at;
    for (let i = 0; i < 31; i++) { F.set(fb.filters[i], at); at += fr * fc; }
    for (let i = 0; i < 31; i++) {
      for (let j = 0; j < fb.rowFilters[i].length; j++) {
        const row = at * 4; F.set(fb.rowFilters[i][j], at); at += fc;
        const col = at * 4; F.set(fb.colFilters[i][j], at); at += fr;
        p.push({ plane: i, row, col });
      }
    }
    // full filters are addressed as plane -1 entries: row = pointer of plane i's full filter
    for (let i = 0; i < 31; i++) p.push({ plane: -1 - i, row: (fullAt + i * fr * fc) * 4, col: 0 });
    parts.push(p);
  }
  const sepTriples: { ptr: number; n: number }[] = [];
  for (const p of parts) {
    const sep = p.filter((q) => q.plane >= 0);
    const tp = w.k.arena.alloc(Math.max(1, sep.length) * 12);
    const I = new Int32Array(w.k.arena.memory.buffer, tp, sep.length * 3);
    sep.forEach((q, k) => { I[3 * k] = q.plane; I[3 * k + 1] = q.row; I[3 * k + 2] = q.col; });
    sepTriples.push({ ptr: tp, n: sep.length });
  }
  const res = { ptr, parts, sepTriples };
  w.banks.set(det, res);
  return res;
}

/**
 * Opt-in stage timer of the wasm detector (for benchmarks): while `enabled`, each detection adds its wall-clock
 * milliseconds (performance.now) per stage: `pyramid` (image copy in, pyramid_up/pyramid_down resizes), `fhog`
 * (extract_fhog_features of every level), `filters` (saliency images of every filter bank and level), `scan`
 * (thresholding, rect mapping, sorting and non-max suppression); `calls` counts detections.
 */
export const hogStageMs = { enabled: false, pyramid: 0, fhog: 0, filters: 0, scan: 0, calls: 0 };

const stageClock = (): number => (hogStageMs.enabled ? performance.now() : 0);

function runHogDetectorWasm(
  w: HogWasm, det: HogDetector, img: RgbImage | GrayImage, adjustThreshold: number, upsample = 0,
): HogDetection[] {
  const sc = det.model.scanner;
  const A = w.k.arena;
  const bank = uploadBank(w, det);
  const otab = orientationTable(w);
  const isRgb = img.data.length === img.width * img.height * 3 && img.width * img.height > 0;
  const ch = isRgb ? 3 : 1;
  const fr = sc.filterHeight, fc = sc.filterWidth;
  const allocs: number[] = [];
  const feats: { ptr: number; rows: number; cols: number }[] = [];
  let curPtr = 0;
  let clk = stageClock();
  const lap = (stage: "pyramid" | "fhog" | "filters" | "scan"): void => {
    if (!hogStageMs.enabled) return;
    const now = performance.now();
    hogStageMs[stage] += now - clk;
    clk = now;
  };
  try {
    let cur: RgbImage | GrayImage = img;
    // +32: the SIMD gradient loads read up to 16 bytes past the last pixel used
    curPtr = A.alloc(img.data.length + 32);
    A.U8.set(img.data, curPtr);
    // dlib pyramid_up(img, pyramid_down<2>) steps: resize_image to rect_up(get_rect(img)) size
    for (let u = 0; u < upsample && cur.width * cur.height > 0; u++) {
      const { width: uw, height: uh } = pyramidUpSize(cur.width, cur.height);
      const next = A.alloc(uw * uh * ch + 32);
      const tab = A.allocF32(13 * (uw + 8));
      w.resize(curPtr, cur.width, cur.height, next, uw, uh, ch, tab);
      A.release(tab);
      A.release(curPtr);
      curPtr = next;
      cur = { width: uw, height: uh, data: new Uint8Array(0) };
    }
    lap("pyramid");
    const levels = fhogPyramidLevels(cur.width, cur.height, sc, det.pyramidN);
    // feature pyramid
    for (let l = 0; l < levels; l++) {
      lap("fhog");
      if (l > 0) {
        if (det.pyramidN >= 4) {
          const nw = Math.trunc(((det.pyramidN - 1) * cur.width) / det.pyramidN);
          const nh = Math.trunc(((det.pyramidN - 1) * cur.height) / det.pyramidN);
          const ok = nw > 0 && nh > 0;
          const next = A.alloc((ok ? nw * nh * ch : 0) + 32);
          if (ok) {
            const tab = A.allocF32(13 * (nw + 8));
            w.resize(curPtr, cur.width, cur.height, next, nw, nh, ch, tab);
            A.release(tab);
          }
          A.release(curPtr);
          curPtr = next;
          cur = { width: ok ? nw : 0, height: ok ? nh : 0, data: new Uint8Array(0) };
        } else {
          const prev = A.u8(curPtr, cur.width * cur.height * ch).slice();
          const down = pyramidDown({ width: cur.width, height: cur.height, data: prev } as RgbImage, det.pyramidN);
          A.release(curPtr);
          curPtr = 0;
          curPtr = A.alloc(down.data.length + 32);
          A.U8.set(down.data, curPtr);
          cur = { width: down.width, height: down.height, data: new Uint8Array(0) };
        }
      }
      lap("pyramid");
      const cellsNr = Math.trunc(Math.fround(cur.height / sc.cellSize) + 0.5);
      const cellsNc = Math.trunc(Math.fround(cur.width / sc.cellSize) + 0.5);
      if (cur.width === 0 || cur.height === 0 || cellsNr < 3 || cellsNc < 3) {
        feats.push({ ptr: 0, rows: 0, cols: 0 });
        continue;
      }
      const rows = cellsNr - 2 + fr - 1, cols = cellsNc - 2 + fc - 1;
      const out = A.allocF32(31 * rows * cols);
      allocs.push(out);
      const hist = A.allocF32((cellsNr + 2) * (cellsNc + 2) * 18);
      allocs.push(hist);
      const norm = A.allocF32(Math.max(cellsNr * cellsNc, 3 * (cur.width + 16)));
      allocs.push(norm);
      w.fhog(curPtr, cur.width, cur.height, isRgb ? 1 : 0, sc.cellSize, fr, fc, cellsNr, cellsNc, hist, norm, out, otab);
      allocs.pop();
      A.release(norm);
      allocs.pop();
      A.release(hist);
      feats.push({ ptr: out, rows, cols });
    }
    A.release(curPtr);
    curPtr = 0;
    lap("fhog");

    // filtering and scanning
    let maxPlane = 0;
    for (const f of feats) maxPlane = Math.max(maxPlane, f.rows * f.cols);
    const sal = A.allocF32(Math.max(1, maxPlane));
    allocs.push(sal);
    const scratch = A.allocF32(Math.max(1, maxPlane));
    allocs.push(scratch);
    // transposed scratch and accumulator of hog_saliency_sep10 (10x10 filters)
    const sep10 = fr === 10 && fc === 10;
    let maxT = 1;
    for (const f of feats) maxT = Math.max(maxT, f.cols * (((f.rows + 3) & ~3) + 4));
    const scratchT = sep10 ? A.allocF32(maxT) : 0;
    if (sep10) allocs.push(scratchT);
    const accT = sep10 ? A.allocF32(maxT) : 0;
    if (sep10) allocs.push(accT);
    const maxHits = 4096;
    const hits = A.alloc(maxHits * 4);
    allocs.push(hits);
    const pyr = new PyramidDown(det.pyramidN);
    const perFilter: { score: number; rect: Rect }[][] = [];
    for (let i = 0; i < det.filterbanks.length; i++) {
      const fb = det.filterbanks[i];
      const parts = bank.parts[i];
      const t = det.model.weights[i][sc.numDimensions] + adjustThreshold;
      const dets: { score: number; rect: Rect }[] = [];
      const useFull = fb.numSeparableFilters > (31 * Math.min(fr, fc)) / 3.0;
      for (let l = 0; l < feats.length; l++) {
        const f = feats[l];
        if (f.rows * f.cols === 0) continue;
        const plane = f.rows * f.cols;
        let area: Area = { left: 0, top: 0, right: -1, bottom: -1 };
        if (useFull) {
          for (const p of parts) {
            if (p.plane >= 0) continue;
            const pi = -1 - p.plane;
            w.full(f.ptr + pi * plane * 4, f.rows, f.cols, p.row, fr, fc, sal, pi === 0 ? 0 : 1);
          }
          area = { left: fc >> 1, top: fr >> 1, right: f.cols - ((fc - 1) >> 1) - 1, bottom: f.rows - ((fr - 1) >> 1) - 1 };
        } else if (sep10 && w.sal10(f.ptr, f.rows, f.cols, bank.sepTriples[i].ptr, bank.sepTriples[i].n, scratch, scratchT, accT, sal)) {
          area = { left: fc >> 1, top: fr >> 1, right: f.cols - ((fc - 1) >> 1) - 1, bottom: f.rows - ((fr - 1) >> 1) - 1 };
        } else {
          let first = true;
          for (const p of parts) {
            if (p.plane < 0) continue;
            w.sep(f.ptr + p.plane * plane * 4, f.rows, f.cols, p.row, fc, p.col, fr, scratch, sal, first ? 0 : 1);
            if (first) area = { left: fc >> 1, top: fr >> 1, right: f.cols - ((fc - 1) >> 1) - 1, bottom: f.rows - ((fr - 1) >> 1) - 1 };
            first = false;
          }
        }
        lap("filters");
        if (area.right >= area.left) {
          // the positions above threshold from the kernel (row-major, as the JS scan), all of them in JS if too many
          const n = w.scan(sal, f.cols, area.left, area.top, area.right, area.bottom, t, hits, maxHits);
          if (n > maxHits) scanSaliency(A.F32, sal >> 2, f.cols, area, t, l, sc, pyr, dets);
          else {
            const F = A.F32, H = new Int32Array(A.memory.buffer, hits, n);
            for (let k = 0; k < n; k++) pushDetection(F[(sal >> 2) + H[k]], Math.floor(H[k] / f.cols), H[k] % f.cols, l, sc, pyr, dets);
          }
        }
        lap("scan");
      }
      perFilter.push(dets);
    }
    const res = finishDetections(det, perFilter);
    lap("scan");
    if (hogStageMs.enabled) hogStageMs.calls++;
    return res;
  } finally {
    if (curPtr) A.release(curPtr);
    for (const p of allocs.reverse()) A.release(p);
  }
}

/**
 * Runs a HOG detector like dlib's `object_detector::operator()(img, std::vector<rect_detection>&, adjust)`:
 * every window with score ≥ threshold + adjustThreshold, confidence = score − threshold, weightIndex = which
 * weight vector fired, sorted by decreasing confidence, after dlib's non-max suppression. Uses the wasm
 * kernels when available (dist/kernels.wasm), else the JavaScript reference; both give identical results.
 */
export function runHogDetector(det: HogDetector, img: RgbImage | GrayImage, adjustThreshold = 0): HogDetection[] {
  const w = getHogWasm();
  if (w) return runHogDetectorWasm(w, det, img, adjustThreshold);
  return runHogDetectorJs(det, img, adjustThreshold);
}

/** `runHogDetector` on the image after `upsample` dlib pyramid_up steps (rects stay in the upsampled image). */
export function runHogDetectorUpsampled(det: HogDetector, img: RgbImage, upsample: number, adjustThreshold = 0): HogDetection[] {
  const w = getHogWasm();
  if (w) return runHogDetectorWasm(w, det, img, adjustThreshold, upsample);
  let work: RgbImage = img;
  for (let i = 0; i < upsample; i++) work = pyramidUp(work);
  return runHogDetectorJs(det, work, adjustThreshold);
}

export interface DetectFacesHogOptions {
  /** number of dlib pyramid_up (bilinear 2x) steps before detection; rects are mapped back. Default 0. */
  upsample?: 0 | 1 | 2;
  /** added to every filter's threshold (dlib's adjust_threshold). Default 0. */
  adjustThreshold?: number;
  /** detector to use; default dlib's frontal face detector from models/frontal_face_detector.dat */
  detector?: HogDetector;
}

/**
 * dlib's frontal face detector on an RGB image (what `dlib.get_frontal_face_detector()(img, upsample)` does):
 * detections in original-image coordinates (inclusive rects; with upsampling, pyramid_down<2>::rect_down of
 * the rect found in the upsampled image, rounded like dlib's rectangle(drectangle)), confidence and the index
 * of the filter (0..4: front, left, right, front rotated left, front rotated right) that fired.
 */
export function detectFacesHog(img: RgbImage, opts: DetectFacesHogOptions = {}): HogDetection[] {
  const det = opts.detector ?? getFrontalFaceDetector();
  const up = opts.upsample ?? 0;
  const dets = runHogDetectorUpsampled(det, img, up, opts.adjustThreshold ?? 0);
  if (up === 0) return dets;
  const p2 = new PyramidDown(2);
  return dets.map((d) => ({ ...d, rect: roundRect(p2.rectDown(d.rect, up)) }));
}
