/**
 * JPEG decoder that reproduces, value for value, what dlib 19.24's `load_image` gives through libjpeg-turbo 2.1.5
 * with libjpeg's default decompression parameters:
 *  - Huffman-coded baseline / extended sequential (SOF0, SOF1) and progressive (SOF2) 8-bit JPEGs, interleaved and
 *    non-interleaved scans, restart intervals;
 *  - dequantisation + the integer "islow" inverse DCT (Loeffler–Ligtenberg–Moschytz, 13-bit constants, 2 extra
 *    bits kept between the two passes), with libjpeg's wrap-around post-IDCT range limiting;
 *  - "fancy" chroma upsampling (triangular filters for 2:1 horizontal, 2:1 vertical and 2:1×2:1; pixel replication
 *    for every other integer ratio and for chroma planes at most 2 samples wide, as libjpeg does);
 *  - libjpeg's 16-bit fixed-point YCbCr → RGB conversion; greyscale replicated to R = G = B (dlib's assign_pixel);
 *    3-component Adobe-transform-0 / 'R','G','B'-id images copied as RGB.
 *
 * Not supported (each an ImageDecodeError): arithmetic coding, lossless / hierarchical / 12-bit JPEGs, 4-component
 * (CMYK / YCCK) images (dlib's result for those depends on uninitialised memory), progressive files whose scans leave
 * low-frequency coefficients incomplete (libjpeg would apply its block-smoothing filter), more than 500 scans, and
 * truncated or damaged entropy-coded data: data ending early, invalid Huffman codes, missing or misnumbered restart
 * markers (libjpeg only warns there, substitutes zeros or resynchronises, and dlib returns that image; we refuse).
 * A file cut off only at its final EOI marker is accepted, as libjpeg accepts it.
 */
import { ImageDecodeError } from "../errors.js";
import type { RgbImage } from "./types.js";

export interface JpegDecodeOptions {
  /** Name used in error messages. */
  file?: string;
  /** Largest accepted width*height (checked before any pixel buffer is allocated). Default 64 Mi pixels. */
  maxPixels?: number;
}

/** Header facts of a JPEG, read without decoding the entropy-coded data. */
export interface JpegInfo {
  width: number;
  height: number;
  /** Number of colour components in the frame (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK). */
  components: number;
  progressive: boolean;
  /** Sampling factors [h, v] per component, in frame order. */
  sampling: Array<[number, number]>;
}

export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** Most scans accepted in one file (progressive encoders use about 10); a guard against files built to spin. */
const MAX_SCANS = 500;

// Zig-zag position -> natural (row-major) position; 16 extra entries absorb run-length overshoot like libjpeg.
const NATURAL = new Int32Array(80);
{
  const zz = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
    54, 47, 55, 62, 63,
  ];
  for (let i = 0; i < 80; i++) NATURAL[i] = i < 64 ? zz[i]! : 63;
}

// Post-IDCT range limiting: index = (value & 1023), value centred on 0; yields clamp(value + 128) for |value| < 384
// and libjpeg's wrap-around beyond.
const IDCT_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) {
  IDCT_LIMIT[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;
}

// Colour-conversion clamp: CLAMP[v + 256] = min(max(v, 0), 255) for v in [-256, 511].
const CLAMP = new Uint8Array(768);
for (let i = 0; i < 768; i++) CLAMP[i] = i < 256 ? 0 : i < 512 ? i - 256 : 255;

// libjpeg's YCbCr->RGB tables (SCALEBITS = 16, FIX(x) = round(x * 2^16)).
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
{
  const fix = (x: number) => Math.floor(x * 65536 + 0.5);
  const half = 1 << 15;
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    CR_R[i] = (fix(1.402) * x + half) >> 16;
    CB_B[i] = (fix(1.772) * x + half) >> 16;
    CR_G[i] = -fix(0.71414) * x;
    CB_G[i] = -fix(0.34414) * x + half;
  }
}

// islow IDCT constants (CONST_BITS = 13).
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

interface HuffTable {
  /** 9-bit lookahead: (codeLength << 8) | symbol, or 0 when the code is longer than 9 bits. */
  lut: Uint16Array;
  /** Largest code of each length (1..16), -1 if none; index 17 is a sentinel. */
  maxcode: Int32Array;
  /** symbol index offset per length: symbols[valoff[l] + code]. */
  valoff: Int32Array;
  symbols: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Quantisation table latched at the first scan containing this component (natural order). */
  quant: Int32Array | null;
  /** Blocks per line / column of the coefficient buffer (padded to whole MCUs). */
  bpl: number;
  bpc: number;
  /** Blocks actually covering the component (ceil(downsampled size / 8)). */
  wBlocks: number;
  hBlocks: number;
  /** downsampled_width / downsampled_height as libjpeg defines them. */
  dw: number;
  dh: number;
  /** Coefficients (natural order): the whole image, or one MCU row in streaming mode; allocated at first scan. */
  coefs: Int16Array;
  /** Sample plane (width bpl*8, hBlocks*8 rows), filled as MCU rows finish in streaming mode; else null. */
  plane: Uint8Array | null;
  /** libjpeg's coef_bits for the first 10 zig-zag coefficients (progressive only); -1 = never received. */
  coefBits: Int32Array;
  dcPred: number;
}

const LIMIT_HUFF = 9;

function fail(file: string, msg: string): never {
  throw new ImageDecodeError(msg, file);
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array, file: string): HuffTable {
  const lut = new Uint16Array(1 << LIMIT_HUFF);
  const maxcode = new Int32Array(18).fill(-1);
  const valoff = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valoff[len] = k - code;
    if (n > 0) {
      for (let i = 0; i < n; i++) {
        if (len <= LIMIT_HUFF) {
          const shift = LIMIT_HUFF - len;
          const base = code << shift;
          const entry = (len << 8) | symbols[k]!;
          for (let j = 0; j < 1 << shift; j++) lut[base + j] = entry;
        }
        code++;
        k++;
      }
      maxcode[len] = code - 1;
    }
    if (code > 1 << len) fail(file, "bogus Huffman table definition");
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { lut, maxcode, valoff, symbols };
}

/** Entropy-coded-segment bit reader: handles 0xFF00 stuffing; at a marker or the end of data it supplies zero bits. */
class BitReader {
  data: Uint8Array;
  pos: number;
  buf = 0;
  cnt = 0;
  /** Zero bits supplied after a marker / end of data; consuming them means the data were short. */
  pad = 0;
  file: string;
  constructor(data: Uint8Array, pos: number, file: string) {
    this.data = data;
    this.pos = pos;
    this.file = file;
  }
  fill(): void {
    const d = this.data;
    while (this.cnt <= 23) {
      let b = 0;
      if (this.pad === 0 && this.pos < d.length) {
        b = d[this.pos]!;
        if (b === 0xff) {
          const nx = this.pos + 1 < d.length ? d[this.pos + 1]! : -1;
          if (nx === 0) {
            this.pos += 2;
          } else {
            b = 0;
            this.pad += 8;
          }
        } else {
          this.pos++;
        }
      } else {
        this.pad += 8;
      }
      this.buf = (this.buf << 8) | b;
      this.cnt += 8;
    }
  }
  /** Read n (0..16) bits as an unsigned number. */
  bits(n: number): number {
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }
  bit(): number {
    if (this.cnt < 1) this.fill();
    this.cnt--;
    return (this.buf >>> this.cnt) & 1;
  }
  decode(t: HuffTable): number {
    if (this.cnt < 16) this.fill();
    const e = t.lut[(this.buf >>> (this.cnt - LIMIT_HUFF)) & ((1 << LIMIT_HUFF) - 1)]!;
    if (e !== 0) {
      this.cnt -= e >> 8;
      return e & 0xff;
    }
    let len = LIMIT_HUFF + 1;
    let code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
    while (len <= 16 && code > t.maxcode[len]!) {
      len++;
      code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
    }
    if (len > 16) fail(this.file, "corrupt JPEG data: bad Huffman code");
    this.cnt -= len;
    return t.symbols[t.valoff[len]! + code]!;
  }
  /** Value of an s-bit magnitude category (JPEG's EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }
  /** True if bits beyond the available entropy data have been consumed. */
  overran(): boolean {
    return this.pad > this.cnt;
  }
  /** Forget buffered bits (end of scan or restart interval). */
  reset(): void {
    this.buf = 0;
    this.cnt = 0;
    this.pad = 0;
  }
}

function u16(d: Uint8Array, p: number): number {
  return (d[p]! << 8) | d[p + 1]!;
}

/** Reads header facts (size, components, progressive) without decoding; throws ImageDecodeError on malformed headers. */
export function jpegInfo(bytes: Uint8Array, file = "<bytes>"): JpegInfo {
  const d = bytes;
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) fail(file, "not a JPEG file (no SOI marker)");
  let p = 2;
  for (;;) {
    while (p < d.length && d[p] !== 0xff) p++;
    while (p < d.length && d[p] === 0xff) p++;
    if (p >= d.length) fail(file, "truncated JPEG: no frame header (SOF) found");
    const m = d[p++]!;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m === 0xd9) fail(file, "JPEG has no frame header (SOF) before EOI");
    if (p + 2 > d.length) fail(file, "truncated JPEG marker segment");
    const len = u16(d, p);
    if (len < 2 || p + len > d.length) fail(file, `truncated JPEG marker segment 0x${m.toString(16)}`);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (len < 8) fail(file, "bad JPEG frame header length");
      const nc = d[p + 7]!;
      if (len !== 8 + 3 * nc) fail(file, "bad JPEG frame header length");
      const sampling: Array<[number, number]> = [];
      for (let i = 0; i < nc; i++) {
        const hv = d[p + 9 + 3 * i]!;
        sampling.push([hv >> 4, hv & 15]);
      }
      return { width: u16(d, p + 5), height: u16(d, p + 3), components: nc, progressive: m === 0xc2, sampling };
    }
    p += len;
  }
}

/**
 * Decodes a JPEG into 8-bit RGB exactly as dlib's `load_image(array2d<rgb_pixel>&, file)` does with libjpeg-turbo
 * 2.1.5 defaults (islow IDCT, fancy upsampling). Requires a complete, undamaged Huffman-coded 8-bit JPEG with 1 or 3
 * components; throws ImageDecodeError (naming `opts.file`) for anything else, before allocating pixels when the
 * declared size exceeds `opts.maxPixels`.
 */
export function decodeJpeg(bytes: Uint8Array, opts: JpegDecodeOptions = {}): RgbImage {
  const file = opts.file ?? "<bytes>";
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const d = bytes;
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) fail(file, "not a JPEG file (no SOI marker)");

  const qt: Array<Int32Array | null> = [null, null, null, null];
  const dcTabs: Array<HuffTable | null> = [null, null, null, null];
  const acTabs: Array<HuffTable | null> = [null, null, null, null];
  let restartInterval = 0;
  let sawJfif = false;
  let sawAdobe = false;
  let adobeTransform = 0;
  let frame: {
    width: number;
    height: number;
    progressive: boolean;
    comps: Component[];
    maxH: number;
    maxV: number;
    mcusX: number;
    mcusY: number;
  } | null = null;
  let scans = 0;
  let singleScanDone = false;
  let sawEoi = false;

  let p = 2;
  while (p < d.length) {
    // Find the next marker (libjpeg skips garbage before a marker with a warning).
    if (d[p] !== 0xff) {
      p++;
      continue;
    }
    while (p < d.length && d[p] === 0xff) p++;
    if (p >= d.length) break;
    const m = d[p++]!;
    if (m === 0x00 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m === 0xd8) fail(file, "corrupt JPEG: second SOI marker");
    if (m === 0xd9) {
      sawEoi = true;
      break;
    }
    if (p + 2 > d.length) fail(file, `truncated JPEG: marker 0x${m.toString(16)} cut off`);
    const len = u16(d, p);
    if (len < 2) fail(file, `corrupt JPEG: bad length of marker 0x${m.toString(16)}`);
    if (p + len > d.length) fail(file, `truncated JPEG: marker 0x${m.toString(16)} segment cut off`);
    const s = p + 2;
    const e = p + len;
    switch (m) {
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) fail(file, "corrupt JPEG: more than one frame header");
        if (len < 8) fail(file, "corrupt JPEG: bad frame header length");
        const precision = d[s]!;
        if (precision !== 8) fail(file, `unsupported JPEG data precision ${precision}`);
        const height = u16(d, s + 1);
        const width = u16(d, s + 3);
        const nc = d[s + 5]!;
        if (len !== 8 + 3 * nc) fail(file, "corrupt JPEG: bad frame header length");
        if (width === 0 || height === 0) fail(file, `JPEG has an empty image (${width}x${height}; DNL not supported)`);
        if (nc === 0) fail(file, "JPEG frame has no components");
        if (nc === 4) fail(file, "unsupported JPEG: 4-component (CMYK/YCCK) image");
        if (nc !== 1 && nc !== 3) fail(file, `unsupported JPEG: ${nc} colour components`);
        if (width * height > maxPixels)
          fail(file, `JPEG is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`);
        const comps: Component[] = [];
        let maxH = 1;
        let maxV = 1;
        for (let i = 0; i < nc; i++) {
          const hv = d[s + 7 + 3 * i]!;
          const h = hv >> 4;
          const v = hv & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) fail(file, `corrupt JPEG: bad sampling factors ${h}x${v}`);
          const tq = d[s + 8 + 3 * i]!;
          if (tq > 3) fail(file, `corrupt JPEG: bad quantisation table index ${tq}`);
          maxH = Math.max(maxH, h);
          maxV = Math.max(maxV, v);
          comps.push({
            id: d[s + 6 + 3 * i]!, h, v, tq, quant: null, bpl: 0, bpc: 0, wBlocks: 0, hBlocks: 0, dw: 0, dh: 0,
            coefs: new Int16Array(0), plane: null, coefBits: new Int32Array(10).fill(-1), dcPred: 0,
          });
        }
        const mcusX = Math.ceil(width / (8 * maxH));
        const mcusY = Math.ceil(height / (8 * maxV));
        let totalBlocks = 0;
        for (const c of comps) totalBlocks += Math.ceil(Math.ceil((width * c.h) / maxH) / 8) * Math.ceil(Math.ceil((height * c.v) / maxV) / 8);
        // Every block's DC coefficient takes at least one bit: refuse files far too small for the declared size.
        if ((d.length - e) * 8 < totalBlocks)
          fail(file, `truncated JPEG: ${d.length - e} bytes after the frame header cannot hold a ${width}x${height} image`);
        for (const c of comps) {
          c.dw = Math.ceil((width * c.h) / maxH);
          c.dh = Math.ceil((height * c.v) / maxV);
          c.wBlocks = Math.ceil(c.dw / 8);
          c.hBlocks = Math.ceil(c.dh / 8);
          c.bpl = mcusX * c.h;
          c.bpc = mcusY * c.v;
        }
        frame = { width, height, progressive: m === 0xc2, comps, maxH, maxV, mcusX, mcusY };
        break;
      }
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf: {
        const kind = m === 0xc3 || m === 0xc7 || m === 0xcb || m === 0xcf ? "lossless" : m >= 0xc9 ? "arithmetic-coded" : "hierarchical";
        fail(file, `unsupported JPEG process (SOF${m - 0xc0}, ${kind})`);
      }
      // falls through (unreachable)
      case 0xc4: {
        let q = s;
        while (q < e) {
          const tc = d[q]! >> 4;
          const th = d[q]! & 15;
          if (q + 17 > e) fail(file, "corrupt JPEG: bad DHT segment");
          const counts = d.subarray(q + 1, q + 17);
          let total = 0;
          for (let i = 0; i < 16; i++) total += counts[i]!;
          if (total > 256 || q + 17 + total > e) fail(file, "corrupt JPEG: bad DHT segment");
          if (tc > 1 || th > 3) fail(file, "corrupt JPEG: bad Huffman table index");
          const syms = new Uint8Array(256);
          syms.set(d.subarray(q + 17, q + 17 + total));
          const t = buildHuffman(counts, syms, file);
          (tc === 0 ? dcTabs : acTabs)[th] = t;
          q += 17 + total;
        }
        break;
      }
      case 0xcc:
        fail(file, "unsupported JPEG: arithmetic coding conditioning (DAC)");
      // falls through (unreachable)
      case 0xdb: {
        let q = s;
        while (q < e) {
          const pq = d[q]! >> 4;
          const tq = d[q]! & 15;
          if (tq > 3 || pq > 1) fail(file, "corrupt JPEG: bad DQT segment");
          const n = pq ? 129 : 65;
          if (q + n > e) fail(file, "corrupt JPEG: DQT segment too short");
          const t = new Int32Array(64);
          for (let i = 0; i < 64; i++) t[NATURAL[i]!] = pq ? u16(d, q + 1 + 2 * i) : d[q + 1 + i]!;
          qt[tq] = t;
          q += n;
        }
        break;
      }
      case 0xdd:
        if (len < 4) fail(file, "corrupt JPEG: bad DRI segment");
        restartInterval = u16(d, s);
        break;
      case 0xe0:
        if (len >= 16 && d[s] === 0x4a && d[s + 1] === 0x46 && d[s + 2] === 0x49 && d[s + 3] === 0x46 && d[s + 4] === 0)
          sawJfif = true;
        break;
      case 0xee:
        if (len >= 14 && d[s] === 0x41 && d[s + 1] === 0x64 && d[s + 2] === 0x6f && d[s + 3] === 0x62 && d[s + 4] === 0x65) {
          sawAdobe = true;
          adobeTransform = d[s + 11]!;
        }
        break;
      case 0xda: {
        if (!frame) fail(file, "corrupt JPEG: scan before frame header");
        // libjpeg treats a file whose first scan is sequential and holds every component as single-scan; a later
        // SOS is an error there ("expected EOI"), which dlib reports.
        if (singleScanDone) fail(file, "corrupt JPEG: another scan after a complete sequential scan (expected EOI)");
        // Each scan walks every block; bound the work a hostile file can demand.
        if (scans >= MAX_SCANS) fail(file, `unsupported JPEG: more than ${MAX_SCANS} scans`);
        const ns = d[s]!;
        if (ns < 1 || ns > 4 || len !== 6 + 2 * ns) fail(file, "corrupt JPEG: bad scan header");
        const scomps: Component[] = [];
        const dcT: HuffTable[] = [];
        const acT: HuffTable[] = [];
        for (let i = 0; i < ns; i++) {
          const cid = d[s + 1 + 2 * i]!;
          const c = frame.comps.find((x) => x.id === cid);
          if (!c || scomps.includes(c)) fail(file, `corrupt JPEG: scan names unknown component ${cid}`);
          scomps.push(c);
          const td = d[s + 2 + 2 * i]! >> 4;
          const ta = d[s + 2 + 2 * i]! & 15;
          if (td > 3 || ta > 3) fail(file, `corrupt JPEG: bad Huffman table index ${td}/${ta} in scan header`);
          dcT.push(dcTabs[td] as HuffTable);
          acT.push(acTabs[ta] as HuffTable);
          if (!c.quant) {
            const q = qt[c.tq];
            if (!q) fail(file, `corrupt JPEG: quantisation table ${c.tq} not defined`);
            c.quant = q.slice();
          }
        }
        const ss = d[s + 1 + 2 * ns]!;
        const se = d[s + 2 + 2 * ns]!;
        const ah = d[s + 3 + 2 * ns]! >> 4;
        const al = d[s + 3 + 2 * ns]! & 15;
        // For sequential files libjpeg only warns about odd Ss/Se/Ah/Al and ignores them; so do we.
        if (frame.progressive) {
          if (ss > se || se > 63 || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1) || al > 13 || (ah !== 0 && ah !== al + 1))
            fail(file, `corrupt JPEG: bad progressive scan parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`);
        }
        if (ns > 1) {
          let blocks = 0;
          for (const c of scomps) blocks += c.h * c.v;
          if (blocks > 10) fail(file, "corrupt JPEG: sampling factors too large for interleaved scan");
        }
        // Check that the Huffman tables the scan needs exist.
        for (let i = 0; i < ns; i++) {
          const needDc = !frame.progressive || (ss === 0 && ah === 0);
          const needAc = !frame.progressive || ss > 0;
          if (needDc && !dcT[i]) fail(file, "corrupt JPEG: scan uses an undefined DC Huffman table");
          if (needAc && !acT[i]) fail(file, "corrupt JPEG: scan uses an undefined AC Huffman table");
        }
        if (frame.progressive) {
          for (const c of scomps) {
            // libjpeg only warns about inconsistent successive approximation; it just records the new Al.
            for (let k = ss; k <= Math.min(se, 9); k++) c.coefBits[k] = al;
          }
        }
        // A sequential scan holding every component is the only scan: decode it MCU row by MCU row, running the
        // IDCT as each row completes, so only one row of coefficients is ever stored.
        const streaming = !frame.progressive && ns === frame.comps.length && scans === 0;
        for (const c of scomps) {
          if (streaming) {
            c.coefs = new Int16Array(c.bpl * c.v * 64);
            c.plane = new Uint8Array(c.bpl * 8 * c.hBlocks * 8);
          } else if (c.coefs.length === 0) {
            c.coefs = new Int16Array(c.bpl * c.bpc * 64);
          }
        }
        p = decodeScan(d, e, frame, scomps, dcT, acT, ss, se, ah, al, restartInterval, file, streaming);
        scans++;
        singleScanDone = streaming;
        continue;
      }
      default:
        break;
    }
    p = e;
  }
  if (!frame) fail(file, "truncated or invalid JPEG: no frame header");
  if (scans === 0) fail(file, "truncated JPEG: no image data (no scan)");
  void sawEoi; // a missing EOI after complete scan data is accepted, as libjpeg does (with a warning)
  if (frame.progressive) {
    for (const c of frame.comps) {
      for (let k = 0; k < 10; k++) {
        if (k === 0 ? c.coefBits[0]! < 0 : c.coefBits[k] !== 0)
          fail(file, "unsupported JPEG: incomplete progressive scans (libjpeg would smooth blocks)");
      }
    }
  }
  return reconstruct(frame, sawJfif, sawAdobe, adobeTransform, file);
}

/** Decode the entropy-coded segment of one scan; returns the position of the marker that ends it. */
function decodeScan(
  d: Uint8Array,
  start: number,
  frame: { progressive: boolean; mcusX: number; mcusY: number; comps: Component[] },
  scomps: Component[],
  dcT: HuffTable[],
  acT: HuffTable[],
  ss: number,
  se: number,
  ah: number,
  al: number,
  restartInterval: number,
  file: string,
  streaming: boolean,
): number {
  const r = new BitReader(d, start, file);
  const ws = new Int32Array(64);
  for (const c of scomps) c.dcPred = 0;
  let eobrun = 0;
  const progressive = frame.progressive;
  const single = scomps.length === 1;
  const c0 = scomps[0]!;
  const mcusX = single ? c0.wBlocks : frame.mcusX;
  const mcusY = single ? c0.hBlocks : frame.mcusY;
  const total = mcusX * mcusY;

  // Per-block decoder for this scan's kind.
  type BlockFn = (c: Component, off: number, ci: number) => void;
  let decodeBlock: BlockFn;
  if (!progressive) {
    decodeBlock = (c, off, ci) => {
      const co = c.coefs;
      const t = r.decode(dcT[ci]!);
      if (t > 16) fail(file, "corrupt JPEG: bad DC coefficient size");
      c.dcPred += r.receiveExtend(t);
      co[off] = c.dcPred;
      const ac = acT[ci]!;
      for (let k = 1; k < 64; k++) {
        const rs = r.decode(ac);
        const sz = rs & 15;
        const run = rs >> 4;
        if (sz) {
          k += run;
          co[off + NATURAL[k]!] = r.receiveExtend(sz);
        } else {
          if (run !== 15) break;
          k += 15;
        }
      }
    };
  } else if (ss === 0) {
    if (ah === 0) {
      decodeBlock = (c, off, ci) => {
        const t = r.decode(dcT[ci]!);
        if (t > 16) fail(file, "corrupt JPEG: bad DC coefficient size");
        c.dcPred += r.receiveExtend(t);
        c.coefs[off] = c.dcPred * (1 << al);
      };
    } else {
      decodeBlock = (c, off) => {
        if (r.bit()) c.coefs[off] |= 1 << al;
      };
    }
  } else if (ah === 0) {
    decodeBlock = (c, off, ci) => {
      if (eobrun > 0) {
        eobrun--;
        return;
      }
      const co = c.coefs;
      const ac = acT[ci]!;
      for (let k = ss; k <= se; k++) {
        const rs = r.decode(ac);
        const sz = rs & 15;
        const run = rs >> 4;
        if (sz) {
          k += run;
          co[off + NATURAL[k]!] = r.receiveExtend(sz) * (1 << al);
        } else if (run === 15) {
          k += 15;
        } else {
          eobrun = 1 << run;
          if (run) eobrun += r.bits(run);
          eobrun--;
          break;
        }
      }
    };
  } else {
    const p1 = 1 << al;
    const m1 = -1 << al;
    decodeBlock = (c, off, ci) => {
      const co = c.coefs;
      const ac = acT[ci]!;
      let k = ss;
      if (eobrun === 0) {
        for (; k <= se; k++) {
          const rs = r.decode(ac);
          let sz = rs & 15;
          let run = rs >> 4;
          if (sz) {
            // sz should be 1 (libjpeg warns otherwise and treats it as 1).
            sz = r.bit() ? p1 : m1;
          } else if (run !== 15) {
            eobrun = 1 << run;
            if (run) eobrun += r.bits(run);
            break;
          }
          do {
            const pos = off + NATURAL[k]!;
            const v = co[pos]!;
            if (v !== 0) {
              if (r.bit()) {
                if ((v & p1) === 0) co[pos] = v >= 0 ? v + p1 : v + m1;
              }
            } else {
              if (--run < 0) break;
            }
            k++;
          } while (k <= se);
          if (sz) co[off + NATURAL[k]!] = sz;
        }
      }
      if (eobrun > 0) {
        for (; k <= se; k++) {
          const pos = off + NATURAL[k]!;
          const v = co[pos]!;
          if (v !== 0) {
            if (r.bit()) {
              if ((v & p1) === 0) co[pos] = v >= 0 ? v + p1 : v + m1;
            }
          }
        }
        eobrun--;
      }
    };
  }

  let mcu = 0;
  let nextRst = 0;
  while (mcu < total) {
    const end = restartInterval > 0 ? Math.min(total, mcu + restartInterval) : total;
    for (; mcu < end; mcu++) {
      const my = (mcu / mcusX) | 0;
      const mx = mcu - my * mcusX;
      if (single) {
        decodeBlock(c0, ((streaming ? 0 : my) * c0.bpl + mx) * 64, 0);
      } else {
        for (let ci = 0; ci < scomps.length; ci++) {
          const c = scomps[ci]!;
          for (let v = 0; v < c.v; v++) {
            const row = ((streaming ? 0 : my * c.v) + v) * c.bpl + mx * c.h;
            for (let h = 0; h < c.h; h++) decodeBlock(c, (row + h) * 64, ci);
          }
        }
      }
      if (mx === mcusX - 1) {
        if (r.overran()) fail(file, "truncated or corrupt JPEG: entropy-coded data ended early");
        if (streaming) {
          for (const c of scomps) {
            const rows = single ? 1 : c.v;
            idctRows(c, c.plane!, my * rows, rows, ws);
            c.coefs.fill(0);
          }
        }
      }
    }
    if (r.overran()) fail(file, "truncated or corrupt JPEG: entropy-coded data ended early");
    if (mcu < total) {
      // Expect RSTn at the reader's position (after discarding the partial byte).
      let q = r.pos;
      while (q < d.length && d[q] !== 0xff) q++; // libjpeg would warn about extraneous bytes
      while (q + 1 < d.length && d[q + 1] === 0xff) q++;
      if (q + 1 >= d.length) fail(file, "truncated JPEG: missing restart marker");
      const mk = d[q + 1]!;
      if (mk !== 0xd0 + nextRst) fail(file, `corrupt JPEG: expected RST${nextRst}, found marker 0x${mk.toString(16)}`);
      nextRst = (nextRst + 1) & 7;
      r.pos = q + 2;
      r.reset();
      eobrun = 0;
      for (const c of scomps) c.dcPred = 0;
    }
  }
  // Find the marker ending the scan.
  let q = r.pos;
  for (;;) {
    while (q < d.length && d[q] !== 0xff) q++;
    if (q + 1 >= d.length) return d.length;
    const nx = d[q + 1]!;
    if (nx === 0 || nx === 0xff || (nx >= 0xd0 && nx <= 0xd7)) {
      q++;
      continue;
    }
    return q;
  }
}

/** Inverse DCT of every block of a component into an 8-bit plane of width bpl*8 (only blocks covering the image). */
function idctComponent(c: Component): Uint8Array {
  if (c.plane) return c.plane; // already done row by row (streaming mode)
  const plane = new Uint8Array(c.bpl * 8 * c.hBlocks * 8);
  idctRows(c, plane, 0, c.hBlocks, new Int32Array(64));
  return plane;
}

/**
 * IDCT of block rows [by0, by0 + n) (clipped to the component's hBlocks) into `plane`. In streaming mode `c.coefs`
 * holds just those rows (starting at its row 0); otherwise the whole image.
 */
function idctRows(c: Component, plane: Uint8Array, by0: number, n: number, ws: Int32Array): void {
  const stride = c.bpl * 8;
  const q = c.quant!;
  const co = c.coefs;
  const q0 = q[0]!;
  const base = co.length === c.bpl * c.bpc * 64 ? 0 : by0;
  const end = Math.min(by0 + n, c.hBlocks);
  for (let by = by0; by < end; by++) {
    for (let bx = 0; bx < c.wBlocks; bx++) {
      const off = ((by - base) * c.bpl + bx) * 64;
      let k = 1;
      while (k < 64 && co[off + k] === 0) k++;
      const o = by * 8 * stride + bx * 8;
      if (k === 64) {
        // Only a DC term: both passes reduce to one constant (same arithmetic as the full transform).
        const v = IDCT_LIMIT[((co[off]! * q0 * 4 + 16) >> 5) & 1023]!;
        for (let r = 0, i = o; r < 8; r++, i += stride) plane.fill(v, i, i + 8);
      } else {
        idctBlock(co, off, q, ws, plane, o, stride);
      }
    }
  }
}

function idctBlock(
  co: Int16Array,
  off: number,
  q: Int32Array,
  ws: Int32Array,
  out: Uint8Array,
  outOff: number,
  stride: number,
): void {
  // Pass 1: columns, results scaled up by 2^2 (PASS1_BITS).
  for (let col = 0; col < 8; col++) {
    const i = off + col;
    const c1 = co[i + 8]!, c2 = co[i + 16]!, c3 = co[i + 24]!, c4 = co[i + 32]!;
    const c5 = co[i + 40]!, c6 = co[i + 48]!, c7 = co[i + 56]!;
    if ((c1 | c2 | c3 | c4 | c5 | c6 | c7) === 0) {
      const dc = co[i]! * q[col]! * 4;
      ws[col] = dc; ws[col + 8] = dc; ws[col + 16] = dc; ws[col + 24] = dc;
      ws[col + 32] = dc; ws[col + 40] = dc; ws[col + 48] = dc; ws[col + 56] = dc;
      continue;
    }
    let z2 = c2 * q[col + 16]!;
    let z3 = c6 * q[col + 48]!;
    let z1 = (z2 + z3) * F_0_541;
    let tmp2 = z1 - z3 * F_1_847;
    let tmp3 = z1 + z2 * F_0_765;
    z2 = co[i]! * q[col]!;
    z3 = c4 * q[col + 32]!;
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = c7 * q[col + 56]!;
    tmp1 = c5 * q[col + 40]!;
    tmp2 = c3 * q[col + 24]!;
    tmp3 = c1 * q[col + 8]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175;
    tmp0 *= F_0_298;
    tmp1 *= F_2_053;
    tmp2 *= F_3_072;
    tmp3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    ws[col] = (tmp10 + tmp3 + 1024) >> 11;
    ws[col + 56] = (tmp10 - tmp3 + 1024) >> 11;
    ws[col + 8] = (tmp11 + tmp2 + 1024) >> 11;
    ws[col + 48] = (tmp11 - tmp2 + 1024) >> 11;
    ws[col + 16] = (tmp12 + tmp1 + 1024) >> 11;
    ws[col + 40] = (tmp12 - tmp1 + 1024) >> 11;
    ws[col + 24] = (tmp13 + tmp0 + 1024) >> 11;
    ws[col + 32] = (tmp13 - tmp0 + 1024) >> 11;
  }
  // Pass 2: rows, descale by 2^(13+2+3) and range-limit.
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = outOff + row * stride;
    const w1 = ws[w + 1]!, w2 = ws[w + 2]!, w3 = ws[w + 3]!, w4 = ws[w + 4]!;
    const w5 = ws[w + 5]!, w6 = ws[w + 6]!, w7 = ws[w + 7]!;
    if ((w1 | w2 | w3 | w4 | w5 | w6 | w7) === 0) {
      const v = IDCT_LIMIT[((ws[w]! + 16) >> 5) & 1023]!;
      out[o] = v; out[o + 1] = v; out[o + 2] = v; out[o + 3] = v;
      out[o + 4] = v; out[o + 5] = v; out[o + 6] = v; out[o + 7] = v;
      continue;
    }
    let z1 = (w2 + w6) * F_0_541;
    let tmp2 = z1 - w6 * F_1_847;
    let tmp3 = z1 + w2 * F_0_765;
    let tmp0 = (ws[w]! + w4) * 8192;
    let tmp1 = (ws[w]! - w4) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = w7;
    tmp1 = w5;
    tmp2 = w3;
    tmp3 = w1;
    z1 = tmp0 + tmp3;
    let z2 = tmp1 + tmp2;
    let z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175;
    tmp0 *= F_0_298;
    tmp1 *= F_2_053;
    tmp2 *= F_3_072;
    tmp3 *= F_1_501;
    z1 *= -F_0_899;
    z2 *= -F_2_562;
    z3 = z3 * -F_1_961 + z5;
    z4 = z4 * -F_0_390 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const R = 131072; // 1 << 17
    out[o] = IDCT_LIMIT[((tmp10 + tmp3 + R) >> 18) & 1023]!;
    out[o + 7] = IDCT_LIMIT[((tmp10 - tmp3 + R) >> 18) & 1023]!;
    out[o + 1] = IDCT_LIMIT[((tmp11 + tmp2 + R) >> 18) & 1023]!;
    out[o + 6] = IDCT_LIMIT[((tmp11 - tmp2 + R) >> 18) & 1023]!;
    out[o + 2] = IDCT_LIMIT[((tmp12 + tmp1 + R) >> 18) & 1023]!;
    out[o + 5] = IDCT_LIMIT[((tmp12 - tmp1 + R) >> 18) & 1023]!;
    out[o + 3] = IDCT_LIMIT[((tmp13 + tmp0 + R) >> 18) & 1023]!;
    out[o + 4] = IDCT_LIMIT[((tmp13 - tmp0 + R) >> 18) & 1023]!;
  }
}

/** How one component's samples reach full resolution (libjpeg's per-component upsampling method). */
const enum Up {
  Full,
  H2V1Fancy,
  H1V2Fancy,
  H2V2Fancy,
  Replicate,
}

interface RowSource {
  kind: Up;
  plane: Uint8Array;
  stride: number;
  dw: number;
  dh: number;
  hr: number;
  vr: number;
  /** Upsampled row buffer (unused for Up.Full). */
  out: Uint8Array;
  colsum: Int32Array;
}

function makeRowSource(c: Component, plane: Uint8Array, maxH: number, maxV: number, file: string): RowSource {
  const hr = maxH / c.h;
  const vr = maxV / c.v;
  if (!Number.isInteger(hr) || !Number.isInteger(vr))
    fail(file, `unsupported JPEG: fractional sampling ratio ${maxH}/${c.h} x ${maxV}/${c.v}`);
  let kind = Up.Replicate;
  if (hr === 1 && vr === 1) kind = Up.Full;
  else if (hr === 2 && vr === 1 && c.dw > 2) kind = Up.H2V1Fancy;
  else if (hr === 1 && vr === 2) kind = Up.H1V2Fancy;
  else if (hr === 2 && vr === 2 && c.dw > 2) kind = Up.H2V2Fancy;
  const full = kind === Up.Full;
  return {
    kind, plane, stride: c.bpl * 8, dw: c.dw, dh: c.dh, hr, vr,
    out: new Uint8Array(full ? 0 : c.dw * hr + 8),
    colsum: new Int32Array(kind === Up.H2V2Fancy ? c.dw : 0),
  };
}

/** Makes output row `y` of the component available; returns the offset of its first sample in `rowBuffer(s)`. */
function fillRow(s: RowSource, y: number): number {
  switch (s.kind) {
    case Up.Full:
      return y * s.stride;
    case Up.H2V1Fancy:
      h2v1Fancy(s.plane, y * s.stride, s.dw, s.out);
      return 0;
    case Up.H1V2Fancy: {
      const iy = y >> 1;
      const below = y & 1;
      const other = below ? Math.min(iy + 1, s.dh - 1) : Math.max(iy - 1, 0);
      h1v2Fancy(s.plane, iy * s.stride, other * s.stride, below ? 2 : 1, s.dw, s.out);
      return 0;
    }
    case Up.H2V2Fancy: {
      const iy = y >> 1;
      const other = y & 1 ? Math.min(iy + 1, s.dh - 1) : Math.max(iy - 1, 0);
      h2v2Fancy(s.plane, iy * s.stride, other * s.stride, s.dw, s.colsum, s.out);
      return 0;
    }
    default:
      replicateRow(s.plane, Math.floor(y / s.vr) * s.stride, s.dw, s.hr, s.out);
      return 0;
  }
}

function rowBuffer(s: RowSource): Uint8Array {
  return s.kind === Up.Full ? s.plane : s.out;
}

/** Triangular 3:1 horizontal interpolation (libjpeg h2v1 fancy); needs dw > 2. */
function h2v1Fancy(p: Uint8Array, i: number, dw: number, out: Uint8Array): void {
  let v = p[i]!;
  out[0] = v;
  out[1] = (v * 3 + p[i + 1]! + 2) >> 2;
  for (let x = 1; x < dw - 1; x++) {
    v = p[i + x]! * 3;
    out[2 * x] = (v + p[i + x - 1]! + 1) >> 2;
    out[2 * x + 1] = (v + p[i + x + 1]! + 2) >> 2;
  }
  const l = dw - 1;
  v = p[i + l]!;
  out[2 * l] = (v * 3 + p[i + l - 1]! + 1) >> 2;
  out[2 * l + 1] = v;
}

/** Triangular 3:1 vertical interpolation with the nearer row i0 and the other row i1 (libjpeg h1v2 fancy). */
function h1v2Fancy(p: Uint8Array, i0: number, i1: number, bias: number, dw: number, out: Uint8Array): void {
  for (let x = 0; x < dw; x++) out[x] = (p[i0 + x]! * 3 + p[i1 + x]! + bias) >> 2;
}

/** Triangular interpolation in both directions (libjpeg h2v2 fancy); needs dw > 2. */
function h2v2Fancy(p: Uint8Array, i0: number, i1: number, dw: number, colsum: Int32Array, out: Uint8Array): void {
  for (let x = 0; x < dw; x++) colsum[x] = p[i0 + x]! * 3 + p[i1 + x]!;
  let t = colsum[0]!;
  out[0] = (t * 4 + 8) >> 4;
  out[1] = (t * 3 + colsum[1]! + 7) >> 4;
  for (let x = 1; x < dw - 1; x++) {
    t = colsum[x]! * 3;
    out[2 * x] = (t + colsum[x - 1]! + 8) >> 4;
    out[2 * x + 1] = (t + colsum[x + 1]! + 7) >> 4;
  }
  const l = dw - 1;
  t = colsum[l]!;
  out[2 * l] = (t * 3 + colsum[l - 1]! + 8) >> 4;
  out[2 * l + 1] = (t * 4 + 7) >> 4;
}

/** Pixel replication by integer factors (libjpeg's box upsamplers / int_upsample). */
function replicateRow(p: Uint8Array, i: number, dw: number, hr: number, out: Uint8Array): void {
  for (let x = 0, o = 0; x < dw; x++) {
    const v = p[i + x]!;
    for (let k = 0; k < hr; k++) out[o++] = v;
  }
}

function reconstruct(
  frame: { width: number; height: number; comps: Component[]; maxH: number; maxV: number },
  sawJfif: boolean,
  sawAdobe: boolean,
  adobeTransform: number,
  file: string,
): RgbImage {
  const { width, height, comps, maxH, maxV } = frame;
  for (const c of comps) if (!c.quant) fail(file, `JPEG component ${c.id} never appears in a scan`);
  const planes = comps.map((c) => idctComponent(c));
  const rgb = new Uint8Array(width * height * 3);
  if (comps.length === 1) {
    const src = planes[0]!;
    const stride = comps[0]!.bpl * 8;
    for (let y = 0, o = 0; y < height; y++) {
      const i = y * stride;
      for (let x = 0; x < width; x++, o += 3) {
        const v = src[i + x]!;
        rgb[o] = v;
        rgb[o + 1] = v;
        rgb[o + 2] = v;
      }
    }
    return { width, height, data: rgb };
  }
  // Colour space as libjpeg's default_decompress_parms decides it.
  let isRgb = false;
  if (sawJfif) isRgb = false;
  else if (sawAdobe) isRgb = adobeTransform === 0;
  else isRgb = comps[0]!.id === 82 && comps[1]!.id === 71 && comps[2]!.id === 66;
  const s0 = makeRowSource(comps[0]!, planes[0]!, maxH, maxV, file);
  const s1 = makeRowSource(comps[1]!, planes[1]!, maxH, maxV, file);
  const s2 = makeRowSource(comps[2]!, planes[2]!, maxH, maxV, file);
  const b0 = rowBuffer(s0);
  const b1 = rowBuffer(s1);
  const b2 = rowBuffer(s2);
  // Fused fast paths for the usual YCbCr layouts (same arithmetic as the generic path, no intermediate rows).
  if (!isRgb && s0.kind === Up.Full && s1.kind === s2.kind && s1.dw === s2.dw && s1.dh === s2.dh &&
      s1.stride === s2.stride && (s1.kind === Up.H2V2Fancy || s1.kind === Up.H2V1Fancy)) {
    const cs1 = new Int32Array(s1.dw);
    const cs2 = new Int32Array(s1.dw);
    for (let y = 0; y < height; y++) {
      let r0: number;
      let r1: number;
      if (s1.kind === Up.H2V2Fancy) {
        const iy = y >> 1;
        r0 = iy * s1.stride;
        r1 = (y & 1 ? Math.min(iy + 1, s1.dh - 1) : Math.max(iy - 1, 0)) * s1.stride;
        colsums(s1.plane, s2.plane, r0, r1, s1.dw, cs1, cs2);
        yccH2Row(b0, y * s0.stride, cs1, cs2, s1.dw, rgb, y * width * 3, width, 8, 7, 4);
      } else {
        r0 = y * s1.stride;
        copyCols(s1.plane, s2.plane, r0, s1.dw, cs1, cs2);
        yccH2Row(b0, y * s0.stride, cs1, cs2, s1.dw, rgb, y * width * 3, width, 1, 2, 2);
      }
    }
    return { width, height, data: rgb };
  }
  for (let y = 0; y < height; y++) {
    const i0 = fillRow(s0, y);
    const i1 = fillRow(s1, y);
    const i2 = fillRow(s2, y);
    if (isRgb) copyRgbRow(b0, i0, b1, i1, b2, i2, rgb, y * width * 3, width);
    else yccRgbRow(b0, i0, b1, i1, b2, i2, rgb, y * width * 3, width);
  }
  return { width, height, data: rgb };
}

/** libjpeg's ycc_rgb_convert for one row of `n` pixels. */
function yccRgbRow(
  y: Uint8Array, iy: number, cbp: Uint8Array, icb: number, crp: Uint8Array, icr: number,
  out: Uint8Array, o: number, n: number,
): void {
  for (let x = 0; x < n; x++, o += 3) {
    const yy = y[iy + x]! + 256;
    const cb = cbp[icb + x]!;
    const cr = crp[icr + x]!;
    out[o] = CLAMP[yy + CR_R[cr]!]!;
    out[o + 1] = CLAMP[yy + ((CB_G[cb]! + CR_G[cr]!) >> 16)]!;
    out[o + 2] = CLAMP[yy + CB_B[cb]!]!;
  }
}

function copyRgbRow(
  r: Uint8Array, ir: number, g: Uint8Array, ig: number, b: Uint8Array, ib: number,
  out: Uint8Array, o: number, n: number,
): void {
  for (let x = 0; x < n; x++, o += 3) {
    out[o] = r[ir + x]!;
    out[o + 1] = g[ig + x]!;
    out[o + 2] = b[ib + x]!;
  }
}

/** Vertical triangular sums 3*near + far of two chroma planes' rows (first stage of libjpeg's h2v2 fancy). */
function colsums(p1: Uint8Array, p2: Uint8Array, i0: number, i1: number, n: number, c1: Int32Array, c2: Int32Array): void {
  for (let x = 0; x < n; x++) {
    c1[x] = p1[i0 + x]! * 3 + p1[i1 + x]!;
    c2[x] = p2[i0 + x]! * 3 + p2[i1 + x]!;
  }
}

function copyCols(p1: Uint8Array, p2: Uint8Array, i0: number, n: number, c1: Int32Array, c2: Int32Array): void {
  for (let x = 0; x < n; x++) {
    c1[x] = p1[i0 + x]!;
    c2[x] = p2[i0 + x]!;
  }
}

/**
 * Horizontal 2:1 triangular interpolation of (column-summed) chroma fused with YCbCr->RGB for one output row.
 * For h2v2: biasL 8, biasR 7, shift 4; for h2v1: biasL 1, biasR 2, shift 2 (libjpeg's roundings). Needs dw > 2.
 */
function yccH2Row(
  yp: Uint8Array, iy: number, c1: Int32Array, c2: Int32Array, dw: number,
  out: Uint8Array, o: number, width: number, biasL: number, biasR: number, shift: number,
): void {
  // Edge columns: the missing neighbour is the column itself.
  let t1 = c1[0]!;
  let t2 = c2[0]!;
  putYcc(out, o, yp[iy]!, (t1 * 4 + biasL) >> shift, (t2 * 4 + biasL) >> shift);
  putYcc(out, o + 3, yp[iy + 1]!, (t1 * 3 + c1[1]! + biasR) >> shift, (t2 * 3 + c2[1]! + biasR) >> shift);
  const last = dw - 1;
  for (let x = 1; x < last; x++) {
    t1 = c1[x]! * 3;
    t2 = c2[x]! * 3;
    const q = o + x * 6;
    const i = iy + 2 * x;
    putYcc(out, q, yp[i]!, (t1 + c1[x - 1]! + biasL) >> shift, (t2 + c2[x - 1]! + biasL) >> shift);
    putYcc(out, q + 3, yp[i + 1]!, (t1 + c1[x + 1]! + biasR) >> shift, (t2 + c2[x + 1]! + biasR) >> shift);
  }
  t1 = c1[last]!;
  t2 = c2[last]!;
  putYcc(out, o + last * 6, yp[iy + 2 * last]!, (t1 * 3 + c1[last - 1]! + biasL) >> shift, (t2 * 3 + c2[last - 1]! + biasL) >> shift);
  if (2 * last + 1 < width)
    putYcc(out, o + last * 6 + 3, yp[iy + 2 * last + 1]!, (t1 * 4 + biasR) >> shift, (t2 * 4 + biasR) >> shift);
}

/** One pixel of libjpeg's YCbCr->RGB. */
function putYcc(out: Uint8Array, q: number, y: number, cb: number, cr: number): void {
  const yy = y + 256;
  out[q] = CLAMP[yy + CR_R[cr]!]!;
  out[q + 1] = CLAMP[yy + ((CB_G[cb]! + CR_G[cr]!) >> 16)]!;
  out[q + 2] = CLAMP[yy + CB_B[cb]!]!;
}
