/**
 * dlib 19.24's `input_rgb_image_pyramid<pyramid_down<N>>` input layer (dlib/dnn/input.h) and the tiled image
 * pyramid it is built on (dlib/image_transforms/image_pyramid.h):
 *  - `computeTiledPyramidDetails` = `impl::compute_tiled_image_pyramid_details`: where each pyramid level goes
 *    in one big tiled image (levels stacked down a first column, then back up a second one, separated by
 *    `padding` pixels, with `outerPadding` pixels all around);
 *  - `fillTiledPyramidTensor` = `to_tensor`: the tensor is zeroed, the image's channels are written at level 0
 *    as (v − avg)/256 in float32, and each next level is `resize_image` (bilinear, dlib's float32 SSE path with
 *    its scalar tail) of the previous level's rectangle *inside the float tensor*, channel by channel
 *    (`tt::resize_bilinear` on the CPU). So the pyramid is built from normalised float pixels, not from the rgb
 *    image, and the level sizes come from `find_pyramid_down_output_image_size`, not from `pyramid_down<N>`'s
 *    image operator;
 *  - `tiledPyramidToImage` / `imageToTiledPyramid` = dlib's functions of the same names (the layer's
 *    `tensor_space_to_image_space` / `image_space_to_tensor_space`).
 *
 * Rectangles are dlib `rectangle`s (integer, inclusive), points and drectangles are doubles (./image/types.ts).
 */
import { PyramidDown } from "../image/pyramid.js";
import type { DRect, Point, Rect, RgbImage } from "../image/types.js";
import type { InputModel } from "../dlib/model.js";

/** Where each pyramid level lies in the tiled image, and the tiled image's size (rows × columns). */
export interface TiledPyramidLayout {
  /** pyramid_down<N> factor */
  N: number;
  /** level i's rectangle in the tiled image; rects[0] is the original image */
  rects: Rect[];
  nr: number;
  nc: number;
}

const U64 = 64;
const u64 = (v: bigint): bigint => BigInt.asUintN(U64, v);

/**
 * dlib `find_pyramid_down_output_image_size(pyramid_down<N>, nr, nc)`: the size of the next level as the tiled
 * pyramid computes it (N = 1: 0×0; N = 2: (n−3)/2; N = 3: 2(n−2)/3, C++ integer division; N ≥ 4:
 * floor(((N−1)/N)·n) in doubles).
 */
export function findPyramidDownOutputImageSize(N: number, nr: number, nc: number): { nr: number; nc: number } {
  if (N === 1) return { nr: 0, nc: 0 };
  if (N === 2) return { nr: Math.trunc((nr - 3) / 2), nc: Math.trunc((nc - 3) / 2) };
  if (N === 3) return { nr: Math.trunc((2 * (nr - 2)) / 3), nc: Math.trunc((2 * (nc - 2)) / 3) };
  const rate = (N - 1.0) / N;
  return { nr: Math.floor(rate * nr), nc: Math.floor(rate * nc) };
}

function rectWidth(r: Rect): number {
  return r.left > r.right || r.top > r.bottom ? 0 : r.right - r.left + 1;
}
function rectHeight(r: Rect): number {
  return r.left > r.right || r.top > r.bottom ? 0 : r.bottom - r.top + 1;
}

/**
 * dlib `impl::compute_tiled_image_pyramid_details(pyramid_down<N>, nr, nc, padding, outer_padding, ...)` for an
 * nr×nc image. Requires integers ≥ 0. Levels are added while they have ≥ 5 rows and a non-zero area; the
 * layout keeps dlib's unsigned (64-bit wrap-around) comparisons, so it is the same for every size.
 * An empty image gives no rects and a 0×0 tiled image.
 */
export function computeTiledPyramidDetails(N: number, nr: number, nc: number, padding: number, outerPadding: number): TiledPyramidLayout {
  if (nr * nc === 0) return { N, rects: [], nr: 0, nc: 0 };
  const minHeight = 5;
  const rects: Rect[] = [{ left: 0, top: 0, right: nc - 1, bottom: nr - 1 }];
  let r = nr, c = nc;
  for (;;) {
    const s = findPyramidDownOutputImageSize(N, r, c);
    r = s.nr; c = s.nc;
    if (r * c === 0 || r < minHeight) break;
    rects.push({ left: 0, top: 0, right: c - 1, bottom: r - 1 });
  }

  const H0 = rectHeight(rects[0]);
  const W0 = rectWidth(rects[0]);
  let totalHeight = 0;
  for (const q of rects) totalHeight += rectHeight(q) + padding;
  totalHeight -= padding * 2;
  let height = 0;
  let prevWidth = 0;
  for (const q of rects) {
    // dlib compares these as unsigned long (rectangle::width()/height() are unsigned): negative values wrap.
    const fitsBeside = BigInt(rectWidth(q)) <= u64(BigInt(W0) - BigInt(prevWidth) - BigInt(padding));
    const pastHalf = u64((BigInt(height) - BigInt(H0)) * 2n) >= u64(BigInt(totalHeight) - BigInt(H0));
    if (fitsBeside && pastHalf) break;
    height += rectHeight(q) + padding;
    prevWidth = rectWidth(q);
  }
  height -= padding;

  const width = W0;
  const outNr = height + outerPadding * 2;
  const outNc = width + outerPadding * 2;

  let y = outerPadding;
  let i = 0;
  while (y < height + outerPadding && i < rects.length) {
    const q = rects[i];
    rects[i] = { left: q.left + outerPadding, top: q.top + y, right: q.right + outerPadding, bottom: q.bottom + y };
    y += rectHeight(rects[i]) + padding;
    i++;
  }
  y -= padding;
  while (i < rects.length) {
    const p1x = outerPadding + width - 1, p1y = y - 1;
    const p2x = p1x - rects[i].right, p2y = p1y - rects[i].bottom;
    const rect: Rect = { left: Math.min(p1x, p2x), top: Math.min(p1y, p2y), right: Math.max(p1x, p2x), bottom: Math.max(p1y, p2y) };
    // stop on the second column when the next level would overlap the original image
    const r0 = rects[0];
    const ix: Rect = { left: Math.max(r0.left, rect.left), top: Math.max(r0.top, rect.top), right: Math.min(r0.right, rect.right), bottom: Math.min(r0.bottom, rect.bottom) };
    if (!(ix.top > ix.bottom || ix.left > ix.right)) break;
    rects[i] = rect;
    y -= rectHeight(rect) + padding;
    i++;
  }
  rects.length = i;
  return { N, rects, nr: outNr, nc: outNc };
}

/** The layout `input_rgb_image_pyramid` uses for an image of `width × height` (its padding and outer padding). */
export function pyramidInputLayout(input: InputModel, width: number, height: number): TiledPyramidLayout {
  if (input.type !== "input_rgb_image_pyramid") throw new TypeError(`not a pyramid input layer: ${input.type}`);
  return computeTiledPyramidDetails(input.pyramidFactor ?? 6, height, width, input.pyramidPadding ?? 10, input.pyramidOuterPadding ?? 11);
}

/**
 * dlib `input_rgb_image_pyramid::to_tensor` into `dst` (NCHW float32, [images.length, 3, layout.nr, layout.nc],
 * overwritten entirely). All images must have the layout's level-0 size. Channel c of level 0 is
 * float32(v − avg_c)/256; every further level is dlib's bilinear `resize_image` of the previous level's float
 * pixels; everything else is 0.
 */
export function fillTiledPyramidTensor(dst: Float32Array, input: InputModel, images: readonly RgbImage[], layout: TiledPyramidLayout): void {
  const { rects, nr: NR, nc: NC } = layout;
  const plane = NR * NC;
  if (dst.length < images.length * 3 * plane) throw new RangeError(`tensor too small: ${dst.length} < ${images.length * 3 * plane}`);
  dst.fill(0, 0, images.length * 3 * plane);
  if (rects.length === 0) return;
  const r0 = rects[0];
  const W = rectWidth(r0), H = rectHeight(r0);
  const avg = [Math.fround(input.avgRed), Math.fround(input.avgGreen), Math.fround(input.avgBlue)];
  images.forEach((img, s) => {
    if (img.width !== W || img.height !== H) throw new RangeError(`image ${s} is ${img.width}x${img.height}, the layout is for ${W}x${H}`);
    const px = img.data;
    for (let ch = 0; ch < 3; ch++) {
      const base = (s * 3 + ch) * plane;
      const a = avg[ch];
      for (let y = 0; y < H; y++) {
        const o = base + (r0.top + y) * NC + r0.left;
        const iRow = y * W * 3 + ch;
        for (let x = 0; x < W; x++) dst[o + x] = Math.fround(px[iRow + 3 * x] - a) / 256;
      }
      for (let i = 1; i < rects.length; i++) buildLevel(dst, base, NC, rects[i - 1], rects[i]);
    }
  });
}

/**
 * One `tt::resize_bilinear` step on one channel plane of the tiled tensor `t` (row stride NC, plane at `base`):
 * dlib's `resize_image(src_view, dest_view)` for float pixels, i.e. its 4-lane SSE loop (float32 positions
 * advanced by float32(4·x_scale), truncation to int, float32 weights and blend, summed left to right) until a
 * lane's right neighbour leaves the source row, then its scalar tail (double positions, float32 row blends,
 * double column blend rounded to float). Same arithmetic as `resizeImageBilinear` on a FloatImage, without
 * copying the levels out of the tensor.
 */
function buildLevel(t: Float32Array, base: number, NC: number, src: Rect, dest: Rect): void {
  const inW = rectWidth(src), inH = rectHeight(src);
  const oW = rectWidth(dest), oH = rectHeight(dest);
  if (oW === 0 || oH === 0 || inW === 0 || inH === 0) return;
  const f32 = Math.fround;
  const xScale = (inW - 1) / Math.max(oW - 1, 1);
  const yScale = (inH - 1) / Math.max(oH - 1, 1);
  const xs4 = f32(4 * xScale);
  const x0 = -4 * xScale;
  const s0 = f32(x0), s1 = f32(x0 + xScale), s2 = f32(x0 + 2 * xScale), s3 = f32(x0 + 3 * xScale);
  const srcBase = base + src.top * NC + src.left;
  let y = -yScale;
  for (let r = 0; r < oH; r++) {
    y += yScale;
    const top = Math.floor(y);
    const bottom = Math.min(top + 1, inH - 1);
    const tbFrac = y - top;
    const tbF = f32(tbFrac), invTbF = f32(1 - tbFrac);
    const rowT = srcBase + top * NC, rowB = srcBase + bottom * NC;
    const o = base + (dest.top + r) * NC + dest.left;
    let l0 = s0, l1 = s1, l2 = s2, l3 = s3;
    let c = 0;
    for (;; c += 4) {
      l0 = f32(l0 + xs4); l1 = f32(l1 + xs4); l2 = f32(l2 + xs4); l3 = f32(l3 + xs4);
      const i3 = Math.trunc(l3);
      if (i3 + 1 >= inW) break;
      const i0 = Math.trunc(l0), i1 = Math.trunc(l1), i2 = Math.trunc(l2);
      t[o + c] = lane(t, rowT, rowB, l0, i0, tbF, invTbF);
      t[o + c + 1] = lane(t, rowT, rowB, l1, i1, tbF, invTbF);
      t[o + c + 2] = lane(t, rowT, rowB, l2, i2, tbF, invTbF);
      t[o + c + 3] = lane(t, rowT, rowB, l3, i3, tbF, invTbF);
    }
    let x = -xScale + c * xScale;
    const invTb = 1 - tbFrac;
    for (; c < oW; c++) {
      x += xScale;
      const left = Math.floor(x);
      const right = Math.min(left + 1, inW - 1);
      const lr = f32(x - left);
      const invLr = f32(1 - lr);
      const a = f32(f32(invLr * t[rowT + left]) + f32(lr * t[rowT + right]));
      const b = f32(f32(invLr * t[rowB + left]) + f32(lr * t[rowB + right]));
      t[o + c] = invTb * a + tbFrac * b;
    }
  }
}

/** One SSE lane of dlib's float resize: position `xf` (float32), left column `left` = trunc(xf). */
function lane(t: Float32Array, rowT: number, rowB: number, xf: number, left: number, tbF: number, invTbF: number): number {
  const f32 = Math.fround;
  const lr = f32(xf - left);
  const invLr = f32(1 - lr);
  const tl = f32(invTbF * invLr), tr = f32(invTbF * lr), bl = f32(tbF * invLr), br = f32(tbF * lr);
  return f32(f32(f32(f32(tl * t[rowT + left]) + f32(tr * t[rowT + left + 1])) + f32(bl * t[rowB + left])) + f32(br * t[rowB + left + 1]));
}

/** dlib `nearest_rect(rects, p)` for an integer point: the first rect containing p, else the closest one. */
export function nearestRect(rects: readonly Rect[], px: number, py: number): number {
  let idx = 0;
  let best = Infinity;
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i];
    if (px >= r.left && px <= r.right && py >= r.top && py <= r.bottom) return i;
    const nx = px < r.left ? r.left : px > r.right ? r.right : px;
    const ny = py < r.top ? r.top : py > r.bottom ? r.bottom : py;
    const dx = nx - px, dy = ny - py;
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d < best) {
      best = d;
      idx = i;
    }
  }
  return idx;
}

/**
 * dlib `tiled_pyramid_to_image<pyramid_down<N>>(rects, r)`: a drectangle in tiled-image (tensor) coordinates
 * mapped to the original image. The level is the rect nearest to r's centre (rounded to an integer point); r is
 * made relative to that level's corner and mapped up that many pyramid levels with `rect_up`.
 */
export function tiledPyramidToImage(layout: TiledPyramidLayout, r: DRect): DRect {
  const { rects, N } = layout;
  if (rects.length === 0) throw new RangeError("tiledPyramidToImage: empty pyramid");
  const cx = (r.left + r.right) / 2.0, cy = (r.top + r.bottom) / 2.0;
  const level = nearestRect(rects, Math.floor(cx + 0.5), Math.floor(cy + 0.5));
  const ox = rects[level].left, oy = rects[level].top;
  // drectangle(tl - origin, br - origin): the bounding box of the two points
  const x1 = r.left - ox, y1 = r.top - oy, x2 = r.right - ox, y2 = r.bottom - oy;
  const rel: DRect = { left: Math.min(x1, x2), top: Math.min(y1, y2), right: Math.max(x1, x2), bottom: Math.max(y1, y2) };
  return new PyramidDown(N).rectUp(rel, level);
}

/**
 * dlib `image_to_tiled_pyramid<pyramid_down<N>>(rects, scale, r)`: a rect of the original image, seen at `scale`
 * (0 < scale ≤ 1), mapped into the tiled image: level = round(log(scale)/log(rate)) clamped to the levels,
 * then rect_down by that many levels, offset by the level's corner.
 */
export function imageToTiledPyramid(layout: TiledPyramidLayout, scale: number, r: DRect): DRect {
  const { rects, N } = layout;
  if (rects.length === 0) throw new RangeError("imageToTiledPyramid: empty pyramid");
  if (!(scale > 0 && scale <= 1)) throw new RangeError(`scale must be in (0, 1], got ${scale}`);
  const pyr = new PyramidDown(N);
  let iter = Math.trunc(Math.log(scale) / Math.log(pyr.rate) + 0.5);
  iter = Math.max(0, Math.min(rects.length - 1, iter));
  const map = (p: Point): Point => {
    const q = pyr.pointDown(p, iter);
    return { x: rects[iter].left + q.x, y: rects[iter].top + q.y };
  };
  const a = map({ x: r.left, y: r.top });
  const b = map({ x: r.right, y: r.bottom });
  return { left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), right: Math.max(a.x, b.x), bottom: Math.max(a.y, b.y) };
}
