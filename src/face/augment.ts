/**
 * dlib 19.24's random image augmentations used around face descriptors and Taguchi's gender procedure:
 * `jitter_image` (dlib/image_transforms/interpolation.h) and `apply_random_color_offset`
 * (dlib/image_transforms/random_color_transform.h), drawing from a dlib::rand-compatible generator in exactly
 * dlib's order (as compiled by g++, which evaluates function arguments right to left).
 */
import { chipDetails, chipDims, extractImageChip } from "../image/chip.js";
import { flipImageLeftRightInPlace, type ByteImage } from "../image/resample.js";
import type { Rect, RgbImage } from "../image/types.js";

/** The dlib::rand draws jitter_image needs (DlibRand from ./rand.js satisfies it). */
export interface JitterRng {
  /** dlib get_double_in_range(begin, end): begin + get_random_double()·(end − begin). */
  getDoubleInRange(begin: number, end: number): number;
  /** dlib get_random_double(): uniform in [0, 1). */
  getRandomDouble(): number;
}

/** The dlib::rand draw apply_random_color_offset needs (DlibRand satisfies it). */
export interface GaussianRng {
  /** dlib get_random_gaussian(): standard normal (polar Box–Muller with a cached second value). */
  getRandomGaussian(): number;
}

/** What one jitter_image call chose (for inspection and tests). */
export interface JitterInfo {
  /** The draws in order: t1 (y shift), t2 (x shift), scale, angle in degrees, flip draw. */
  draws: [number, number, number, number, number];
  /** Integer shift [x, y] of the crop centre. */
  shift: [number, number];
  boxSize: number;
  cropRect: Rect;
  angleRad: number;
  flipped: boolean;
}

/**
 * dlib `jitter_image(img, rnd)` for an rgb or grey image: a randomly shifted (±2% of the inner size), scaled (object height 0.97–0.99999 of
 * the crop), rotated (±3°) and possibly mirrored copy of a square chip, the same size as the input. Requires a
 * square, non-empty image (throws RangeError otherwise). Draw order (5 doubles): y shift, x shift, scale, angle,
 * flip (> 0.5 mirrors). Returns the new image and what was drawn.
 */
export function jitterImageWithInfo<T extends ByteImage>(img: T, rnd: JitterRng): { image: T; info: JitterInfo } {
  const w = img.width, h = img.height;
  if (w * h === 0 || w !== h) throw new RangeError(`jitter_image: need a square, non-empty image, got ${w}x${h}`);
  // shrink_rect(get_rect(img), 3)
  const inner: Rect = { left: 3, top: 3, right: w - 4, bottom: h - 4 };
  const innerW = inner.right >= inner.left ? inner.right - inner.left + 1 : 0;
  const innerH = inner.bottom >= inner.top ? inner.bottom - inner.top + 1 : 0;
  // dlib writes dpoint(draw()*width, draw()*height); g++ evaluates the second argument first.
  const t1 = rnd.getDoubleInRange(-0.02, 0.02);
  const t2 = rnd.getDoubleInRange(-0.02, 0.02);
  const sx = Math.floor(t2 * innerW + 0.5), sy = Math.floor(t1 * innerH + 0.5);
  const s = rnd.getDoubleInRange(0.97, 0.99999);
  const boxSize = Math.trunc(innerH / s);
  // center(rectangle): (l + r + 1) / 2 with C++ integer division (both sums are positive here)
  const cx = Math.trunc((inner.left + inner.right + 1) / 2) + sx;
  const cy = Math.trunc((inner.top + inner.bottom + 1) / 2) + sy;
  const left = cx - Math.trunc(boxSize / 2), top = cy - Math.trunc(boxSize / 2);
  const cropRect: Rect = { left, top, right: left + boxSize - 1, bottom: top + boxSize - 1 };
  const a = rnd.getDoubleInRange(-3, 3);
  const angleRad = (a * Math.PI) / 180;
  const image = extractImageChip(img, chipDetails(cropRect, chipDims(h, w), angleRad));
  const f = rnd.getRandomDouble();
  const flipped = f > 0.5;
  if (flipped) flipImageLeftRightInPlace(image);
  return { image, info: { draws: [t1, t2, s, a, f], shift: [sx, sy], boxSize, cropRect, angleRad, flipped } };
}

/** dlib `jitter_image(img, rnd)`; see `jitterImageWithInfo`. */
export function jitterImage<T extends ByteImage>(img: T, rnd: JitterRng): T {
  return jitterImageWithInfo(img, rnd).image;
}

/** dlib's colour matrix for apply_random_color_offset (row-major 3×3). */
const COLOR_TFORM = [-66.379, 25.094, 6.79698, -68.0492, -0.302309, -13.9539, -68.4907, -24.0199, 7.27653];

/**
 * dlib `apply_random_color_offset(img, rnd)`, in place: draws three Gaussians g (in order), computes per-channel
 * integer offsets floor(Σ_k (M[i][k]·0.1)·g[k] + 0.5) with dlib's fixed colour matrix M, and maps every
 * channel value x to clamp(x + offset, 0, 255). Returns the offsets [r, g, b].
 */
export function applyRandomColorOffset(img: RgbImage, rnd: GaussianRng): [number, number, number] {
  const g = [rnd.getRandomGaussian(), rnd.getRandomGaussian(), rnd.getRandomGaussian()];
  const off: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    let acc = COLOR_TFORM[i * 3] * 0.1 * g[0];
    acc += COLOR_TFORM[i * 3 + 1] * 0.1 * g[1];
    acc += COLOR_TFORM[i * 3 + 2] * 0.1 * g[2];
    off[i] = Math.floor(acc + 0.5);
  }
  const tables = off.map((o) => {
    const t = new Uint8Array(256);
    for (let v = 0; v < 256; v++) t[v] = Math.min(255, Math.max(0, v + o));
    return t;
  });
  const d = img.data;
  const n = img.width * img.height * 3;
  if (d.length < n) throw new RangeError(`apply_random_color_offset: data too short for a ${img.width}x${img.height} rgb image`);
  const [tr, tg, tb] = tables;
  for (let i = 0; i < n; i += 3) {
    d[i] = tr[d[i]];
    d[i + 1] = tg[d[i + 1]];
    d[i + 2] = tb[d[i + 2]];
  }
  return off;
}
