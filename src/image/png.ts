/**
 * PNG decoding (our own: chunk walk with CRC checks, zlib inflate with a hard output limit, unfiltering, Adam7)
 * converted to RGB exactly as dlib 19.24's `load_image` into an `array2d<rgb_pixel>` does it through libpng
 * (dlib/image_loader/png_loader.{h,cpp}):
 *  - dlib asks libpng for `png_set_palette_to_rgb` (= libpng's EXPAND + EXPAND_tRNS) and packing, so palettes become
 *    RGB, a tRNS chunk becomes an alpha channel (palette, grey and RGB alike), and 1/2/4-bit grey is scaled to 8 bits
 *    (×255, ×85, ×17);
 *  - grey (8-bit) → R = G = B; grey+alpha → the grey value, alpha ignored;
 *  - 16-bit grey (± alpha) → `assign_pixel(unsigned char, uint16)`, i.e. saturated at 255 (values > 255 become 255);
 *  - 16-bit RGB(A) → `static_cast<uint8>` of each sample, i.e. its LOW byte;
 *  - RGBA → dlib first fills the image with 0, then `assign_pixel(rgb, rgb_alpha)`: alpha 255 copies the colour,
 *    otherwise each channel becomes `(c * alpha) >> 8` (its fixed-point blend onto the black background).
 * Chunks follow libpng's rules where they matter here: a malformed tRNS (wrong length, before PLTE, more entries
 * than the palette, on a colour type with alpha) is ignored, as libpng does on reading; a malformed PLTE is an
 * error for palette images and ignored otherwise; every chunk's CRC is checked (iCCP's excepted: it is skipped
 * unread, so an ICC-profile bomb costs nothing). Adam7 interlacing is supported at every bit depth.
 * `encodePng` writes 8-bit RGB PNGs with our own deflate (src/image/deflate.ts).
 */
import { DecompressError, ImageDecodeError } from "../errors.js";
import type { RgbImage } from "./types.js";
import { inflateZlib } from "./inflate.js";
import { zlibDeflate } from "./deflate.js";
import { decodePngWasm } from "./png-wasm.js";
import { CHANNELS, T_IDAT, T_IEND, T_IHDR, pngPalette, rgbColorKey, typeName, u32, walkPngChunks } from "./png-chunks.js";

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

/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

let crcTable: Int32Array | null = null;

/** CRC-32 (ISO 3309, as PNG uses it) of `b[start..end)`, unsigned. */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  let t = crcTable;
  if (!t) {
    t = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c;
    }
    crcTable = t;
  }
  let c = -1;
  for (let i = start; i < end; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}


/** How one image's samples become dlib's RGB (see the module doc). */
interface Conv {
  colorType: number;
  depth: number;
  /** Palette (colour type 3), already blended with its tRNS alpha: 256 entries × RGB, out-of-range indices black. */
  pal: Uint8Array | null;
  /** RGB colour key from tRNS (colour type 2), or -1. */
  kr: number;
  kg: number;
  kb: number;
}

/**
 * Decodes a PNG into 8-bit RGB exactly as dlib's `load_image(array2d<rgb_pixel>&, ...)` does (see the module doc).
 * Throws ImageDecodeError (naming `opts.file`) for malformed, truncated or too-large files; the pixel limit and a
 * deflate-ratio sanity check run before any decompression, and inflation stops as soon as the image data passes
 * what the header needs plus PNG_EXTRA_INFLATE_BYTES.
 */
export function decodePng(bytes: Uint8Array, opts: PngDecodeOptions = {}): RgbImage {
  // the wasm fast path (8-bit non-interlaced colour types 0/2/3/4/6) gives the same image or declines
  return decodePngWasm(bytes, opts) ?? decodePngJs(bytes, opts);
}

/** `decodePng` in TypeScript only (the reference and fallback of the wasm fast path); same contract. */
export function decodePngJs(bytes: Uint8Array, opts: PngDecodeOptions = {}): RgbImage {
  const file = opts.file ?? "<bytes>";
  const maxPixels = opts.maxPixels ?? 64 * 1024 * 1024;
  const info = pngInfo(bytes, file);
  const { width, height, colorType, bitDepth: depth, interlaced } = info;
  if (width * height > maxPixels)
    throw new ImageDecodeError(`PNG is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`, file);
  const channels = CHANNELS[colorType]!;
  const rowBytes = 1 + Math.ceil((width * channels * depth) / 8);

  // Chunk walk (structure only; CRCs are checked below, after the cheap size checks).
  const walk = walkPngChunks(bytes, colorType);
  if (typeof walk === "string") throw new ImageDecodeError(walk, file);
  const idat = walk.idatBytes;
  if (idat === 0) throw new ImageDecodeError("truncated or corrupt PNG: no image data (IDAT)", file);
  // Deflate cannot expand more than ~1032:1; refuse files whose IDAT data is far too small for the declared size.
  if (idat * 1032 + 1024 < rowBytes * height)
    throw new ImageDecodeError(
      `truncated or corrupt PNG: ${idat} bytes of compressed data cannot hold a ${width}x${height} image`,
      file,
    );
  if (!walk.iend) throw new ImageDecodeError("truncated PNG: no IEND chunk", file);
  for (const p of walk.checked) {
    const len = u32(bytes, p);
    const want = u32(bytes, p + 8 + len);
    const got = crc32(bytes, p + 4, p + 8 + len);
    if (want !== got)
      throw new ImageDecodeError(`corrupt PNG: CRC mismatch in chunk ${JSON.stringify(typeName(bytes, p))} at byte ${p}`, file);
  }
  if (bytes[26] !== 0) throw new ImageDecodeError(`unsupported PNG: compression method ${bytes[26]}`, file);
  if (bytes[27] !== 0) throw new ImageDecodeError(`unsupported PNG: filter method ${bytes[27]}`, file);

  const conv: Conv = { colorType, depth, pal: null, kr: -1, kg: -1, kb: -1 };
  if (colorType === 3) {
    const pal = pngPalette(bytes, walk);
    if (typeof pal === "string") throw new ImageDecodeError(pal, file);
    conv.pal = pal;
  } else {
    const key = rgbColorKey(bytes, colorType, walk);
    if (key) [conv.kr, conv.kg, conv.kb] = key;
  }
  // (a grey tRNS only adds an alpha channel, which an rgb_pixel destination ignores)

  // Decompression bombs: inflation stops as soon as the output passes what the header needs plus the slack.
  const needBytes = rawImageBytes(width, height, channels, depth, interlaced);
  const limit = needBytes + PNG_EXTRA_INFLATE_BYTES;
  const idatParts = walk.idat.map((p) => bytes.subarray(p + 8, p + 8 + u32(bytes, p)));
  const z = idatParts.length === 1 ? idatParts[0]! : concat(idatParts, idat);
  let raw: Uint8Array;
  try {
    const r = inflateZlib(z, limit, needBytes, file);
    if (r.over)
      throw new ImageDecodeError(
        `PNG image data inflates to more than ${limit} bytes, but a ${width}x${height} image needs ${needBytes} (decompression bomb?)`,
        file,
      );
    raw = r.data;
  } catch (e) {
    if (e instanceof DecompressError) throw new ImageDecodeError(`corrupt PNG image data: ${e.message}`, file);
    throw e;
  }
  if (raw.length < needBytes)
    throw new ImageDecodeError(`truncated PNG: not enough image data (${raw.length} of ${needBytes} bytes)`, file);

  const rgb = new Uint8Array(width * height * 3);
  const bpp = Math.max(1, (channels * depth) >> 3);
  if (!interlaced) {
    const rb = rowBytes - 1;
    for (let y = 0, o = 0; y < height; y++, o += rowBytes) {
      unfilterRow(raw, o, y > 0 ? o - rowBytes : -1, rb, bpp, file);
      convertRow(raw, o + 1, width, rgb, y * width * 3, 3, conv);
    }
  } else {
    let o = 0;
    for (const [x0, y0, dx, dy] of ADAM7) {
      const pw = Math.ceil((width - x0) / dx);
      const ph = Math.ceil((height - y0) / dy);
      if (pw <= 0 || ph <= 0) continue;
      const rb = Math.ceil((pw * channels * depth) / 8);
      for (let r = 0; r < ph; r++, o += rb + 1) {
        unfilterRow(raw, o, r > 0 ? o - rb - 1 : -1, rb, bpp, file);
        convertRow(raw, o + 1, pw, rgb, ((y0 + r * dy) * width + x0) * 3, dx * 3, conv);
      }
    }
  }
  return { width, height, data: rgb };
}

/**
 * Undoes the PNG filter of the scanline whose filter byte is at `d[o]` and whose `n` data bytes follow, in place;
 * `po` is the previous (already unfiltered) scanline's filter-byte offset, or -1 for a pass's first row.
 */
function unfilterRow(d: Uint8Array, o: number, po: number, n: number, bpp: number, file: string): void {
  const f = d[o]!;
  const s = o + 1;
  const u = po + 1;
  switch (f) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) d[s + i] = d[s + i]! + d[s + i - bpp]!;
      return;
    case 2:
      if (po < 0) return;
      for (let i = 0; i < n; i++) d[s + i] = d[s + i]! + d[u + i]!;
      return;
    case 3:
      if (po < 0) {
        for (let i = bpp; i < n; i++) d[s + i] = d[s + i]! + (d[s + i - bpp]! >> 1);
      } else {
        for (let i = 0; i < bpp && i < n; i++) d[s + i] = d[s + i]! + (d[u + i]! >> 1);
        for (let i = bpp; i < n; i++) d[s + i] = d[s + i]! + ((d[s + i - bpp]! + d[u + i]!) >> 1);
      }
      return;
    case 4:
      if (po < 0) {
        // no row above: Paeth predicts from the left byte (a), as Sub does
        for (let i = bpp; i < n; i++) d[s + i] = d[s + i]! + d[s + i - bpp]!;
      } else {
        for (let i = 0; i < bpp && i < n; i++) d[s + i] = d[s + i]! + d[u + i]!;
        for (let i = bpp; i < n; i++) {
          const a = d[s + i - bpp]!;
          const b = d[u + i]!;
          const c = d[u + i - bpp]!;
          // with p = a + b - c: |p - a| = |b - c|, |p - b| = |a - c|, |p - c| = |(b - c) + (a - c)|;
          // branch-free (sign masks): natural images make the three-way choice unpredictable
          const x = b - c;
          const y = a - c;
          const z = x + y;
          const pa = (x ^ (x >> 31)) - (x >> 31);
          const pb = (y ^ (y >> 31)) - (y >> 31);
          const pc = (z ^ (z >> 31)) - (z >> 31);
          const bc = c ^ ((b ^ c) & ~((pc - pb) >> 31)); // pb <= pc ? b : c
          d[s + i] = d[s + i]! + (bc ^ ((a ^ bc) & ~((pb - pa) >> 31) & ~((pc - pa) >> 31)));
        }
      }
      return;
    default:
      throw new ImageDecodeError(`corrupt PNG: unknown filter type ${f} at image data byte ${o}`, file);
  }
}

/**
 * Converts `n` pixels of an unfiltered scanline starting at `d[s]` into dlib's RGB, writing pixel k at
 * `rgb[o + k*step ..+3)` (rgb starts zeroed; pixels that end up black may be skipped).
 */
function convertRow(d: Uint8Array, s: number, n: number, rgb: Uint8Array, o: number, step: number, cv: Conv): void {
  const depth = cv.depth;
  switch (cv.colorType) {
    case 3: {
      const pal = cv.pal!;
      if (depth === 8) {
        for (let x = 0; x < n; x++, o += step) {
          const q = d[s + x]! * 3;
          rgb[o] = pal[q]!;
          rgb[o + 1] = pal[q + 1]!;
          rgb[o + 2] = pal[q + 2]!;
        }
      } else {
        const mask = (1 << depth) - 1;
        for (let x = 0; x < n; x++, o += step) {
          const bit = x * depth;
          const q = ((d[s + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask) * 3;
          rgb[o] = pal[q]!;
          rgb[o + 1] = pal[q + 1]!;
          rgb[o + 2] = pal[q + 2]!;
        }
      }
      return;
    }
    case 0:
    case 4: {
      const ch = cv.colorType === 4 ? 2 : 1;
      if (depth === 8) {
        for (let x = 0, i = s; x < n; x++, o += step, i += ch) {
          const v = d[i]!;
          rgb[o] = v;
          rgb[o + 1] = v;
          rgb[o + 2] = v;
        }
      } else if (depth === 16) {
        for (let x = 0, i = s; x < n; x++, o += step, i += 2 * ch) {
          const v = d[i]! ? 255 : d[i + 1]!; // saturate the 16-bit value at 255
          rgb[o] = v;
          rgb[o + 1] = v;
          rgb[o + 2] = v;
        }
      } else {
        const mask = (1 << depth) - 1;
        const scale = depth === 1 ? 255 : depth === 2 ? 85 : 17;
        for (let x = 0; x < n; x++, o += step) {
          const bit = x * depth;
          const v = ((d[s + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask) * scale;
          rgb[o] = v;
          rgb[o + 1] = v;
          rgb[o + 2] = v;
        }
      }
      return;
    }
    case 2: {
      const { kr, kg, kb } = cv;
      if (depth === 8 && kr < 0 && step === 3) {
        rgb.set(d.subarray(s, s + n * 3), o);
      } else if (depth === 8) {
        for (let x = 0, i = s; x < n; x++, o += step, i += 3) {
          const r = d[i]!;
          const g = d[i + 1]!;
          const b = d[i + 2]!;
          if (r === kr && g === kg && b === kb) continue; // alpha 0 over the zeroed image: black
          rgb[o] = r;
          rgb[o + 1] = g;
          rgb[o + 2] = b;
        }
      } else {
        for (let x = 0, i = s; x < n; x++, o += step, i += 6) {
          const r = (d[i]! << 8) | d[i + 1]!;
          const g = (d[i + 2]! << 8) | d[i + 3]!;
          const b = (d[i + 4]! << 8) | d[i + 5]!;
          if (r === kr && g === kg && b === kb) continue;
          rgb[o] = d[i + 1]!;
          rgb[o + 1] = d[i + 3]!;
          rgb[o + 2] = d[i + 5]!;
        }
      }
      return;
    }
    case 6: {
      const w = depth === 8 ? 1 : 2; // bytes per sample; 16-bit samples use their low byte
      const l = w - 1;
      for (let x = 0, i = s + l; x < n; x++, o += step, i += 4 * w) {
        const a = d[i + 3 * w]!;
        if (a === 255) {
          rgb[o] = d[i]!;
          rgb[o + 1] = d[i + w]!;
          rgb[o + 2] = d[i + 2 * w]!;
        } else {
          rgb[o] = (d[i]! * a) >> 8;
          rgb[o + 1] = (d[i + w]! * a) >> 8;
          rgb[o + 2] = (d[i + 2 * w]! * a) >> 8;
        }
      }
      return;
    }
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** dlib's assign_pixel(rgb_pixel, rgb_alpha_pixel) for one channel onto a destination that is 0. */
/**
 * PNG-filters the 8-bit RGB row at `d[s..s+n)` (row above at `u`, or -1 for none) with filter `f` into
 * `out[0..n)`; returns the sum of |signed residual| (the usual heuristic for choosing a row's filter).
 */
function filterRow(d: Uint8Array, s: number, u: number, n: number, f: number, out: Uint8Array): number {
  const m = n < 3 ? n : 3;
  if (f === 0 || (u < 0 && f === 2)) out.set(d.subarray(s, s + n));
  else if (f === 1 || (u < 0 && f === 4)) {
    for (let k = 0; k < m; k++) out[k] = d[s + k]!;
    for (let k = 3; k < n; k++) out[k] = d[s + k]! - d[s + k - 3]!;
  } else if (f === 2) {
    for (let k = 0; k < n; k++) out[k] = d[s + k]! - d[u + k]!;
  } else if (f === 3) {
    if (u < 0) {
      for (let k = 0; k < m; k++) out[k] = d[s + k]!;
      for (let k = 3; k < n; k++) out[k] = d[s + k]! - (d[s + k - 3]! >> 1);
    } else {
      for (let k = 0; k < m; k++) out[k] = d[s + k]! - (d[u + k]! >> 1);
      for (let k = 3; k < n; k++) out[k] = d[s + k]! - ((d[s + k - 3]! + d[u + k]!) >> 1);
    }
  } else {
    for (let k = 0; k < m; k++) out[k] = d[s + k]! - d[u + k]!;
    for (let k = 3; k < n; k++) {
      const a = d[s + k - 3]!;
      const b = d[u + k]!;
      const c = d[u + k - 3]!;
      const x = b - c;
      const y = a - c;
      const z = x + y;
      const pa = (x ^ (x >> 31)) - (x >> 31);
      const pb = (y ^ (y >> 31)) - (y >> 31);
      const pc = (z ^ (z >> 31)) - (z >> 31);
      const bc = c ^ ((b ^ c) & ~((pc - pb) >> 31));
      out[k] = d[s + k]! - (bc ^ ((a ^ bc) & ~((pb - pa) >> 31) & ~((pc - pa) >> 31)));
    }
  }
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const r = out[k]!;
    sum += r < 128 ? r : 256 - r;
  }
  return sum;
}

function chunk(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  dv.setUint32(4, type);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * Encodes an RGB image (8-bit, interleaved, data.length = width*height*3, width, height >= 1) as a non-interlaced
 * 8-bit RGB PNG: each row's filter chosen by the smallest sum of |signed residuals|, then our deflate (LZ77 +
 * dynamic Huffman). Lossless: decodePng gives back exactly `img`.
 */
export function encodePng(img: RgbImage): Uint8Array {
  const { width, height, data } = img;
  if (data.length !== width * height * 3) throw new RangeError("encodePng: data length != width*height*3");
  if (!(width >= 1 && height >= 1)) throw new RangeError("encodePng: empty image");
  const rb = width * 3;
  const raw = new Uint8Array((rb + 1) * height);
  const trial = [0, 1, 2, 3, 4].map(() => new Uint8Array(rb));
  for (let y = 0; y < height; y++) {
    let best = 0;
    let bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      if (y === 0 && (f === 2 || f === 4)) continue; // same as None/Sub without a row above
      const sum = filterRow(data, y * rb, y > 0 ? (y - 1) * rb : -1, rb, f, trial[f]!);
      if (sum < bestSum) {
        bestSum = sum;
        best = f;
      }
    }
    raw[y * (rb + 1)] = best;
    raw.set(trial[best]!, y * (rb + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    Uint8Array.from(SIG),
    chunk(T_IHDR, ihdr),
    chunk(T_IDAT, zlibDeflate(raw)),
    chunk(T_IEND, new Uint8Array(0)),
  ];
  return concat(parts, parts.reduce((n, p) => n + p.length, 0));
}
