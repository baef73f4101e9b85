/**
 * How many bytes a zlib (RFC 1950/1951) stream inflates to, without producing them: walks the deflate blocks
 * and Huffman codes, adds up literal and match lengths, and stops as soon as the count passes `limit`.
 * Memory: O(1) (two 32 Ki-entry code tables). PNG decoding no longer calls this (src/image/inflate.ts inflates
 * once with a hard output limit); it stays as a cheap size probe for any zlib stream.
 */

/** Outcome: `size` bytes were counted; `over` when the count passed the limit (counting stopped there);
 * `error` when the stream is malformed or truncated (the count is then only what was seen). */
export interface InflatedSize {
  size: number;
  over: boolean;
  error?: string;
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class Corrupt extends Error {}

/** A canonical Huffman code as a direct lookup table over `bits` reversed code bits: entry = sym << 4 | len. */
interface Code { table: Int32Array; bits: number }

function buildCode(lengths: ArrayLike<number>, n: number): Code {
  let maxLen = 0;
  const count = new Int32Array(16);
  for (let i = 0; i < n; i++) { count[lengths[i]]++; if (lengths[i] > maxLen) maxLen = lengths[i]; }
  const bits = Math.max(1, maxLen);
  const table = new Int32Array(1 << bits);
  if (maxLen === 0) return { table, bits }; // no codes: any use is an error
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new Corrupt("over-subscribed Huffman code");
  }
  const next = new Int32Array(16);
  for (let len = 1, code = 0; len <= 15; len++) { code = (code + count[len - 1]) << 1; next[len] = code; }
  for (let sym = 0; sym < n; sym++) {
    const len = lengths[sym];
    if (!len) continue;
    const code = next[len]++;
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((code >> i) & 1) << (len - 1 - i);
    for (let j = rev; j < 1 << bits; j += 1 << len) table[j] = (sym << 4) | len;
  }
  return { table, bits };
}

let fixedLit: Code | null = null;
let fixedDist: Code | null = null;

/**
 * Count the inflated size of the zlib stream `z` (2-byte header, deflate data; the Adler-32 trailer is not
 * checked). Stops at the final block, at the first error, or as soon as the count exceeds `limit`.
 */
export function zlibInflatedSize(z: Uint8Array, limit: number): InflatedSize {
  let pos = 0;
  let buf = 0;
  let cnt = 0;
  let size = 0;
  let overrun = 0;
  const need = (n: number) => {
    while (cnt < n) {
      if (pos < z.length) buf |= z[pos++] << cnt;
      else overrun++;
      cnt += 8;
    }
  };
  const bits = (n: number) => {
    need(n);
    const v = buf & ((1 << n) - 1);
    buf >>>= n;
    cnt -= n;
    return v;
  };
  const decode = (c: Code) => {
    need(c.bits);
    const e = c.table[buf & ((1 << c.bits) - 1)];
    if (e === 0) throw new Corrupt("invalid Huffman code");
    const len = e & 15;
    buf >>>= len;
    cnt -= len;
    return e >> 4;
  };
  try {
    if (z.length < 2) throw new Corrupt("zlib stream shorter than its header");
    const cmf = z[0], flg = z[1];
    if ((cmf & 15) !== 8 || ((cmf << 8) | flg) % 31 !== 0) throw new Corrupt("bad zlib header");
    pos = flg & 0x20 ? 6 : 2;
    let final = 0;
    while (!final) {
      final = bits(1);
      const type = bits(2);
      if (type === 0) {
        buf = 0; // drop to a byte boundary: whole bytes still buffered are consumed below
        const whole = cnt >> 3;
        cnt = 0;
        pos -= whole;
        if (pos + 4 > z.length) throw new Corrupt("truncated stored block header");
        const len = z[pos] | (z[pos + 1] << 8);
        const nlen = z[pos + 2] | (z[pos + 3] << 8);
        if ((len ^ 0xffff) !== nlen) throw new Corrupt("stored block length check failed");
        pos += 4 + len;
        if (pos > z.length) throw new Corrupt("truncated stored block");
        size += len;
      } else if (type === 1 || type === 2) {
        let lit: Code, dist: Code;
        if (type === 1) {
          if (!fixedLit) {
            const l = new Uint8Array(288);
            l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
            fixedLit = buildCode(l, 288);
            fixedDist = buildCode(new Uint8Array(30).fill(5), 30);
          }
          lit = fixedLit;
          dist = fixedDist!;
        } else {
          const nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
          if (nlen > 286 || ndist > 30) throw new Corrupt("bad dynamic block counts");
          const cl = new Uint8Array(19);
          for (let i = 0; i < ncode; i++) cl[CL_ORDER[i]] = bits(3);
          const clCode = buildCode(cl, 19);
          const lens = new Uint8Array(nlen + ndist);
          for (let i = 0; i < nlen + ndist; ) {
            const sym = decode(clCode);
            if (sym < 16) { lens[i++] = sym; continue; }
            let rep: number, val = 0;
            if (sym === 16) {
              if (i === 0) throw new Corrupt("repeat with no previous length");
              val = lens[i - 1];
              rep = 3 + bits(2);
            } else if (sym === 17) rep = 3 + bits(3);
            else rep = 11 + bits(7);
            if (i + rep > nlen + ndist) throw new Corrupt("too many code lengths");
            while (rep--) lens[i++] = val;
          }
          if (lens[256] === 0) throw new Corrupt("no end-of-block code");
          lit = buildCode(lens.subarray(0, nlen), nlen);
          dist = buildCode(lens.subarray(nlen), ndist);
        }
        // hot loop with the bit buffer in locals (about 10x faster than the helper closures)
        const lt = lit.table, lm = (1 << lit.bits) - 1, dt = dist.table, dm = (1 << dist.bits) - 1;
        const zl = z.length;
        let b = buf, c = cnt, p = pos;
        for (;;) {
          while (c <= 16) { if (p < zl) b |= z[p++] << c; else overrun++; c += 8; }
          let e = lt[b & lm];
          if (e === 0) throw new Corrupt("invalid Huffman code");
          let l = e & 15;
          b >>= l; c -= l;
          const sym = e >> 4;
          if (sym < 256) { size++; if ((size & 0xffff) === 0 && (size > limit || overrun > 4)) break; continue; }
          if (sym === 256) break;
          const li = sym - 257;
          if (li >= 29) throw new Corrupt("bad length code");
          while (c <= 16) { if (p < zl) b |= z[p++] << c; else overrun++; c += 8; }
          const xb = LEN_EXTRA[li];
          size += LEN_BASE[li] + (b & ((1 << xb) - 1));
          b >>= xb; c -= xb;
          e = dt[b & dm];
          if (e === 0) throw new Corrupt("invalid Huffman code");
          l = e & 15;
          b >>= l; c -= l;
          const d = e >> 4;
          if (d >= 30) throw new Corrupt("bad distance code");
          while (c <= 16) { if (p < zl) b |= z[p++] << c; else overrun++; c += 8; }
          const db = DIST_EXTRA[d];
          b >>= db; c -= db;
          if (size > limit || overrun > 4) break;
        }
        buf = b; cnt = c; pos = p;
        if (size > limit) return { size, over: true };
        if (overrun > 4) throw new Corrupt("truncated deflate data");
      } else throw new Corrupt("invalid block type 3");
      if (size > limit) return { size, over: true };
      if (overrun > 4) throw new Corrupt("truncated deflate data");
    }
    return { size, over: false };
  } catch (e) {
    if (e instanceof Corrupt) return { size, over: size > limit, error: e.message };
    throw e;
  }
}
