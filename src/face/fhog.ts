/**
 * dlib's `extract_fhog_features` (dlib/image_transforms/fhog.h, dlib 19.24): Felzenszwalb's 31-plane HOG with
 * dlib's exact float32 arithmetic, as compiled with SSE4.1/AVX and no FMA contraction (the build the goldens
 * come from). Both of dlib's code paths are reproduced because they round differently:
 *  - the 8-wide SIMD path for the columns x = 1, 9, 17, ... while x < visible_nc - 7 (colour channel ties
 *    resolved towards green/blue, bilinear weights formed as vy·(vx·v)),
 *  - the scalar tail for the remaining columns (ties resolved towards red/green, weights (vy·vx)·v).
 * The block normalisation uses dlib's 4-lane layout with the SSE4.1 horizontal sum ((a+b)+(c+d)).
 */
import type { GrayImage, RgbImage } from "../image/types.js";

/** 31 float32 planes, plane-major: `data[(o*rows + r)*cols + c]`. */
export interface FhogImage {
  rows: number;
  cols: number;
  data: Float32Array;
}

const f32 = Math.fround;

// dlib's unit vectors for the 9 orientations, as float32.
const DIR_X = new Float64Array([1.0, 0.9397, 0.766, 0.5, 0.1736, -0.1736, -0.5, -0.766, -0.9397].map(f32));
const DIR_Y = new Float64Array([0.0, 0.342, 0.6428, 0.866, 0.9848, 0.9848, 0.866, 0.6428, 0.342].map(f32));
const F_EPS = f32(0.0001);
const F_02 = f32(0.2);
const F_01 = f32(0.1);
const F_T = f32(2 * 0.2357);

/**
 * Computes dlib's fHOG of an 8-bit RGB image (`img.data.length === 3·w·h`) or grey image (`w·h`).
 * Requires cellSize ≥ 1 (only cellSize > 1 is implemented; dlib's cell_size 1 path is separate), paddings ≥ 1.
 * Output: 31 planes of (hogRows + rowsPad - 1) × (hogCols + colsPad - 1), hogRows = round(h/cell) - 2,
 * features placed at offset ((rowsPad-1)/2, (colsPad-1)/2), zero elsewhere; 0×0 when the image has fewer
 * than 3 cells in a direction. Bit-identical to dlib for the rgb and grey overloads.
 */
export function extractFhogFeatures(
  img: RgbImage | GrayImage,
  cellSize = 8,
  filterRowsPadding = 1,
  filterColsPadding = 1,
): FhogImage {
  if (!(cellSize > 1) || !Number.isInteger(cellSize)) throw new RangeError(`extract_fhog_features: cell_size must be an integer > 1, got ${cellSize}`);
  if (!(filterRowsPadding >= 1 && filterColsPadding >= 1)) throw new RangeError("extract_fhog_features: paddings must be >= 1");
  const W = img.width, H = img.height;
  const isRgb = img.data.length === W * H * 3 && W * H > 0;
  const cellsNr = Math.trunc(f32(H / cellSize) + 0.5);
  const cellsNc = Math.trunc(f32(W / cellSize) + 0.5);
  const empty: FhogImage = { rows: 0, cols: 0, data: new Float32Array(0) };
  if (cellsNr === 0 || cellsNc === 0) return empty;
  const hogNr = Math.max(cellsNr - 2, 0);
  const hogNc = Math.max(cellsNc - 2, 0);
  if (hogNr === 0 || hogNc === 0) return empty;

  // histogram with a one-cell border: (cellsNr+2) x (cellsNc+2) x 18
  const hW = cellsNc + 2;
  const hist = new Float32Array((cellsNr + 2) * hW * 18);
  const visibleNr = Math.min(cellsNr * cellSize, H) - 1;
  const visibleNc = Math.min(cellsNc * cellSize, W) - 1;
  const px = img.data;

  if (isRgb) histRgb(px, W, visibleNr, visibleNc, cellSize, hist, hW);
  else histGray(px, W, visibleNr, visibleNc, cellSize, hist, hW);

  // energy per cell
  const norm = new Float32Array(cellsNr * cellsNc);
  for (let r = 0; r < cellsNr; r++) {
    for (let c = 0; c < cellsNc; c++) {
      const hb = ((r + 1) * hW + (c + 1)) * 18;
      let acc = 0;
      for (let o = 0; o < 9; o++) {
        const s = f32(hist[hb + o] + hist[hb + o + 9]);
        acc = f32(acc + f32(s * s));
      }
      norm[r * cellsNc + c] = acc;
    }
  }

  const outR = hogNr + filterRowsPadding - 1;
  const outC = hogNc + filterColsPadding - 1;
  const plane = outR * outC;
  const out = new Float32Array(31 * plane);
  const padR = (filterRowsPadding - 1) >> 1;
  const padC = (filterColsPadding - 1) >> 1;
  const nn = new Float64Array(4);
  const n = new Float64Array(4);
  const t = new Float64Array(4);
  const h = new Float64Array(4);
  for (let y = 0; y < hogNr; y++) {
    const yy = y + padR;
    for (let x = 0; x < hogNc; x++) {
      const n00 = norm[y * cellsNc + x], n01 = norm[y * cellsNc + x + 1], n02 = norm[y * cellsNc + x + 2];
      const n10 = norm[(y + 1) * cellsNc + x], n11 = norm[(y + 1) * cellsNc + x + 1], n12 = norm[(y + 1) * cellsNc + x + 2];
      const n20 = norm[(y + 2) * cellsNc + x], n21 = norm[(y + 2) * cellsNc + x + 1], n22 = norm[(y + 2) * cellsNc + x + 2];
      // lanes: z1 = (n11, n01, n10, n00), z2 = (n12, n02, n11, n01), z3 = (n21, n11, n20, n10), z4 = (n22, n12, n21, n11)
      nn[0] = f32(F_02 * f32(Math.sqrt(f32(f32(f32(f32(f32(n11 + n12) + n21) + n22) + F_EPS)))));
      nn[1] = f32(F_02 * f32(Math.sqrt(f32(f32(f32(f32(f32(n01 + n02) + n11) + n12) + F_EPS)))));
      nn[2] = f32(F_02 * f32(Math.sqrt(f32(f32(f32(f32(f32(n10 + n11) + n20) + n21) + F_EPS)))));
      nn[3] = f32(F_02 * f32(Math.sqrt(f32(f32(f32(f32(f32(n00 + n01) + n10) + n11) + F_EPS)))));
      for (let k = 0; k < 4; k++) { n[k] = f32(F_01 / nn[k]); t[k] = 0; }
      const xx = x + padC;
      const hb = ((y + 2) * hW + (x + 2)) * 18;
      const ob = yy * outC + xx;
      // contrast-sensitive features, in groups of three like dlib (the texture sums depend on the grouping)
      for (let o = 0; o < 18; o += 3) {
        const a0 = hist[hb + o], a1 = hist[hb + o + 1], a2 = hist[hb + o + 2];
        for (let k = 0; k < 4; k++) {
          const h0 = f32((a0 < nn[k] ? a0 : nn[k]) * n[k]);
          const h1 = f32((a1 < nn[k] ? a1 : nn[k]) * n[k]);
          const h2 = f32((a2 < nn[k] ? a2 : nn[k]) * n[k]);
          t[k] = f32(t[k] + f32(f32(h0 + h1) + h2));
        }
        out[o * plane + ob] = hsum(a0, nn, n, h);
        out[(o + 1) * plane + ob] = hsum(a1, nn, n, h);
        out[(o + 2) * plane + ob] = hsum(a2, nn, n, h);
      }
      // contrast-insensitive features
      for (let o = 0; o < 9; o++) {
        const a = f32(hist[hb + o] + hist[hb + o + 9]);
        out[(o + 18) * plane + ob] = hsum(a, nn, n, h);
      }
      // texture features
      for (let k = 0; k < 4; k++) out[(27 + k) * plane + ob] = f32(t[k] * F_T);
    }
  }
  return { rows: outR, cols: outC, data: out };
}

/** sum over the 4 lanes of min(a, nn)·n with SSE4.1 dpps order ((l0+l1)+(l2+l3)). */
function hsum(a: number, nn: Float64Array, n: Float64Array, h: Float64Array): number {
  for (let k = 0; k < 4; k++) h[k] = f32((a < nn[k] ? a : nn[k]) * n[k]);
  return f32(f32(h[0] + h[1]) + f32(h[2] + h[3]));
}

/** Orientation bin (0..17) of gradient (gx, gy) exactly as dlib snaps it (float32 dot products). */
function bestOrientation(gx: number, gy: number): number {
  let bestDot = 0;
  let bestO = 0;
  for (let o = 0; o < 9; o++) {
    const dot = f32(f32(gx * DIR_X[o]) + f32(gy * DIR_Y[o]));
    if (dot > bestDot) {
      bestDot = dot;
      bestO = o;
    } else if (-dot > bestDot) {
      bestDot = -dot;
      bestO = o + 9;
    }
  }
  return bestO;
}

function histRgb(px: Uint8Array, W: number, visibleNr: number, visibleNc: number, cellSize: number, hist: Float32Array, hW: number): void {
  const rowStride = W * 3;
  for (let y = 1; y < visibleNr; y++) {
    const yp = f32((y + 0.5) / cellSize - 0.5);
    const iyp = Math.floor(yp);
    const vy0 = f32(yp - iyp);
    const vy1 = f32(1.0 - vy0);
    const rowA = (iyp + 1) * hW;
    const rowB = (iyp + 2) * hW;
    const base = y * rowStride;
    let x = 1;
    // SIMD path of dlib
    for (; x < visibleNc - 7; x += 8) {
      for (let k = 0; k < 8; k++) {
        const xc = x + k;
        const i = base + xc * 3;
        const rgx = px[i + 3] - px[i - 3], rgy = px[i + rowStride] - px[i - rowStride];
        const ggx = px[i + 4] - px[i - 2], ggy = px[i + 1 + rowStride] - px[i + 1 - rowStride];
        const bgx = px[i + 5] - px[i - 1], bgy = px[i + 2 + rowStride] - px[i + 2 - rowStride];
        const rl = rgx * rgx + rgy * rgy, gl = ggx * ggx + ggy * ggy, bl = bgx * bgx + bgy * bgy;
        let gx: number, gy: number, len: number;
        if (rl > gl) { gx = rgx; gy = rgy; len = rl; } else { gx = ggx; gy = ggy; len = gl; }
        if (!(len > bl)) { gx = bgx; gy = bgy; len = bl; }
        const xp = f32(f32((xc + 0.5) / cellSize) + 0.5);
        const ixp = Math.trunc(xp);
        const vx0 = f32(xp - ixp);
        const vx1 = f32(1 - vx0);
        const v = f32(Math.sqrt(len));
        const o = bestOrientation(gx, gy);
        const wx1 = f32(vx1 * v), wx0 = f32(vx0 * v);
        const a = (rowA + ixp) * 18 + o, b = (rowB + ixp) * 18 + o;
        hist[a] += f32(vy1 * wx1);
        hist[b] += f32(vy0 * wx1);
        hist[a + 18] += f32(vy1 * wx0);
        hist[b + 18] += f32(vy0 * wx0);
      }
    }
    // scalar tail of dlib
    for (; x < visibleNc; x++) {
      const i = base + x * 3;
      let gx = px[i + 3] - px[i - 3], gy = px[i + rowStride] - px[i - rowStride];
      let len = gx * gx + gy * gy;
      const ggx = px[i + 4] - px[i - 2], ggy = px[i + 1 + rowStride] - px[i + 1 - rowStride];
      const gl = ggx * ggx + ggy * ggy;
      const bgx = px[i + 5] - px[i - 1], bgy = px[i + 2 + rowStride] - px[i + 2 - rowStride];
      const bl = bgx * bgx + bgy * bgy;
      if (gl > len) { len = gl; gx = ggx; gy = ggy; }
      if (bl > len) { len = bl; gx = bgx; gy = bgy; }
      scalarVote(gx, gy, len, x, cellSize, vy0, vy1, rowA, rowB, hist);
    }
  }
}

function scalarVote(gx: number, gy: number, len: number, x: number, cellSize: number, vy0: number, vy1: number, rowA: number, rowB: number, hist: Float32Array): void {
  const o = bestOrientation(gx, gy);
  const v = f32(Math.sqrt(len));
  const xp = f32((x + 0.5) / cellSize - 0.5);
  const ixp = Math.floor(xp);
  const vx0 = f32(xp - ixp);
  const vx1 = f32(1.0 - vx0);
  const a = (rowA + ixp + 1) * 18 + o, b = (rowB + ixp + 1) * 18 + o;
  hist[a] += f32(f32(vy1 * vx1) * v);
  hist[b] += f32(f32(vy0 * vx1) * v);
  hist[a + 18] += f32(f32(vy1 * vx0) * v);
  hist[b + 18] += f32(f32(vy0 * vx0) * v);
}

function histGray(px: Uint8Array, W: number, visibleNr: number, visibleNc: number, cellSize: number, hist: Float32Array, hW: number): void {
  for (let y = 1; y < visibleNr; y++) {
    const yp = f32((y + 0.5) / cellSize - 0.5);
    const iyp = Math.floor(yp);
    const vy0 = f32(yp - iyp);
    const vy1 = f32(1.0 - vy0);
    const rowA = (iyp + 1) * hW;
    const rowB = (iyp + 2) * hW;
    const base = y * W;
    let x = 1;
    for (; x < visibleNc - 7; x += 8) {
      for (let k = 0; k < 8; k++) {
        const xc = x + k;
        const i = base + xc;
        const gx = px[i + 1] - px[i - 1], gy = px[i + W] - px[i - W];
        const len = gx * gx + gy * gy;
        const xp = f32(f32((xc + 0.5) / cellSize) + 0.5);
        const ixp = Math.trunc(xp);
        const vx0 = f32(xp - ixp);
        const vx1 = f32(1 - vx0);
        const v = f32(Math.sqrt(len));
        const o = bestOrientation(gx, gy);
        const wx1 = f32(vx1 * v), wx0 = f32(vx0 * v);
        const a = (rowA + ixp) * 18 + o, b = (rowB + ixp) * 18 + o;
        hist[a] += f32(vy1 * wx1);
        hist[b] += f32(vy0 * wx1);
        hist[a + 18] += f32(vy1 * wx0);
        hist[b + 18] += f32(vy0 * wx0);
      }
    }
    for (; x < visibleNc; x++) {
      const i = base + x;
      const gx = px[i + 1] - px[i - 1], gy = px[i + W] - px[i - W];
      scalarVote(gx, gy, gx * gx + gy * gy, x, cellSize, vy0, vy1, rowA, rowB, hist);
    }
  }
}
