/**
 * Image loading as dlib's `load_image(array2d<rgb_pixel>&, file)`: the format is sniffed from the first bytes (as
 * dlib does), JPEG and PNG are decoded to the exact pixels dlib 19.24 gets from libjpeg-turbo 2.1.5 / libpng, and
 * every failure — unknown format, truncated or corrupt data, unsupported variant, too many pixels — is an
 * ImageDecodeError naming the file and the problem.
 */
import { ImageDecodeError } from "../errors.js";
import { decodeJpeg, DEFAULT_MAX_PIXELS, jpegInfo } from "./jpeg.js";
import { decodePng, encodePng, hasPngSignature, pngInfo } from "./png.js";
import type { RgbImage } from "./types.js";

export { encodePng, DEFAULT_MAX_PIXELS };

export type ImageFormat = "jpeg" | "png";

export interface DecodeImageOptions {
  /** Largest accepted width*height, checked against the header before pixel buffers are allocated (default 64 Mi). */
  maxPixels?: number;
  /** File name for error messages. */
  file?: string;
}

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

function sniff(bytes: Uint8Array, file: string): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError("empty file (0 bytes)", file);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (hasPngSignature(bytes)) return "png";
  const ascii = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, Math.min(b, bytes.length)));
  let what = "unknown";
  if (ascii(0, 2) === "BM") what = "BMP";
  else if (ascii(0, 4) === "GIF8") what = "GIF";
  else if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") what = "WebP";
  else if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) what = "damaged JPEG";
  else if (bytes.length < 8 && bytes[0] === 0x89) what = "truncated PNG signature";
  throw new ImageDecodeError(`unsupported image format (${what}); only JPEG and PNG can be read`, file);
}

/**
 * Decodes a JPEG or PNG file's bytes into an 8-bit RGB image with exactly dlib's `load_image` pixels.
 * Requires the whole file in `bytes`; throws ImageDecodeError on any failure (never another error type).
 */
export function decodeImage(bytes: Uint8Array, opts: DecodeImageOptions = {}): RgbImage {
  const file = opts.file ?? "<bytes>";
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(bytes instanceof Uint8Array)) throw new ImageDecodeError("expected the file contents as a Uint8Array", file);
  const format = sniff(bytes, file);
  try {
    return format === "jpeg" ? decodeJpeg(bytes, { file, maxPixels }) : decodePng(bytes, { file, maxPixels });
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    // Defensive: anything unexpected (e.g. an allocation failure) still surfaces as a typed error.
    throw new ImageDecodeError(`cannot decode ${format.toUpperCase()}: ${(e as Error)?.message ?? String(e)}`, file);
  }
}

/** Format and size from the header only (no pixel decoding); throws ImageDecodeError if the header is unreadable. */
export function imageInfo(bytes: Uint8Array, file = "<bytes>"): ImageInfo {
  const format = sniff(bytes, file);
  if (format === "jpeg") {
    const j = jpegInfo(bytes, file);
    return { format, width: j.width, height: j.height };
  }
  const p = pngInfo(bytes, file);
  return { format, width: p.width, height: p.height };
}
