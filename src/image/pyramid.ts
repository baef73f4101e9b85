/**
 * dlib's `pyramid_down<N>` (dlib/image_transforms/image_pyramid.h, dlib 19.24): image downsampling by the
 * ratio (N-1)/N and the matching point / rectangle mappings between pyramid levels.
 *
 * Which algorithm runs depends on N, as in dlib:
 *  - N = 1: `pyramid_disable` (every image becomes empty, points map to (0,0)).
 *  - N = 2: `impl::pyramid_down_2_1`: 5x5 binomial filter [1 4 6 4 1]², keep every second row/column,
 *    integer arithmetic for 8-bit pixels (rgb channel-wise), output (rows-3)/2 × (cols-3)/2.
 *  - N = 3: `impl::pyramid_down_3_2`: 3x3 filter [2 12 2]² then bilinear 9:3:3:1 weights over 2x2 blocks,
 *    integer arithmetic for 8-bit pixels, output 2(rows-2)/3 × 2(cols-2)/3.
 *  - N ≥ 4: the generic template: output floor((N-1)·rows/N) × floor((N-1)·cols/N), filled by dlib's
 *    `resize_image(in, out)` with bilinear interpolation (dlib's SSE float32 paths, reproduced lane by lane
 *    with Math.fround, plus its float64 scalar tail loop). dlib 19.24 has no specialised pyramid_down<4>.
 *
 * Pixel types (all images are row-major, see ./types.ts):
 *  - RgbImage (Uint8Array, 3 bytes per pixel): dlib's rgb→rgb overloads (each channel filtered separately,
 *    integer sums, truncating division for N=2,3; float32 bilinear with truncation for N≥4).
 *  - GrayImage (Uint8Array, 1 byte per pixel): dlib's grayscale `unsigned char` overloads (int32 sums; for N≥4
 *    round-half-up in the SIMD part and truncation in the scalar tail, exactly as dlib).
 *  - FloatImage (Float32Array): dlib's `float` overloads (float64 intermediates for N=2,3; float32 for N≥4).
 * The kind of a Uint8Array image is told apart by `data.length` (3·w·h = rgb, w·h = grey).
 */
import type { DRect, FloatImage, GrayImage, Point, Rect, RgbImage } from "./types.js";

export type PyramidImage = RgbImage | GrayImage | FloatImage;

const f32 = Math.fround;

/** 0 = grey uint8, 1 = rgb uint8, 2 = float32 grey. */
function kindOf(img: PyramidImage): 0 | 1 | 2 {
  if (img.data instanceof Float32Array) return 2;
  const n = img.width * img.height;
  if (img.data.length === n * 3 && n > 0) return 1;
  if (img.data.length === n) return 0;
  throw new RangeError(`pyramid_down: image data length ${img.data.length} fits neither ${img.width}x${img.height} grey nor rgb`);
}

function makeLike<T extends PyramidImage>(img: T, width: number, height: number, kind: 0 | 1 | 2): T {
  if (width <= 0 || height <= 0) { width = 0; height = 0; }
  const n = width * height;
  const data = kind === 2 ? new Float32Array(n) : new Uint8Array(kind === 1 ? n * 3 : n);
  return { width, height, data } as T;
}

/**
 * Output size (columns, rows) of one `pyramid_down<N>` step applied to a width×height image, as the image
 * operator produces it (not `find_pyramid_down_output_image_size`, which differs for N ≥ 4 by using floor of
 * a double product; both agree for the sizes that occur in practice).
 */
export function pyramidDownSize(N: number, width: number, height: number): { width: number; height: number } {
  checkN(N);
  if (N === 1) return { width: 0, height: 0 };
  if (N === 2) {
    if (width <= 8 || height <= 8) return { width: 0, height: 0 };
    return { width: Math.trunc((width - 3) / 2), height: Math.trunc((height - 3) / 2) };
  }
  if (N === 3) {
    if (width <= 8 || height <= 8) return { width: 0, height: 0 };
    return { width: Math.trunc((2 * (width - 2)) / 3), height: Math.trunc((2 * (height - 2)) / 3) };
  }
  const w = Math.trunc(((N - 1) * width) / N);
  const h = Math.trunc(((N - 1) * height) / N);
  if (w <= 0 || h <= 0) return { width: 0, height: 0 };
  return { width: w, height: h };
}

function checkN(N: number): void {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`pyramid_down<N>: N must be an integer >= 1, got ${N}`);
}

// ---------------------------------------------------------------------------------------------------------
// pyramid_down<2>

function down2(src: PyramidImage, kind: 0 | 1 | 2): PyramidImage {
  const W = src.width, H = src.height;
  if (W <= 8 || H <= 8) return makeLike(src, 0, 0, kind);
  const tw = Math.trunc((W - 3) / 2);
  const dw = tw, dh = Math.trunc((H - 3) / 2);
  const out = makeLike(src, dw, dh, kind);
  const ch = kind === 1 ? 3 : 1;
  const tstride = tw * ch;
  const s = src.data;
  const o = out.data;
  if (kind !== 2) {
    // Integer sums (dlib: int32 for grey, uint16 per channel for rgb; neither overflows).
    const tmp = new Int32Array(H * tstride);
    for (let r = 0; r < H; r++) {
      const rowIn = r * W * ch;
      const rowT = r * tstride;
      for (let c = 0; c < tw; c++) {
        const base = rowIn + 2 * c * ch;
        for (let k = 0; k < ch; k++) {
          const i = base + k;
          tmp[rowT + c * ch + k] = s[i] + 4 * s[i + ch] + 6 * s[i + 2 * ch] + 4 * s[i + 3 * ch] + s[i + 4 * ch];
        }
      }
    }
    let dr = 0;
    for (let r = 2; r < H - 2; r += 2) {
      const a = (r - 2) * tstride, b = a + tstride, c0 = b + tstride, d = c0 + tstride, e = d + tstride;
      const ro = dr * tstride;
      for (let j = 0; j < tstride; j++) {
        const v = tmp[a + j] + 4 * tmp[b + j] + 6 * tmp[c0 + j] + 4 * tmp[d + j] + tmp[e + j];
        o[ro + j] = v >> 8; // v >= 0: integer division by 256
      }
      dr++;
    }
  } else {
    // float pixels: dlib promotes to double.
    const tmp = new Float64Array(H * tw);
    for (let r = 0; r < H; r++) {
      const rowIn = r * W, rowT = r * tw;
      for (let c = 0; c < tw; c++) {
        const i = rowIn + 2 * c;
        tmp[rowT + c] = s[i] + s[i + 1] * 4 + s[i + 2] * 6 + s[i + 3] * 4 + s[i + 4];
      }
    }
    let dr = 0;
    for (let r = 2; r < H - 2; r += 2) {
      const a = (r - 2) * tw, b = a + tw, c0 = b + tw, d = c0 + tw, e = d + tw;
      const ro = dr * tw;
      for (let j = 0; j < tw; j++) {
        const v = tmp[a + j] + tmp[b + j] * 4 + tmp[c0 + j] * 6 + tmp[d + j] * 4 + tmp[e + j];
        o[ro + j] = v / 256;
      }
      dr++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// pyramid_down<3>

/**
 * One channel of pyramid_down_3_2. `get(y, x)` reads the input channel; for integer images the arithmetic is
 * exact integer arithmetic; for float images the row filter is float32 (float·int in C++) stored as double
 * and the rest is double.
 */
function down3Channel(
  W: number, H: number, get: (y: number, x: number) => number, put: (y: number, x: number, v: number) => void, isFloat: boolean,
): void {
  const fullNr = 2 * Math.trunc((H - 2) / 3);
  const partNr = Math.trunc((2 * (H - 2)) / 3);
  const fullNc = 2 * Math.trunc((W - 2) / 3);
  const partNc = Math.trunc((2 * (W - 2)) / 3);
  // block[rr][cc] = 3x3 [2 12 2] separable filter at input pixel (r0+rr, c0+cc)
  const rowFilt = (y: number, x: number): number => {
    if (isFloat) {
      return f32(f32(f32(get(y, x - 1) * 2) + f32(get(y, x) * 12)) + f32(get(y, x + 1) * 2));
    }
    return get(y, x - 1) * 2 + get(y, x) * 12 + get(y, x + 1) * 2;
  };
  const filt = (y: number, x: number): number => rowFilt(y - 1, x) * 2 + rowFilt(y, x) * 12 + rowFilt(y + 1, x) * 2;
  const fin = (v: number): number => (isFloat ? v / 4096 : Math.trunc(v / 4096));
  const emit = (y: number, x: number, p00: number, p10: number, p01: number, p11: number): void => {
    put(y, x, fin(p00 * 9 + p10 * 3 + p01 * 3 + p11));
  };
  let rr = 1;
  let r = 0;
  for (r = 0; r < fullNr; r += 2) {
    let cc = 1;
    let c = 0;
    for (c = 0; c < fullNc; c += 2) {
      const b00 = filt(rr, cc), b01 = filt(rr, cc + 1), b02 = filt(rr, cc + 2);
      const b10 = filt(rr + 1, cc), b11 = filt(rr + 1, cc + 1), b12 = filt(rr + 1, cc + 2);
      const b20 = filt(rr + 2, cc), b21 = filt(rr + 2, cc + 1), b22 = filt(rr + 2, cc + 2);
      emit(r, c, b00, b10, b01, b11);
      emit(r, c + 1, b02, b12, b01, b11);
      emit(r + 1, c, b20, b10, b21, b11);
      emit(r + 1, c + 1, b22, b12, b21, b11);
      cc += 3;
    }
    if (partNc - fullNc === 1) {
      const b00 = filt(rr, cc), b01 = filt(rr, cc + 1);
      const b10 = filt(rr + 1, cc), b11 = filt(rr + 1, cc + 1);
      const b20 = filt(rr + 2, cc), b21 = filt(rr + 2, cc + 1);
      emit(r, c, b00, b10, b01, b11);
      emit(r + 1, c, b20, b10, b21, b11);
    }
    rr += 3;
  }
  if (partNr - fullNr === 1) {
    let cc = 1;
    let c = 0;
    for (c = 0; c < fullNc; c += 2) {
      const b00 = filt(rr, cc), b01 = filt(rr, cc + 1), b02 = filt(rr, cc + 2);
      const b10 = filt(rr + 1, cc), b11 = filt(rr + 1, cc + 1), b12 = filt(rr + 1, cc + 2);
      emit(r, c, b00, b10, b01, b11);
      emit(r, c + 1, b02, b12, b01, b11);
      cc += 3;
    }
    if (partNc - fullNc === 1) {
      const b00 = filt(rr, cc), b01 = filt(rr, cc + 1);
      const b10 = filt(rr + 1, cc), b11 = filt(rr + 1, cc + 1);
      emit(r, c, b00, b10, b01, b11);
    }
  }
}

function down3(src: PyramidImage, kind: 0 | 1 | 2): PyramidImage {
  const W = src.width, H = src.height;
  if (W <= 8 || H <= 8) return makeLike(src, 0, 0, kind);
  const dw = Math.trunc((2 * (W - 2)) / 3), dh = Math.trunc((2 * (H - 2)) / 3);
  const out = makeLike(src, dw, dh, kind);
  const s = src.data, o = out.data;
  const ch = kind === 1 ? 3 : 1;
  for (let k = 0; k < ch; k++) {
    down3Channel(
      W, H,
      (y, x) => s[(y * W + x) * ch + k],
      (y, x, v) => { o[(y * dw + x) * ch + k] = v; },
      kind === 2,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// generic pyramid_down<N>: dlib::resize_image(in, out) with interpolate_bilinear

/**
 * dlib's `resize_image(in, out)` (bilinear) for rgb→rgb, grey→grey (uint8) and float→float images of the
 * given output size. Reproduces dlib's SSE 4-lane float32 main loop and its scalar (float64) tail loop.
 */
export function resizeImageBilinear<T extends PyramidImage>(img: T, outWidth: number, outHeight: number): T {
  const kind = kindOf(img);
  const out = makeLike(img, outWidth, outHeight, kind);
  if (out.width === 0 || img.width === 0 || img.height === 0) return out;
  const inW = img.width, inH = img.height, oW = out.width, oH = out.height;
  const xScale = (inW - 1) / Math.max(oW - 1, 1);
  const yScale = (inH - 1) / Math.max(oH - 1, 1);
  const s = img.data, o = out.data;
  const ch = kind === 1 ? 3 : 1;
  const xs4 = f32(4 * xScale);
  const lanesX = new Float64Array(4);
  const lanesL = new Int32Array(4);
  let y = -yScale;
  for (let r = 0; r < oH; r++) {
    y += yScale;
    const top = Math.floor(y);
    const bottom = Math.min(top + 1, inH - 1);
    const tbFrac = y - top;
    const topRow = top * inW, botRow = bottom * inW;
    const x0 = -4 * xScale;
    const tbF = f32(tbFrac), invTbF = f32(1 - tbFrac);
    let l0 = f32(x0), l1 = f32(x0 + xScale), l2 = f32(x0 + 2 * xScale), l3 = f32(x0 + 3 * xScale);
    let c = 0;
    const oRow = r * oW;
    for (;; c += 4) {
      l0 = f32(l0 + xs4); l1 = f32(l1 + xs4); l2 = f32(l2 + xs4); l3 = f32(l3 + xs4);
      // cvttps: truncation toward zero
      const lf0 = Math.trunc(l0), lf1 = Math.trunc(l1), lf2 = Math.trunc(l2), lf3 = Math.trunc(l3);
      if (lf3 + 1 >= inW) break;
      lanesX[0] = l0; lanesX[1] = l1; lanesX[2] = l2; lanesX[3] = l3;
      lanesL[0] = lf0; lanesL[1] = lf1; lanesL[2] = lf2; lanesL[3] = lf3;
      for (let q = 0; q < 4; q++) {
        const lr = f32(lanesX[q] - lanesL[q]);
        const invLr = f32(1 - lr);
        const tlf = f32(invTbF * invLr), trf = f32(invTbF * lr), blf = f32(tbF * invLr), brf = f32(tbF * lr);
        const left = lanesL[q], right = left + 1;
        const iTl = (topRow + left) * ch, iTr = (topRow + right) * ch, iBl = (botRow + left) * ch, iBr = (botRow + right) * ch;
        const oi = (oRow + c + q) * ch;
        for (let k = 0; k < ch; k++) {
          const v = f32(f32(f32(f32(tlf * s[iTl + k]) + f32(trf * s[iTr + k])) + f32(blf * s[iBl + k])) + f32(brf * s[iBr + k]));
          if (kind === 1) o[oi + k] = Math.trunc(v) & 255;
          else if (kind === 0) o[oi + k] = Math.trunc(v + 0.5);
          else o[oi + k] = v;
        }
      }
    }
    // scalar tail
    let x = -xScale + c * xScale;
    for (; c < oW; c++) {
      x += xScale;
      const left = Math.floor(x);
      const right = Math.min(left + 1, inW - 1);
      const iTl = (topRow + left) * ch, iTr = (topRow + right) * ch, iBl = (botRow + left) * ch, iBr = (botRow + right) * ch;
      const oi = (oRow + c) * ch;
      if (kind === 1) {
        const lr = x - left;
        for (let k = 0; k < 3; k++) {
          const v = (1 - tbFrac) * ((1 - lr) * s[iTl + k] + lr * s[iTr + k]) + tbFrac * ((1 - lr) * s[iBl + k] + lr * s[iBr + k]);
          o[oi + k] = Math.trunc(v) & 255;
        }
      } else {
        const lr = f32(x - left);
        const invLr = f32(1 - lr);
        const a = f32(f32(invLr * s[iTl]) + f32(lr * s[iTr]));
        const b = f32(f32(invLr * s[iBl]) + f32(lr * s[iBr]));
        const v = f32((1 - tbFrac) * a + tbFrac * b);
        if (kind === 0) o[oi] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
        else o[oi] = v;
      }
    }
  }
  return out;
}

function downGeneric(src: PyramidImage, N: number, kind: 0 | 1 | 2): PyramidImage {
  const w = Math.trunc(((N - 1) * src.width) / N);
  const h = Math.trunc(((N - 1) * src.height) / N);
  return resizeImageBilinear(src, w, h);
}

/**
 * One `pyramid_down<N>` step on an image (dlib `pyr(in, out)`), returning a new image of the same pixel type.
 * Requires N ≥ 1 (integer). Images too small for the filter (≤ 8 rows or columns for N = 2, 3) give a 0×0 image.
 */
export function pyramidDown<T extends PyramidImage>(img: T, N: number): T {
  checkN(N);
  const kind = kindOf(img);
  if (N === 1) return makeLike(img, 0, 0, kind);
  if (N === 2) return down2(img, kind) as T;
  if (N === 3) return down3(img, kind) as T;
  return downGeneric(img, N, kind) as T;
}

// ---------------------------------------------------------------------------------------------------------
// point / rectangle mappings

function pointDown1(N: number, x: number, y: number): [number, number] {
  if (N === 1) return [0, 0];
  if (N === 2) return [x / 2.0 - 1.25, y / 2.0 - 0.75];
  if (N === 3) { const ratio = 2.0 / 3.0; return [x * ratio - 1, y * ratio - 1]; }
  const ratio = (N - 1.0) / N;
  return [(x - 0.3) * ratio, (y - 0.3) * ratio];
}

function pointUp1(N: number, x: number, y: number): [number, number] {
  if (N === 1) return [0, 0];
  if (N === 2) return [(x + 1.25) * 2, (y + 0.75) * 2];
  if (N === 3) { const ratio = 3.0 / 2.0; return [x * ratio + ratio, y * ratio + ratio]; }
  const ratio = N / (N - 1.0);
  return [x * ratio + 0.3, y * ratio + 0.3];
}

/**
 * dlib's `pyramid_down<N>`: the image operator and the coordinate mappings between a level and the one below.
 * Points and rectangles are in doubles (dlib `dpoint`/`drectangle`); the mappings are those dlib applies to
 * double-valued vectors (as `rect_down`/`rect_up` do; dlib's single-level `point_up` on an *integer*
 * `dlib::point` would truncate its offset, which is not reproduced here).
 */
export class PyramidDown {
  readonly N: number;
  constructor(N: number) {
    checkN(N);
    this.N = N;
  }

  /** dlib `pyramid_rate`: (N-1)/N. */
  get rate(): number {
    return (this.N - 1.0) / this.N;
  }

  /** Maps a point of this level `levels` (default 1) levels down the pyramid. levels = 0 returns p. */
  pointDown(p: Point, levels = 1): Point {
    if (this.N === 1) return levels === 0 ? { x: p.x, y: p.y } : { x: 0, y: 0 };
    let x = p.x, y = p.y;
    for (let i = 0; i < levels; i++) [x, y] = pointDown1(this.N, x, y);
    return { x, y };
  }

  /** Maps a point `levels` (default 1) levels up the pyramid (towards the original image). */
  pointUp(p: Point, levels = 1): Point {
    if (this.N === 1) return levels === 0 ? { x: p.x, y: p.y } : { x: 0, y: 0 };
    let x = p.x, y = p.y;
    for (let i = 0; i < levels; i++) [x, y] = pointUp1(this.N, x, y);
    return { x, y };
  }

  /** dlib `rect_down(rect, levels)`: both corners mapped with pointDown; returns a drectangle (doubles). */
  rectDown(r: DRect, levels = 1): DRect {
    const tl = this.pointDown({ x: r.left, y: r.top }, levels);
    const br = this.pointDown({ x: r.right, y: r.bottom }, levels);
    return { left: tl.x, top: tl.y, right: br.x, bottom: br.y };
  }

  /** dlib `rect_up(rect, levels)`: both corners mapped with pointUp; returns a drectangle (doubles). */
  rectUp(r: DRect, levels = 1): DRect {
    const tl = this.pointUp({ x: r.left, y: r.top }, levels);
    const br = this.pointUp({ x: r.right, y: r.bottom }, levels);
    return { left: tl.x, top: tl.y, right: br.x, bottom: br.y };
  }

  /** One pyramid step on an image (see `pyramidDown`). */
  apply<T extends PyramidImage>(img: T): T {
    return pyramidDown(img, this.N);
  }

  /** Output size of `apply` for a width×height input. */
  outputSize(width: number, height: number): { width: number; height: number } {
    return pyramidDownSize(this.N, width, height);
  }
}

/** dlib's conversion `rectangle(drectangle)`: each side rounded with floor(v + 0.5). */
export function roundRect(r: DRect): Rect {
  return {
    left: Math.floor(r.left + 0.5),
    top: Math.floor(r.top + 0.5),
    right: Math.floor(r.right + 0.5),
    bottom: Math.floor(r.bottom + 0.5),
  };
}
