/**
 * PNG decoding (via the pure-JS `fast-png`) converted to RGB exactly as dlib 19.24's `load_image` into an
 * `array2d<rgb_pixel>` does it through libpng (dlib/image_loader/png_loader.{h,cpp}):
 *  - dlib asks libpng for `png_set_palette_to_rgb` (= libpng's EXPAND + EXPAND_tRNS) and packing, so palettes become
 *    RGB, a tRNS chunk becomes an alpha channel (palette, grey and RGB alike), and 1/2/4-bit grey is scaled to 8 bits
 *    (×255, ×85, ×17);
 *  - grey (8-bit) → R = G = B; grey+alpha → the grey value, alpha ignored;
 *  - 16-bit grey (± alpha) → `assign_pixel(unsigned char, uint16)`, i.e. saturated at 255 (values > 255 become 255);
 *  - 16-bit RGB(A) → `static_cast<uint8>` of each sample, i.e. its LOW byte;
 *  - RGBA → dlib first fills the image with 0, then `assign_pixel(rgb, rgb_alpha)`: alpha 255 copies the colour,
 *    otherwise each channel becomes `(c * alpha) >> 8` (its fixed-point blend onto the black background).
 * Interlaced PNGs with 1/2/4-bit samples are not supported by fast-png and are reported as ImageDecodeError.
 */
import { decode, encode } from "fast-png";
import { ImageDecodeError } from "../errors.js";
import type { RgbImage } from "./types.js";
import { zlibInflatedSize } from "./zlib-size.js";

/** Inflated image data beyond what the header's size needs that is still accepted (libpng ignores extra data). */
export const PNG_EXTRA_INFLATE_BYTES = 1 << 20;

/** Bytes of filtered scanlines a PNG of this header needs (Adam7: the seven passes). */
function rawImageBytes(width: number, height: number, channels: number, bitDepth: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * channels * bitDepth) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  let n = 0;
  for (const [x0, y0, dx, dy] of passes) n += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return n;
}

export interface PngDecodeOptions {
  /** Name used in error messages. */
  file?: string;
  /** Largest accepted width*height (checked from IHDR before decompressing). Default 64 Mi pixels. */
  maxPixels?: number;
}

/** Header facts of a PNG (from IHDR). */
export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasPngSignature(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== SIG[i]) return false;
  return true;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Reads and validates the IHDR chunk; throws ImageDecodeError if the file is not a well-formed PNG header. */
export function pngInfo(bytes: Uint8Array, file = "<bytes>"): PngInfo {
  if (!hasPngSignature(bytes)) throw new ImageDecodeError("not a PNG file (bad signature)", file);
  if (bytes.length < 33) throw new ImageDecodeError("truncated PNG: no complete IHDR chunk", file);
  if (u32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR")
    throw new ImageDecodeError("corrupt PNG: first chunk is not a 13-byte IHDR", file);
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  const interlace = bytes[28]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    throw new ImageDecodeError(`corrupt PNG: invalid size ${width}x${height}`, file);
  const okDepths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
  const allowed = okDepths[colorType];
  if (!allowed) throw new ImageDecodeError(`corrupt PNG: invalid colour type ${colorType}`, file);
  if (!allowed.includes(bitDepth))
    throw new ImageDecodeError(`corrupt PNG: invalid bit depth ${bitDepth} for colour type ${colorType}`, file);
  if (interlace > 1) throw new ImageDecodeError(`corrupt PNG: unknown interlace method ${interlace}`, file);
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/**
 * Decodes a PNG into 8-bit RGB exactly as dlib's `load_image(array2d<rgb_pixel>&, ...)` does (see the module doc).
 * Throws ImageDecodeError (naming `opts.file`) for malformed, truncated or too-large files; the pixel limit and a
 * deflate-ratio sanity check run before any decompression.
 */
export function decodePng(bytes: Uint8Array, opts: PngDecodeOptions = {}): RgbImage {
  const file = opts.file ?? "<bytes>";
  const maxPixels = opts.maxPixels ?? 64 * 1024 * 1024;
  const info = pngInfo(bytes, file);
  const { width, height } = info;
  if (width * height > maxPixels)
    throw new ImageDecodeError(`PNG is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`, file);
  // Deflate cannot expand more than ~1032:1; refuse files whose IDAT data is far too small for the declared size.
  const channels = [1, 0, 3, 1, 2, 0, 4][info.colorType]!;
  const rowBytes = 1 + Math.ceil((width * channels * info.bitDepth) / 8);
  let idat = 0;
  let sawIend = false;
  const idatParts: Uint8Array[] = [];
  const iccp: [number, number][] = [];
  for (let p = 8; p + 8 <= bytes.length; ) {
    const len = u32(bytes, p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (p + 12 + len > bytes.length) throw new ImageDecodeError(`truncated PNG: chunk ${JSON.stringify(type)} cut off`, file);
    if (type === "IDAT") {
      idat += len;
      idatParts.push(bytes.subarray(p + 8, p + 8 + len));
    }
    if (type === "iCCP") iccp.push([p, p + 12 + len]);
    if (type === "IEND") {
      sawIend = true;
      break;
    }
    p += 12 + len;
  }
  if (idat === 0) throw new ImageDecodeError("truncated or corrupt PNG: no image data (IDAT)", file);
  if (idat * 1032 + 1024 < rowBytes * height)
    throw new ImageDecodeError(
      `truncated or corrupt PNG: ${idat} bytes of compressed data cannot hold a ${width}x${height} image`,
      file,
    );
  if (!sawIend) throw new ImageDecodeError("truncated PNG: no IEND chunk", file);
  if (info.interlaced && info.bitDepth < 8)
    throw new ImageDecodeError(`unsupported PNG: interlaced with ${info.bitDepth}-bit samples`, file);

  // Decompression bombs: the zlib stream must not inflate to (much) more than the header's size needs. The
  // decoder below inflates all of it into memory, so count first (no output is produced while counting).
  const needBytes = rawImageBytes(width, height, channels, info.bitDepth, info.interlaced);
  const idatAll = idatParts.length === 1 ? idatParts[0]! : concat(idatParts, idat);
  const counted = zlibInflatedSize(idatAll, needBytes + PNG_EXTRA_INFLATE_BYTES);
  if (counted.over)
    throw new ImageDecodeError(
      `PNG image data inflates to more than ${needBytes + PNG_EXTRA_INFLATE_BYTES} bytes, but a ${width}x${height} image needs ${needBytes} (decompression bomb?)`,
      file,
    );
  // dlib (libpng) makes no use of an ICC profile, and the decoder would inflate it without a bound: drop it.
  let input = bytes;
  if (iccp.length) {
    const keep: Uint8Array[] = [];
    let at = 0;
    for (const [a, b] of iccp) { keep.push(bytes.subarray(at, a)); at = b; }
    keep.push(bytes.subarray(at));
    input = concat(keep, keep.reduce((s, k) => s + k.length, 0));
  }

  let png;
  try {
    png = decode(input, { checkCrc: true });
  } catch (e) {
    throw new ImageDecodeError(`corrupt PNG: ${(e as Error).message}`, file);
  }
  const n = width * height;
  const src = png.data;
  const depth = png.depth;
  const ch = png.channels;
  if (png.width !== width || png.height !== height) throw new ImageDecodeError("corrupt PNG: size mismatch", file);
  const rgb = new Uint8Array(n * 3);
  const trns = png.transparency;

  // Samples per row in fast-png's output: packed rows for depth < 8 (byte-aligned per row), else one per element.
  const sampleAt =
    depth < 8
      ? (() => {
          const stride = Math.ceil((width * depth) / 8);
          const perByte = 8 / depth;
          const mask = (1 << depth) - 1;
          return (x: number, y: number) => {
            const b = src[y * stride + ((x / perByte) | 0)]!;
            return (b >> (8 - depth * ((x % perByte) + 1))) & mask;
          };
        })()
      : null;
  const need = depth < 8 ? Math.ceil((width * depth) / 8) * height : n * ch;
  if (src.length < need) throw new ImageDecodeError("truncated PNG: not enough image data", file);

  if (info.colorType === 3) {
    const pal = png.palette;
    if (!pal || pal.length === 0) throw new ImageDecodeError("corrupt PNG: palette image without PLTE", file);
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        const idx = sampleAt ? sampleAt(x, y) : src[y * width + x]!;
        const c = pal[idx];
        // libpng maps out-of-range indices to black (0,0,0) with full opacity.
        if (!c) continue;
        const a = c.length > 3 ? c[3]! : 255;
        rgb[o] = blend(c[0]!, a);
        rgb[o + 1] = blend(c[1]!, a);
        rgb[o + 2] = blend(c[2]!, a);
      }
    }
    return { width, height, data: rgb };
  }

  if (ch === 1 || ch === 2) {
    // Grey (± alpha): alpha never affects an rgb_pixel destination; tRNS only adds an (ignored) alpha.
    const scale = depth === 1 ? 255 : depth === 2 ? 85 : depth === 4 ? 17 : 1;
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        let v: number;
        if (sampleAt) v = sampleAt(x, y) * scale;
        else {
          v = src[(y * width + x) * ch]!;
          if (v > 255) v = 255;
        }
        rgb[o] = v;
        rgb[o + 1] = v;
        rgb[o + 2] = v;
      }
    }
    return { width, height, data: rgb };
  }

  if (ch === 3) {
    const hasKey = trns !== undefined && trns.length >= 3;
    const kr = hasKey ? trns[0]! : -1;
    const kg = hasKey ? trns[1]! : -1;
    const kb = hasKey ? trns[2]! : -1;
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const r = src[o]!;
      const g = src[o + 1]!;
      const b = src[o + 2]!;
      if (hasKey && r === kr && g === kg && b === kb) continue; // alpha 0 over the zeroed image: black
      rgb[o] = r & 0xff;
      rgb[o + 1] = g & 0xff;
      rgb[o + 2] = b & 0xff;
    }
    return { width, height, data: rgb };
  }

  if (ch === 4) {
    for (let i = 0, o = 0, s = 0; i < n; i++, o += 3, s += 4) {
      const a = src[s + 3]! & 0xff;
      rgb[o] = blend(src[s]! & 0xff, a);
      rgb[o + 1] = blend(src[s + 1]! & 0xff, a);
      rgb[o + 2] = blend(src[s + 2]! & 0xff, a);
    }
    return { width, height, data: rgb };
  }
  throw new ImageDecodeError(`unsupported PNG: ${ch} channels`, file);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** dlib's assign_pixel(rgb_pixel, rgb_alpha_pixel) for one channel onto a destination that is 0. */
function blend(c: number, a: number): number {
  return a === 255 ? c : (c * a) >> 8;
}

/** Encodes an RGB image as an 8-bit RGB PNG (lossless; for reports and the CLI). */
export function encodePng(img: RgbImage): Uint8Array {
  if (img.data.length !== img.width * img.height * 3) throw new RangeError("encodePng: data length != width*height*3");
  return encode({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 });
}
