/**
 * dlib 19.24's bilinear resampling primitives (dlib/image_transforms/interpolation.h), reproduced bit for bit:
 *  - `interpolate_bilinear` (the point sampler used by `transform_image` and `extract_image_chip`),
 *  - `resize_image(in, out)` (dlib's SSE float32 fast path for rgb and grey images),
 *  - `pyramid_up(img)` = `pyramid_up(img, out, pyramid_down<2>())`: bilinear ~2x upsampling,
 *  - `flip_image_left_right`.
 *
 * Images are row-major 8-bit rgb (3 bytes per pixel) or grey (1 byte per pixel); see ./types.ts. Pixel
 * centres are at integer coordinates (x = column, y = row), as in dlib.
 */
import type { GrayImage, RgbImage } from "./types.js";

const f32 = Math.fround;

/** An 8-bit rgb or grey image; the two are told apart by `data.length` (3·w·h or w·h). */
export type ByteImage = RgbImage | GrayImage;

/** Number of interleaved channels of an 8-bit image (3 for rgb, 1 for grey). Throws on a data length that fits neither. */
export function channelsOf(img: ByteImage): 1 | 3 {
  const n = img.width * img.height;
  if (img.data.length === n * 3 && n > 0) return 3;
  if (img.data.length === n) return 1;
  throw new RangeError(`image data length ${img.data.length} fits neither ${img.width}x${img.height} grey nor rgb`);
}

/**
 * A read-only window onto an image: the `sub_image(img, rect)` view dlib samples from. `x0, y0` is the
 * window's top-left pixel in `img`; the window is `width × height` pixels and must lie inside `img`.
 * Coordinates given to the sampler are relative to the window, and samples whose 2x2 neighbourhood leaves the
 * window are "outside" even when the underlying image has pixels there (exactly as dlib's sub_image).
 */
export interface ImageWindow {
  img: ByteImage;
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/**
 * dlib `interpolate_bilinear` at the real point (x, y) of `win` (window coordinates). If the 2x2 neighbourhood
 * floor(x)..floor(x)+1 × floor(y)..floor(y)+1 lies inside the window, writes the channel values (float64 blend,
 * truncated to uint8, as dlib's vector_to_pixel) to `out[outOffset..]` and returns true; otherwise writes nothing
 * and returns false (dlib's callers then paint the pixel black).
 */
export function interpolateBilinear(win: ImageWindow, x: number, y: number, out: Uint8Array, outOffset: number): boolean {
  const left = Math.floor(x);
  const top = Math.floor(y);
  if (!(left >= 0 && top >= 0 && left + 1 < win.width && top + 1 < win.height)) return false;
  const ch = channelsOf(win.img);
  const lr = x - left;
  const tb = y - top;
  const stride = win.img.width * ch;
  const iTl = (win.y0 + top) * stride + (win.x0 + left) * ch;
  const iBl = iTl + stride;
  const s = win.img.data;
  const a = 1 - lr, b = 1 - tb;
  for (let k = 0; k < ch; k++) {
    const v = b * (a * s[iTl + k] + lr * s[iTl + ch + k]) + tb * (a * s[iBl + k] + lr * s[iBl + ch + k]);
    out[outOffset + k] = v; // Uint8Array store truncates toward zero; v is in [0, 255 + tiny]
  }
  return true;
}

/**
 * dlib `resize_image(in, out)` with its default bilinear interpolation, for an rgb or grey image, to
 * `outWidth × outHeight`. Coordinate mapping: output pixel (c, r) samples input point (c·sx, r·sy) with
 * sx = (inW−1)/max(outW−1, 1), sy likewise. Arithmetic is dlib's: 4-lane float32 SSE main loop (truncation for
 * rgb, +0.5 rounding for grey) and a float64 scalar tail for the last columns. Returns a new image of the same
 * pixel type. A 0-sized output gives an empty image; a 0-sized input with a non-empty output throws RangeError
 * (dlib leaves such an output untouched, and the pixel type of an empty image cannot be told here).
 */
export function resizeImage<T extends ByteImage>(img: T, outWidth: number, outHeight: number): T {
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 0 || outHeight < 0) {
    throw new RangeError(`resize_image: bad output size ${outWidth}x${outHeight}`);
  }
  if (outWidth === 0 || outHeight === 0) return { ...img, width: 0, height: 0, data: new Uint8Array(0) } as T;
  if (img.width === 0 || img.height === 0) throw new RangeError(`resize_image: cannot resize an empty image to ${outWidth}x${outHeight}`);
  const ch = channelsOf(img);
  const out = { ...img, width: outWidth, height: outHeight, data: new Uint8Array(outWidth * outHeight * ch) } as T;
  resizeInto(img.data, img.width, img.height, out.data, outWidth, outHeight, ch);
  return out;
}

/**
 * The resize kernel. Columns are split as dlib's loop splits them: groups of 4 SSE lanes (x positions kept in
 * float32, advanced by float32(4·sx) per group) while the 4th lane's right neighbour is inside the image, then
 * a float64 scalar tail. Per-column quantities do not depend on the row, so they are computed once.
 */
function resizeInto(s: Uint8Array, inW: number, inH: number, o: Uint8Array, oW: number, oH: number, ch: 1 | 3): void {
  const xScale = (inW - 1) / Math.max(oW - 1, 1);
  const yScale = (inH - 1) / Math.max(oH - 1, 1);
  // --- per-column tables
  const colLeft = new Int32Array(oW);
  const colRight = new Int32Array(oW);
  const colLr = new Float64Array(oW); // float32 lr in the SIMD part, float64 (rgb) / float32 (grey) lr in the tail
  const colInvLr = new Float64Array(oW);
  const xs4 = f32(4 * xScale);
  const x0 = -4 * xScale;
  let l0 = f32(x0), l1 = f32(x0 + xScale), l2 = f32(x0 + 2 * xScale), l3 = f32(x0 + 3 * xScale);
  let simdEnd = 0;
  for (;; simdEnd += 4) {
    l0 = f32(l0 + xs4); l1 = f32(l1 + xs4); l2 = f32(l2 + xs4); l3 = f32(l3 + xs4);
    const t3 = Math.trunc(l3);
    if (t3 + 1 >= inW || simdEnd + 4 > oW + 3) break; // dlib's loop exits only on the right-neighbour test
    const lanes = [l0, l1, l2, l3];
    for (let q = 0; q < 4; q++) {
      const c = simdEnd + q;
      if (c >= oW) continue; // dlib would write past the row here; never happens for sx <= 1 ... see below
      const left = Math.trunc(lanes[q]);
      const lr = f32(lanes[q] - left);
      colLeft[c] = left;
      colRight[c] = left + 1;
      colLr[c] = lr;
      colInvLr[c] = f32(1 - lr);
    }
  }
  if (simdEnd > oW) simdEnd = oW;
  let x = -xScale + simdEnd * xScale;
  for (let c = simdEnd; c < oW; c++) {
    x += xScale;
    const left = Math.floor(x);
    colLeft[c] = left;
    colRight[c] = Math.min(left + 1, inW - 1);
    if (ch === 3) {
      colLr[c] = x - left;
    } else {
      const lr = f32(x - left);
      colLr[c] = lr;
      colInvLr[c] = f32(1 - lr);
    }
  }
  // --- rows
  const stride = inW * ch;
  let y = -yScale;
  for (let r = 0; r < oH; r++) {
    y += yScale;
    const top = Math.floor(y);
    const bottom = Math.min(top + 1, inH - 1);
    const tb = y - top;
    const tbF = f32(tb), invTbF = f32(1 - tb);
    const tRow = top * stride, bRow = bottom * stride;
    let oi = r * oW * ch;
    if (ch === 3) {
      for (let c = 0; c < simdEnd; c++, oi += 3) {
        const lr = colLr[c], il = colInvLr[c];
        const tlf = f32(invTbF * il), trf = f32(invTbF * lr), blf = f32(tbF * il), brf = f32(tbF * lr);
        const iTl = tRow + colLeft[c] * 3, iTr = tRow + colRight[c] * 3, iBl = bRow + colLeft[c] * 3, iBr = bRow + colRight[c] * 3;
        o[oi] = f32(f32(f32(f32(tlf * s[iTl]) + f32(trf * s[iTr])) + f32(blf * s[iBl])) + f32(brf * s[iBr]));
        o[oi + 1] = f32(f32(f32(f32(tlf * s[iTl + 1]) + f32(trf * s[iTr + 1])) + f32(blf * s[iBl + 1])) + f32(brf * s[iBr + 1]));
        o[oi + 2] = f32(f32(f32(f32(tlf * s[iTl + 2]) + f32(trf * s[iTr + 2])) + f32(blf * s[iBl + 2])) + f32(brf * s[iBr + 2]));
      }
      for (let c = simdEnd; c < oW; c++, oi += 3) {
        const lr = colLr[c], a = 1 - lr, b = 1 - tb;
        const iTl = tRow + colLeft[c] * 3, iTr = tRow + colRight[c] * 3, iBl = bRow + colLeft[c] * 3, iBr = bRow + colRight[c] * 3;
        for (let k = 0; k < 3; k++) o[oi + k] = b * (a * s[iTl + k] + lr * s[iTr + k]) + tb * (a * s[iBl + k] + lr * s[iBr + k]);
      }
    } else {
      for (let c = 0; c < simdEnd; c++, oi++) {
        const lr = colLr[c], il = colInvLr[c];
        const tlf = f32(invTbF * il), trf = f32(invTbF * lr), blf = f32(tbF * il), brf = f32(tbF * lr);
        const v = f32(f32(f32(f32(tlf * s[tRow + colLeft[c]]) + f32(trf * s[tRow + colRight[c]])) + f32(blf * s[bRow + colLeft[c]])) + f32(brf * s[bRow + colRight[c]]));
        o[oi] = v + 0.5; // dlib: static_cast<unsigned char>(value + 0.5)
      }
      for (let c = simdEnd; c < oW; c++, oi++) {
        const lr = colLr[c], il = colInvLr[c];
        const a = f32(f32(il * s[tRow + colLeft[c]]) + f32(lr * s[tRow + colRight[c]]));
        const b = f32(f32(il * s[bRow + colLeft[c]]) + f32(lr * s[bRow + colRight[c]]));
        const v = f32((1 - tb) * a + tb * b);
        o[oi] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
}

/**
 * Output size of dlib's `pyramid_up(img, out, pyramid_down<2>())` for a `width × height` input: the input rect
 * mapped up by pyramid_down<2>::rect_up ((p + (1.25, 0.75))·2) and rounded as dlib's rectangle(drectangle),
 * i.e. (2·width + 2) × (2·height + 1). 0×0 for an empty input.
 */
export function pyramidUpSize(width: number, height: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: 0, height: 0 };
  // rect_up of [0, 0, w-1, h-1]: tl = (2.5, 1.5), br = (2w + 0.5, 2h - 0.5); rounded with floor(v + 0.5).
  const right = Math.floor((width - 1 + 1.25) * 2 + 0.5);
  const bottom = Math.floor((height - 1 + 0.75) * 2 + 0.5);
  return { width: right + 1, height: bottom + 1 };
}

/**
 * dlib `pyramid_up(img)` (pyramid_down<2>, bilinear): the image resized with `resizeImage` to `pyramidUpSize`.
 * This is the image dlib's HOG detector scans when asked to upsample once. Returns a new image.
 */
export function pyramidUp<T extends ByteImage>(img: T): T {
  const { width, height } = pyramidUpSize(img.width, img.height);
  if (width === 0) return { ...img, width: 0, height: 0, data: new Uint8Array(0) } as T;
  return resizeImage(img, width, height);
}

/** dlib `flip_image_left_right`: a new image with every row mirrored (column c ↔ width−1−c). */
export function flipImageLeftRight<T extends ByteImage>(img: T): T {
  const w = img.width, h = img.height;
  const out = { ...img, width: w, height: h, data: new Uint8Array(img.data.length) } as T;
  if (w === 0 || h === 0) return out;
  const ch = channelsOf(img);
  const s = img.data, o = out.data;
  for (let r = 0; r < h; r++) {
    const row = r * w * ch;
    for (let c = 0; c < w; c++) {
      const si = row + c * ch, oi = row + (w - 1 - c) * ch;
      for (let k = 0; k < ch; k++) o[oi + k] = s[si + k];
    }
  }
  return out;
}

/** In-place variant of `flipImageLeftRight` (dlib's one-argument `flip_image_left_right(img)`). */
export function flipImageLeftRightInPlace(img: ByteImage): void {
  const w = img.width, h = img.height;
  if (w === 0 || h === 0) return;
  const ch = channelsOf(img);
  const d = img.data;
  for (let r = 0; r < h; r++) {
    const row = r * w * ch;
    for (let a = 0, b = w - 1; a < b; a++, b--) {
      const ia = row + a * ch, ib = row + b * ch;
      for (let k = 0; k < ch; k++) {
        const t = d[ia + k];
        d[ia + k] = d[ib + k];
        d[ib + k] = t;
      }
    }
  }
}
