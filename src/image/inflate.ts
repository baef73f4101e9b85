/**
 * zlib (RFC 1950) / deflate (RFC 1951) decompression in one pass, with a hard output limit.
 *
 * `inflateZlib(z, limit)` inflates stored, fixed-Huffman and dynamic-Huffman blocks into one growing byte array
 * and stops the moment the output would pass `limit` bytes (a decompression bomb costs at most `limit` bytes of
 * memory and the time to produce them). Malformed streams are refused the way zlib refuses them: a bad header
 * or preset dictionary, an over-subscribed or incomplete code (zlib's one exception: a code with a single
 * 1-bit symbol, and a block without distance codes), a repeat with nothing to repeat, too many code lengths, a
 * missing end-of-block code, length/distance symbols 286/287/30/31, a distance further back than the output,
 * stored-block length mismatches, and input that ends before the final block does. Each is a DecompressError
 * naming the byte offset in `z`. The Adler-32 trailer is not verified (libpng does not fail an image on it).
 *
 * Huffman codes are decoded with two-level lookup tables (10-bit primary for literal/lengths, 8-bit for
 * distances, subtables for longer codes), kept in module-level Int32Arrays reused across calls; the hot loop
 * keeps the bit buffer in locals and calls nothing.
 */
import { DecompressError } from "../errors.js";

const LEN_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const CL_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

export { LEN_BASE, LEN_EXTRA, DIST_BASE, DIST_EXTRA, CL_ORDER };

/** What a caller gets back: the inflated bytes, and whether inflation stopped because the limit was passed. */
export interface Inflated {
  /** The bytes produced (a view of length = bytes produced; when `over`, only the first `limit` are meaningful). */
  data: Uint8Array;
  /** True when the stream would produce more than `limit` bytes; inflation stopped there. */
  over: boolean;
}

/** Stream error with its byte offset (internal: converted to DecompressError at the API boundary). */
class Bad extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

const countScratch = new Int32Array(16);
const nextScratch = new Int32Array(16);

const subMax = new Uint8Array(1 << 10);

/**
 * Fills `table` with the canonical Huffman code of `lengths[0..n)` as a two-level lookup over the code's bits
 * reversed (deflate sends codes MSB first into an LSB-first stream): a primary table of 2^pb entries, pb =
 * min(longest length, `root`), whose entries are `symbol << 4 | length`, 0 (no such code), or for longer codes a
 * link `-(offset << 4 | subBits)` to a subtable indexed by the next subBits bits (its entries carry the full
 * length). Returns pb (>= 1). Throws Bad for an over-subscribed code, or an incomplete one (zlib's exceptions: a
 * literal/length or distance code of one 1-bit code, and a distance code with no codes at all).
 */
function buildTable(lengths: Uint8Array, n: number, table: Int32Array, kind: "lit" | "dist" | "cl", at: number, root: number): number {
  const count = countScratch;
  count.fill(0);
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const l = lengths[i]!;
    count[l]!++;
    if (l > maxLen) maxLen = l;
  }
  const pb = maxLen === 0 ? 1 : maxLen < root ? maxLen : root;
  const psize = 1 << pb;
  table.fill(0, 0, psize);
  if (maxLen === 0) {
    if (kind === "dist") return pb; // no distance codes: only literal-only blocks can use this
    throw new Bad(`no ${kind === "lit" ? "literal/length" : "code-length"} codes`, at);
  }
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) throw new Bad(`over-subscribed ${kind} Huffman code`, at);
  }
  // zlib refuses incomplete codes, except a literal/length or distance code made of one 1-bit code
  if (left > 0 && (kind === "cl" || maxLen !== 1)) throw new Bad(`incomplete ${kind} Huffman code`, at);
  const next = nextScratch;
  next[0] = 0;
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  if (maxLen > pb) {
    // subtable sizes: the longest code under each primary prefix
    subMax.fill(0, 0, psize);
    const nx = subScratch;
    nx.set(next);
    for (let sym = 0; sym < n; sym++) {
      const len = lengths[sym]!;
      if (len <= pb) continue;
      const pre = reverse(nx[len]!++, len) & (psize - 1);
      if (len > subMax[pre]!) subMax[pre] = len;
    }
    let off = psize;
    for (let pre = 0; pre < psize; pre++) {
      const m = subMax[pre]!;
      if (!m) continue;
      const sb = m - pb;
      table[pre] = -((off << 4) | sb);
      table.fill(0, off, off + (1 << sb));
      off += 1 << sb;
    }
  }
  for (let sym = 0; sym < n; sym++) {
    const len = lengths[sym]!;
    if (!len) continue;
    const r = reverse(next[len]!++, len);
    const e = (sym << 4) | len;
    if (len <= pb) {
      for (let j = r; j < psize; j += 1 << len) table[j] = e;
    } else {
      const x = -table[r & (psize - 1)]!;
      const off = x >> 4;
      const size = 1 << (x & 15);
      for (let j = r >>> pb; j < size; j += 1 << (len - pb)) table[off + j] = e;
    }
  }
  return pb;
}

const subScratch = new Int32Array(16);

function reverse(code: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) r |= ((code >> i) & 1) << (len - 1 - i);
  return r;
}

/** Primary-table widths: literal/length and distance codes longer than these go through a subtable. */
const LIT_ROOT = 10;
const DIST_ROOT = 8;
/** Room for a primary table plus every subtable (2^15 bounds the subtables of any code of lengths <= 15). */
const TABLE_SIZE = (1 << 10) + (1 << 15);

let litTable: Int32Array | null = null;
let distTable: Int32Array | null = null;
let clTable: Int32Array | null = null;
let fixedLit: Int32Array | null = null;
let fixedDist: Int32Array | null = null;
const lensScratch = new Uint8Array(286 + 30);

function fixedTables(): void {
  if (fixedLit) return;
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  fixedLit = new Int32Array(1 << 9);
  buildTable(l, 288, fixedLit, "lit", 0, 9);
  fixedDist = new Int32Array(1 << 5);
  buildTable(new Uint8Array(32).fill(5), 32, fixedDist, "dist", 0, 5);
  for (let i = 0; i < 32; i++) if (fixedDist[i]! >> 4 >= 30) fixedDist[i] = 0; // symbols 30, 31: invalid
}

/**
 * Inflates the zlib stream `z` (2-byte header, deflate blocks; the 4-byte Adler-32 trailer may be absent or
 * wrong) into a new byte array. Requires `limit >= 0`; `capacity` is the expected output size (the first
 * allocation; the array grows, never past `limit`, when more comes). Guarantees: either returns all the bytes
 * of the stream up to its final block (`over` false), or stops as soon as the output would pass `limit`
 * (`over` true, nothing more is decoded); throws DecompressError (with `file` and the byte offset in `z`) for a
 * malformed or truncated stream.
 */
export function inflateZlib(z: Uint8Array, limit: number, capacity = 0, file = "<zlib>"): Inflated {
  try {
    return inflateRaw(z, limit, capacity);
  } catch (e) {
    if (e instanceof Bad) throw new DecompressError(`corrupt zlib stream: ${e.message}`, file, e.at);
    throw e;
  }
}

function inflateRaw(z: Uint8Array, limit: number, capacity: number): Inflated {
  const zl = z.length;
  if (zl < 2) throw new Bad("stream shorter than its 2-byte header", 0);
  const cmf = z[0]!;
  const flg = z[1]!;
  if ((cmf & 15) !== 8) throw new Bad(`compression method ${cmf & 15} is not deflate`, 0);
  if (cmf >> 4 > 7) throw new Bad(`window size 2^${(cmf >> 4) + 8} too large`, 0);
  if (((cmf << 8) | flg) % 31 !== 0) throw new Bad("header check bits wrong", 1);
  if (flg & 0x20) throw new Bad("preset dictionary required", 1);

  let cap = Math.max(0, Math.min(limit, capacity > 0 ? capacity : 1 << 16));
  let out = new Uint8Array(cap);
  let op = 0;
  let p = 2; // next input byte
  let b = 0; // bit buffer (LSB first)
  let c = 0; // bits in b
  let overrun = 0; // zero bytes fed past the end of the input (more than 4 means bits past the end were used)

  if (!litTable) {
    litTable = new Int32Array(TABLE_SIZE);
    distTable = new Int32Array(TABLE_SIZE);
    clTable = new Int32Array(1 << 7);
  }
  const lens = lensScratch;

  for (let final = 0; !final; ) {
    while (c < 3) {
      if (p < zl) b |= z[p++]! << c;
      else if (++overrun > 4) throw new Bad("truncated deflate data (no final block)", zl);
      c += 8;
    }
    final = b & 1;
    const type = (b >>> 1) & 3;
    b >>>= 3;
    c -= 3;

    if (type === 0) {
      // stored: drop to a byte boundary; whole buffered bytes are given back to the input
      const blockAt = p;
      const back = c >> 3;
      if (overrun > 0) throw new Bad("truncated stored block header", zl);
      p -= back;
      b = 0;
      c = 0;
      if (p + 4 > zl) throw new Bad("truncated stored block header", blockAt);
      const len = z[p]! | (z[p + 1]! << 8);
      const nlen = z[p + 2]! | (z[p + 3]! << 8);
      if ((len ^ 0xffff) !== nlen) throw new Bad("stored block length check failed", p);
      p += 4;
      if (p + len > zl) throw new Bad("truncated stored block", zl);
      if (op + len > cap) {
        if (op + len > limit) return { data: out.subarray(0, op), over: true };
        cap = grow(cap, op + len, limit);
        const o2 = new Uint8Array(cap);
        o2.set(out.subarray(0, op));
        out = o2;
      }
      out.set(z.subarray(p, p + len), op);
      op += len;
      p += len;
      continue;
    }
    if (type === 3) throw new Bad("invalid block type 3", p);

    let lt: Int32Array;
    let dt: Int32Array;
    let lb: number;
    let db0: number;
    if (type === 1) {
      fixedTables();
      lt = fixedLit!;
      dt = fixedDist!;
      lb = 9;
      db0 = 5;
    } else {
      while (c < 14) {
        if (p < zl) b |= z[p++]! << c;
        else if (++overrun > 4) throw new Bad("truncated dynamic block header", zl);
        c += 8;
      }
      const nlen = (b & 31) + 257;
      const ndist = ((b >>> 5) & 31) + 1;
      const ncode = ((b >>> 10) & 15) + 4;
      b >>>= 14;
      c -= 14;
      if (nlen > 286 || ndist > 30) throw new Bad(`too many length (${nlen}) or distance (${ndist}) symbols`, p);
      const cl = new Uint8Array(19);
      for (let i = 0; i < ncode; i++) {
        while (c < 3) {
          if (p < zl) b |= z[p++]! << c;
          else if (++overrun > 4) throw new Bad("truncated dynamic block header", zl);
          c += 8;
        }
        cl[CL_ORDER[i]!] = b & 7;
        b >>>= 3;
        c -= 3;
      }
      const ct = clTable!;
      const cbits = buildTable(cl, 19, ct, "cl", p, 7);
      const cmask = (1 << cbits) - 1;
      const total = nlen + ndist;
      for (let i = 0; i < total; ) {
        while (c < 14) {
          if (p < zl) b |= z[p++]! << c;
          else if (++overrun > 4) throw new Bad("truncated dynamic block header", zl);
          c += 8;
        }
        const e = ct[b & cmask]!;
        if (e === 0) throw new Bad("invalid code-length code", p);
        const l = e & 15;
        b >>>= l;
        c -= l;
        const sym = e >> 4;
        if (sym < 16) {
          lens[i++] = sym;
          continue;
        }
        let rep: number;
        let val = 0;
        if (sym === 16) {
          if (i === 0) throw new Bad("repeat of a length with no previous length", p);
          val = lens[i - 1]!;
          rep = 3 + (b & 3);
          b >>>= 2;
          c -= 2;
        } else if (sym === 17) {
          rep = 3 + (b & 7);
          b >>>= 3;
          c -= 3;
        } else {
          rep = 11 + (b & 127);
          b >>>= 7;
          c -= 7;
        }
        if (i + rep > total) throw new Bad("too many code lengths", p);
        while (rep-- > 0) lens[i++] = val;
      }
      if (lens[256] === 0) throw new Bad("no end-of-block code", p);
      lt = litTable!;
      dt = distTable!;
      lb = buildTable(lens, nlen, lt, "lit", p, LIT_ROOT);
      db0 = buildTable(lens.subarray(nlen, total), ndist, dt, "dist", p, DIST_ROOT);
    }

    const lm = (1 << lb) - 1;
    const dm = (1 << db0) - 1;
    // Hot loop: locals only. Refill keeps >= 25 bits before a length/literal and before a distance.
    for (;;) {
      while (c < 25) {
        if (p < zl) b |= z[p++]! << c;
        else if (++overrun > 4) throw new Bad("truncated deflate data", zl);
        c += 8;
      }
      let e = lt[b & lm]!;
      if (e <= 0) {
        if (e === 0) throw new Bad("invalid literal/length code", p);
        e = lt[(-e >> 4) + ((b >>> lb) & ((1 << (-e & 15)) - 1))]!;
        if (e === 0) throw new Bad("invalid literal/length code", p);
      }
      let l = e & 15;
      b >>>= l;
      c -= l;
      const sym = e >> 4;
      if (sym < 256) {
        if (op === cap) {
          if (op >= limit) return { data: out.subarray(0, op), over: true };
          cap = grow(cap, op + 1, limit);
          const o2 = new Uint8Array(cap);
          o2.set(out);
          out = o2;
        }
        out[op++] = sym;
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li >= 29) throw new Bad("invalid length symbol", p);
      const xb = LEN_EXTRA[li]!;
      const len = LEN_BASE[li]! + (b & ((1 << xb) - 1));
      b >>>= xb;
      c -= xb;
      while (c < 25) {
        if (p < zl) b |= z[p++]! << c;
        else if (++overrun > 4) throw new Bad("truncated deflate data", zl);
        c += 8;
      }
      e = dt[b & dm]!;
      if (e <= 0) {
        if (e === 0) throw new Bad("invalid distance code", p);
        e = dt[(-e >> 4) + ((b >>> db0) & ((1 << (-e & 15)) - 1))]!;
        if (e === 0) throw new Bad("invalid distance code", p);
      }
      l = e & 15;
      b >>>= l;
      c -= l;
      const ds = e >> 4;
      while (c < 13) {
        if (p < zl) b |= z[p++]! << c;
        else if (++overrun > 4) throw new Bad("truncated deflate data", zl);
        c += 8;
      }
      const db = DIST_EXTRA[ds]!;
      const dist = DIST_BASE[ds]! + (b & ((1 << db) - 1));
      b >>>= db;
      c -= db;
      if (dist > op) throw new Bad(`distance ${dist} too far back (${op} bytes out)`, p);
      if (op + len > cap) {
        if (op + len > limit) return { data: out.subarray(0, op), over: true };
        cap = grow(cap, op + len, limit);
        const o2 = new Uint8Array(cap);
        o2.set(out.subarray(0, op));
        out = o2;
      }
      let s = op - dist;
      const end = op + len;
      if (dist >= len && len > 32) {
        out.copyWithin(op, s, s + len);
        op = end;
      } else {
        while (op < end) out[op++] = out[s++]!;
      }
    }
    if (overrun * 8 > c) throw new Bad("truncated deflate data", zl);
  }
  if (overrun * 8 > c) throw new Bad("truncated deflate data", zl);
  return { data: out.subarray(0, op), over: false };
}

function grow(cap: number, need: number, limit: number): number {
  let n = Math.max(need, cap * 2, 1024);
  if (n > limit) n = limit;
  return n;
}

/** Adler-32 (RFC 1950) of `data`, as an unsigned 32-bit number. */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let s = start >>> 16;
  const n = data.length;
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 5552);
    for (; i < end; i++) {
      a += data[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}
