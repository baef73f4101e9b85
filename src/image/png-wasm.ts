/**
 * WebAssembly fast path of `decodePng` (src/image/png.ts) for the common PNGs: 8-bit, non-interlaced, colour
 * types 0 (grey), 2 (RGB), 3 (palette), 4 (grey+alpha), 6 (RGBA). The kernels (assembly/png.ts) do the CRC
 * checks, the zlib inflate, the unfiltering and the conversion to dlib's RGB; this file walks the chunks and
 * applies png.ts's chunk rules (first tRNS, PLTE before tRNS, iCCP unchecked, ...) the same way.
 *
 * Contract: `decodePngWasm` returns either exactly the RgbImage the TypeScript decoder returns for the same
 * bytes and options, or null ("not handled": other bit depths, interlacing, anything malformed or unusual, a
 * limit passed, no kernels). It never throws for bad input: the caller then runs the TypeScript decoder, which
 * produces the errors (types and messages) it always did.
 *
 * The kernel module comes from `kernelModuleSync` (the compiled one, or under Node compiled synchronously from
 * kernels.wasm on first use, shared with everything else). One small private instance serves images whose working set
 * (file + scanlines + RGB + tables) is at most PNG_WASM_SHARED_BYTES; its blocks are released after each call.
 * Larger images get a throw-away instance, so no large wasm memory stays resident after a big decode.
 * Setting the environment variable DLIB_FACE_NO_PNG_WASM disables the fast path.
 */
import { Kernels, kernelModuleSync } from "../nn/wasm.js";
import type { RgbImage } from "./types.js";
import { CHANNELS, T_IHDR, pngPalette, rgbColorKey, u32, walkPngChunks } from "./png-chunks.js";

/** Largest working set (bytes) decoded in the long-lived private instance; larger images use a one-shot instance. */
export const PNG_WASM_SHARED_BYTES = 4 << 20;

interface PngKernels {
  k: Kernels;
  inflate: (z: number, zlen: number, out: number, cap: number, scratch: number) => number;
  unfilterConvert: (raw: number, w: number, h: number, ct: number, rgb: number, pal: number, kr: number, kg: number, kb: number) => number;
  crcInit: (scratch: number) => void;
  crc32: (scratch: number, ptr: number, len: number) => number;
  scratchSize: number;
}

let shared: PngKernels | null = null;
let sharedMod: WebAssembly.Module | null = null;
let disabled: boolean | null = null;

/** How many images the fast path has decoded in this process (for tests and diagnostics). */
export const pngWasmStats = { decoded: 0 };

function instantiate(mod: WebAssembly.Module): PngKernels | null {
  let k: Kernels;
  try {
    k = new Kernels(new WebAssembly.Instance(mod, {}));
  } catch {
    return null; // e.g. a platform without synchronous instantiation, or no memory
  }
  const e = k.exports as Record<string, unknown>;
  if (typeof e.png_inflate !== "function" || typeof e.png_unfilter_convert !== "function") return null;
  return {
    k,
    inflate: e.png_inflate as PngKernels["inflate"],
    unfilterConvert: e.png_unfilter_convert as PngKernels["unfilterConvert"],
    crcInit: e.png_crc_init as PngKernels["crcInit"],
    crc32: e.png_crc32 as PngKernels["crc32"],
    scratchSize: (e.png_scratch_size as () => number)(),
  };
}

/** True when the fast path can run in this process (kernels compiled or compilable synchronously, not disabled). */
export function pngWasmAvailable(): boolean {
  return !isDisabled() && kernelModuleSync() !== null;
}

function isDisabled(): boolean {
  if (disabled === null) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    disabled = !!env?.DLIB_FACE_NO_PNG_WASM;
  }
  return disabled;
}

/**
 * Decodes `bytes` with the wasm kernels when the file is an 8-bit non-interlaced PNG of colour type 0/2/3/4/6
 * that the TypeScript decoder accepts; returns its RgbImage (identical to `decodePng`'s), or null when the fast
 * path does not handle the file (then nothing was decoded and the caller must use the TypeScript decoder).
 * `maxPixels` as in PngDecodeOptions (default 64 Mi pixels). Never throws for malformed input.
 */
export function decodePngWasm(bytes: Uint8Array, opts: { maxPixels?: number } = {}): RgbImage | null {
  const n = bytes.length;
  // IHDR: the cases png.ts's pngInfo accepts, restricted to what the kernels convert
  if (n < 33 || bytes[0] !== 0x89 || bytes[1] !== 0x50 || bytes[2] !== 0x4e || bytes[3] !== 0x47 ||
      bytes[4] !== 0x0d || bytes[5] !== 0x0a || bytes[6] !== 0x1a || bytes[7] !== 0x0a) return null;
  if (u32(bytes, 8) !== 13 || u32(bytes, 12) !== T_IHDR) return null;
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const colorType = bytes[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return null;
  if (bytes[24] !== 8 || bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] !== 0) return null;
  if (colorType !== 0 && colorType !== 2 && colorType !== 3 && colorType !== 4 && colorType !== 6) return null;
  if (width * height > (opts.maxPixels ?? 64 * 1024 * 1024)) return null;
  if (isDisabled()) return null;
  const mod = kernelModuleSync();
  if (!mod) return null;
  const channels = CHANNELS[colorType]!;
  const rowBytes = 1 + width * channels;
  const needBytes = rowBytes * height;

  // chunk walk, palette and colour key by png.ts's rules (png-chunks.ts)
  const walk = walkPngChunks(bytes, colorType);
  if (typeof walk === "string") return null;
  const idat = walk.idatBytes;
  if (idat === 0 || !walk.iend || idat * 1032 + 1024 < needBytes) return null;
  const palette = colorType === 3 ? pngPalette(bytes, walk) : null;
  if (typeof palette === "string") return null;
  const [kr, kg, kb] = rgbColorKey(bytes, colorType, walk) ?? [-1, -1, -1];

  const rgbBytes = width * height * 3;
  const zBytes = walk.idat.length > 1 ? idat : 0;
  const total = n + zBytes + needBytes + rgbBytes + 768 + 400_000;
  if (total > 0x7fff0000) return null;
  let w: PngKernels | null;
  if (total <= PNG_WASM_SHARED_BYTES) {
    if (sharedMod !== mod) {
      sharedMod = mod;
      shared = instantiate(mod);
    }
    w = shared;
  } else {
    w = instantiate(mod); // one-shot: its memory goes with it
  }
  if (!w) return null;
  const A = w.k.arena;
  const blocks: number[] = [];
  const alloc = (size: number) => {
    const ptr = A.alloc(size);
    blocks.push(ptr);
    return ptr;
  };
  try {
    const scratch = alloc(w.scratchSize);
    const file = alloc(n);
    const pal = alloc(768);
    const raw = alloc(needBytes + 16); // png_inflate may write 8 bytes past its capacity; unfiltering reads 1
    const rgb = alloc(rgbBytes);
    const z = zBytes ? alloc(zBytes) : file + walk.idat[0]! + 8;
    const M = A.U8;
    M.set(bytes, file);
    w.crcInit(scratch);
    for (const p of walk.checked) {
      const len = u32(bytes, p);
      if (w.crc32(scratch, file + p + 4, len + 4) >>> 0 !== u32(bytes, p + 8 + len)) return null;
    }
    // IDAT parts in file order
    for (let i = 0, o = z; zBytes && i < walk.idat.length; i++) {
      const p = walk.idat[i]!, len = u32(bytes, p);
      M.copyWithin(o, file + p + 8, file + p + 8 + len);
      o += len;
    }
    if (palette) M.set(palette, pal);
    const got = w.inflate(z, idat, raw, needBytes, scratch);
    if (got !== needBytes) return null;
    if (w.unfilterConvert(raw, width, height, colorType, rgb, pal, kr, kg, kb) !== 0) return null;
    const data = A.u8(rgb, rgbBytes).slice();
    pngWasmStats.decoded++;
    return { width, height, data };
  } catch {
    return null; // e.g. the wasm memory cannot grow: the TypeScript decoder decides
  } finally {
    if (w === shared) for (let i = blocks.length - 1; i >= 0; i--) A.release(blocks[i]!);
  }
}
