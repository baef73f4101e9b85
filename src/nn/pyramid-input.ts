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
import { PyramidDown, resizeImageBilinear } from "../image/pyramid.js";
import type { DRect, FloatImage, Point, Rect, RgbImage } from "../image/types.js";
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

/** One `tt::resize_bilinear` step on one channel plane: dlib's float resize_image of rect `src` into rect `dest`. */
function buildLevel(t: Float32Array, base: number, NC: number, src: Rect, dest: Rect): void {
  const sw = rectWidth(src), sh = rectHeight(src);
  const dw = rectWidth(dest), dh = rectHeight(dest);
  const from: FloatImage = { width: sw, height: sh, data: new Float32Array(sw * sh) };
  for (let y = 0; y < sh; y++) {
    const o = base + (src.top + y) * NC + src.left;
    from.data.set(t.subarray(o, o + sw), y * sw);
  }
  const to = resizeImageBilinear(from, dw, dh);
  for (let y = 0; y < dh; y++) {
    t.set(to.data.subarray(y * dw, (y + 1) * dw), base + (dest.top + y) * NC + dest.left);
  }
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
