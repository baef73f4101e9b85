/**
 * A PNG's chunk structure as dlib's libpng reads it, shared by the TypeScript decoder (png.ts) and its
 * WebAssembly fast path (png-wasm.ts), so both apply the same rules: which tRNS counts, the palette with its
 * alpha blended onto black, the RGB colour key.
 */

/** Big-endian u32 at b[p..p+4). */
export function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

export const T_IHDR = 0x49484452;
export const T_PLTE = 0x504c5445;
export const T_IDAT = 0x49444154;
export const T_IEND = 0x49454e44;
export const T_TRNS = 0x74524e53;
export const T_ICCP = 0x69434350;

/** Samples per pixel by colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA; others 0). */
export const CHANNELS = [1, 0, 3, 1, 2, 0, 4];

/** dlib's assign_pixel(rgb, rgb_alpha) of one channel: the colour blended onto black, `(c * a) >> 8` unless opaque. */
export function blend(c: number, a: number): number {
  return a === 255 ? c : (c * a) >> 8;
}

/** The chunks after the signature, up to IEND (byte offsets of each chunk's length field). */
export interface PngChunks {
  /** chunks whose CRC is checked (all but iCCP, which is skipped unread) */
  checked: number[];
  /** IDAT chunks in file order, and their data bytes in all */
  idat: number[];
  idatBytes: number;
  /** PLTE, and the tRNS libpng uses (the first; after PLTE for palette images), or -1 */
  plte: number;
  trns: number;
  iend: boolean;
}

/** A chunk's 4-letter type, for messages. */
export function typeName(b: Uint8Array, p: number): string {
  return String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
}

/**
 * Walks the chunks of a PNG whose IHDR says `colorType` (structure only: no CRCs checked here). Returns the
 * structure, or the reason the file is malformed (a chunk cut off, a second IHDR) as an error message.
 */
export function walkPngChunks(bytes: Uint8Array, colorType: number): PngChunks | string {
  const r: PngChunks = { checked: [], idat: [], idatBytes: 0, plte: -1, trns: -1, iend: false };
  for (let p = 8; p + 8 <= bytes.length; ) {
    const len = u32(bytes, p);
    const type = u32(bytes, p + 4);
    if (p + 12 + len > bytes.length) return `truncated PNG: chunk ${JSON.stringify(typeName(bytes, p))} cut off`;
    if (type !== T_ICCP) r.checked.push(p);
    if (type === T_IDAT) {
      r.idatBytes += len;
      r.idat.push(p);
    } else if (type === T_IHDR) {
      if (p !== 8) return "corrupt PNG: more than one IHDR chunk";
    } else if (type === T_PLTE) r.plte = p;
    else if (type === T_TRNS) {
      // libpng uses the first tRNS only, and only after PLTE for palette images
      if (r.trns < 0 && !(colorType === 3 && r.plte < 0)) r.trns = p;
    } else if (type === T_IEND) {
      r.iend = true;
      break;
    }
    p += 12 + len;
  }
  return r;
}

/**
 * A palette image's colours as 256 RGB triples (768 bytes) with the tRNS alpha blended in as dlib does;
 * indices past the palette stay black. Returns the reason as an error message when PLTE is missing or invalid.
 */
export function pngPalette(bytes: Uint8Array, c: PngChunks): Uint8Array | string {
  if (c.plte < 0) return "corrupt PNG: palette image without PLTE";
  const plen = u32(bytes, c.plte);
  if (plen === 0 || plen % 3 !== 0 || plen > 768) return `corrupt PNG: invalid PLTE length ${plen}`;
  const n = plen / 3;
  let alpha: Uint8Array | null = null;
  if (c.trns >= 0) {
    const tlen = u32(bytes, c.trns);
    if (tlen > 0 && tlen <= n) alpha = bytes.subarray(c.trns + 8, c.trns + 8 + tlen);
  }
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < n; i++) {
    const a = alpha && i < alpha.length ? alpha[i]! : 255;
    for (let k = 0; k < 3; k++) pal[i * 3 + k] = blend(bytes[c.plte + 8 + i * 3 + k]!, a);
  }
  return pal;
}

/** An RGB image's tRNS colour key (16-bit samples r, g, b), or null. */
export function rgbColorKey(bytes: Uint8Array, colorType: number, c: PngChunks): [number, number, number] | null {
  if (colorType !== 2 || c.trns < 0 || u32(bytes, c.trns) !== 6) return null;
  const t = c.trns + 8;
  return [(bytes[t]! << 8) | bytes[t + 1]!, (bytes[t + 2]! << 8) | bytes[t + 3]!, (bytes[t + 4]! << 8) | bytes[t + 5]!];
}
