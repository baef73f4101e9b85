/**
 * A small zlib (RFC 1950) / deflate (RFC 1951) compressor for our PNG encoder: greedy LZ77 over a 32 KiB
 * window (3-byte hash chains, a bounded chain walk), blocks of up to 16 Ki symbols, each written with its own
 * dynamic Huffman codes (length-limited to 15 bits, code-length code to 7) or as a stored block when that is
 * smaller. Output is a complete zlib stream (header, blocks, Adler-32).
 */
import { LEN_BASE, LEN_EXTRA, DIST_BASE, DIST_EXTRA, CL_ORDER, adler32 } from "./inflate.js";

const WSIZE = 1 << 15;
const WMASK = WSIZE - 1;
const HBITS = 15;
const MAX_CHAIN = 16;
const NICE = 32;
const BLOCK_SYMS = 1 << 14;

/** Growable LSB-first bit writer. */
class BitWriter {
  buf = new Uint8Array(1 << 16);
  n = 0;
  bits = 0;
  cnt = 0;
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  /** Writes the low `len` (<= 16) bits of `v`. */
  put(v: number, len: number): void {
    this.bits |= v << this.cnt;
    this.cnt += len;
    if (this.cnt >= 16) {
      this.ensure(2);
      this.buf[this.n++] = this.bits & 255;
      this.buf[this.n++] = (this.bits >>> 8) & 255;
      this.bits >>>= 16;
      this.cnt -= 16;
    }
  }
  /** Pads to a byte boundary. */
  align(): void {
    this.ensure(4);
    while (this.cnt > 0) {
      this.buf[this.n++] = this.bits & 255;
      this.bits >>>= 8;
      this.cnt = Math.max(0, this.cnt - 8);
    }
    this.bits = 0;
    this.cnt = 0;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

/** Huffman code lengths (<= maxLen) for `freq` (symbols with frequency 0 get length 0). */
function codeLengths(freq: Uint32Array, maxLen: number): Uint8Array {
  const n = freq.length;
  const lens = new Uint8Array(n);
  let f = Array.from(freq);
  for (;;) {
    const syms: number[] = [];
    for (let i = 0; i < n; i++) if (f[i]! > 0) syms.push(i);
    if (syms.length === 0) return lens;
    if (syms.length === 1) {
      lens[syms[0]!] = 1;
      return lens;
    }
    // two-queue Huffman over the sorted leaves
    syms.sort((a, b) => f[a]! - f[b]! || a - b);
    const m = syms.length;
    const weight = new Float64Array(2 * m);
    const parent = new Int32Array(2 * m);
    for (let i = 0; i < m; i++) weight[i] = f[syms[i]!]!;
    let leaf = 0;
    let inner = m;
    let next = m;
    const pick = (): number => {
      if (leaf < m && (inner >= next || weight[leaf]! <= weight[inner]!)) return leaf++;
      return inner++;
    };
    for (; next < 2 * m - 1; next++) {
      const a = pick();
      const b = pick();
      weight[next] = weight[a]! + weight[b]!;
      parent[a] = next;
      parent[b] = next;
    }
    const depth = new Int32Array(2 * m);
    let maxSeen = 0;
    for (let i = 2 * m - 3; i >= 0; i--) {
      depth[i] = depth[parent[i]!]! + 1;
    }
    for (let i = 0; i < m; i++) {
      lens[syms[i]!] = depth[i]!;
      if (depth[i]! > maxSeen) maxSeen = depth[i]!;
    }
    if (maxSeen <= maxLen) return lens;
    f = f.map((v) => (v > 0 ? (v >> 1) + 1 : 0)); // flatten and retry
  }
}

/** Canonical codes (bit-reversed, ready for the LSB-first writer) for `lens`. */
function canonical(lens: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const l of lens) count[l]!++;
  count[0] = 0;
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  const codes = new Uint16Array(lens.length);
  for (let s = 0; s < lens.length; s++) {
    const l = lens[s]!;
    if (!l) continue;
    const c = next[l]!++;
    let r = 0;
    for (let i = 0; i < l; i++) r |= ((c >> i) & 1) << (l - 1 - i);
    codes[s] = r;
  }
  return codes;
}

const lenSym = new Uint16Array(259); // match length -> length symbol index (0..28)
const distSymSmall = new Uint8Array(512);
{
  for (let i = 0; i < 29; i++) {
    const hi = i === 28 ? 258 : i < 28 ? LEN_BASE[i + 1]! - 1 : 258;
    for (let l = LEN_BASE[i]!; l <= hi && l <= 258; l++) lenSym[l] = i;
  }
  lenSym[258] = 28;
  for (let i = 0; i < 30; i++) for (let d = DIST_BASE[i]!; d < (i < 29 ? DIST_BASE[i + 1]! : 32769) && d <= 512; d++) distSymSmall[d - 1] = i;
}
function distSym(d: number): number {
  if (d <= 512) return distSymSmall[d - 1]!;
  let i = 18;
  while (i < 29 && DIST_BASE[i + 1]! <= d) i++;
  return i;
}

/**
 * Compresses `data` into a zlib stream (any length, including 0). Guarantees: inflating the result gives back
 * `data` exactly (any RFC 1950 decoder).
 */
export function zlibDeflate(data: Uint8Array): Uint8Array {
  const w = new BitWriter();
  w.bytes(Uint8Array.of(0x78, 0x9c));
  const n = data.length;
  const head = new Int32Array(1 << HBITS).fill(-1);
  const prev = new Int32Array(WSIZE);
  const litlen = new Uint16Array(BLOCK_SYMS); // literal byte, or 256 + match length
  const dists = new Uint16Array(BLOCK_SYMS);
  const hash = (i: number) => ((data[i]! << 10) ^ (data[i + 1]! << 5) ^ data[i + 2]!) & ((1 << HBITS) - 1);
  const insert = (i: number) => {
    const h = hash(i);
    prev[i & WMASK] = head[h]!;
    head[h] = i;
  };
  let pos = 0;
  let blockStart = 0;
  if (n === 0) {
    writeBlock(w, litlen, dists, 0, data, 0, 0, true);
  }
  while (pos < n) {
    let ns = 0;
    blockStart = pos;
    while (pos < n && ns < BLOCK_SYMS) {
      let bestLen = 0;
      let bestDist = 0;
      if (pos + 3 <= n) {
        const maxLen = Math.min(258, n - pos);
        let cand = head[hash(pos)]!;
        let chain = MAX_CHAIN;
        while (cand >= 0 && pos - cand <= WSIZE && chain-- > 0) {
          if (data[cand + bestLen] === data[pos + bestLen]) {
            let l = 0;
            while (l < maxLen && data[cand + l] === data[pos + l]) l++;
            if (l > bestLen) {
              bestLen = l;
              bestDist = pos - cand;
              if (l >= NICE || l === maxLen) break;
            }
          }
          const pc = prev[cand & WMASK]!;
          if (pc >= cand) break;
          cand = pc;
        }
        insert(pos);
      }
      if (bestLen >= 3) {
        litlen[ns] = 256 + bestLen;
        dists[ns++] = bestDist;
        const end = pos + bestLen;
        for (pos++; pos < end; pos++) if (pos + 3 <= n) insert(pos);
      } else {
        litlen[ns] = data[pos]!;
        dists[ns++] = 0;
        pos++;
      }
    }
    writeBlock(w, litlen, dists, ns, data, blockStart, pos, pos >= n);
  }
  w.align();
  const a = adler32(data);
  w.bytes(Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255));
  return w.buf.slice(0, w.n);
}

function writeBlock(w: BitWriter, litlen: Uint16Array, dists: Uint16Array, ns: number, data: Uint8Array, from: number, to: number, final: boolean): void {
  const lf = new Uint32Array(286);
  const df = new Uint32Array(30);
  for (let i = 0; i < ns; i++) {
    const v = litlen[i]!;
    if (v < 256) lf[v]!++;
    else {
      lf[257 + lenSym[v - 256]!]!++;
      df[distSym(dists[i]!)]!++;
    }
  }
  lf[256] = 1;
  const ll = codeLengths(lf, 15);
  let dl = codeLengths(df, 15);
  let nd = 30;
  while (nd > 1 && dl[nd - 1] === 0) nd--;
  if (dl.every((l) => l === 0)) {
    dl = new Uint8Array(30);
    dl[0] = 1; // one unused distance code (zlib accepts a single 1-bit code)
    nd = 1;
  }
  let nl = 286;
  while (nl > 257 && ll[nl - 1] === 0) nl--;
  // run-length encode the code lengths
  const all = new Uint8Array(nl + nd);
  all.set(ll.subarray(0, nl));
  all.set(dl.subarray(0, nd), nl);
  const rle: number[] = []; // symbol | extra << 5
  for (let i = 0; i < all.length; ) {
    const v = all[i]!;
    let r = 1;
    while (i + r < all.length && all[i + r] === v) r++;
    let left = r;
    if (v === 0) {
      while (left >= 11) { const k = Math.min(138, left); rle.push(18 | ((k - 11) << 5)); left -= k; }
      if (left >= 3) { rle.push(17 | ((left - 3) << 5)); left = 0; }
    } else {
      rle.push(v);
      left--;
      while (left >= 3) { const k = Math.min(6, left); rle.push(16 | ((k - 3) << 5)); left -= k; }
    }
    while (left-- > 0) rle.push(v);
    i += r;
  }
  const cf = new Uint32Array(19);
  for (const s of rle) cf[s & 31]!++;
  const cl = codeLengths(cf, 7);
  let nc = 19;
  while (nc > 4 && cl[CL_ORDER[nc - 1]!] === 0) nc--;

  // size of the dynamic block vs a stored copy
  let bits = 3 + 14 + 3 * nc;
  for (const s of rle) {
    const sym = s & 31;
    bits += cl[sym]! + (sym === 16 ? 2 : sym === 17 ? 3 : sym === 18 ? 7 : 0);
  }
  for (let i = 0; i < 286; i++) bits += lf[i]! * ll[i]! + (i >= 257 ? lf[i]! * LEN_EXTRA[i - 257]! : 0);
  for (let i = 0; i < 30; i++) bits += df[i]! * (dl[i]! + DIST_EXTRA[i]!);
  const storedBytes = to - from + 5 * Math.max(1, Math.ceil((to - from) / 65535));
  if (storedBytes * 8 + 8 < bits) {
    for (let s = from; s < to || s === from; ) {
      const len = Math.min(65535, to - s);
      const last = final && s + len >= to;
      w.put(last ? 1 : 0, 3);
      w.align();
      w.bytes(Uint8Array.of(len & 255, len >> 8, ~len & 255, (~len >> 8) & 255));
      w.bytes(data.subarray(s, s + len));
      s += len;
      if (len === 0) break;
    }
    return;
  }

  const lc = canonical(ll);
  const dc = canonical(dl);
  const cc = canonical(cl);
  w.put(final ? 1 : 0, 1);
  w.put(2, 2);
  w.put(nl - 257, 5);
  w.put(nd - 1, 5);
  w.put(nc - 4, 4);
  for (let i = 0; i < nc; i++) w.put(cl[CL_ORDER[i]!]!, 3);
  for (const s of rle) {
    const sym = s & 31;
    w.put(cc[sym]!, cl[sym]!);
    if (sym === 16) w.put(s >> 5, 2);
    else if (sym === 17) w.put(s >> 5, 3);
    else if (sym === 18) w.put(s >> 5, 7);
  }
  for (let i = 0; i < ns; i++) {
    const v = litlen[i]!;
    if (v < 256) {
      w.put(lc[v]!, ll[v]!);
      continue;
    }
    const len = v - 256;
    const li = lenSym[len]!;
    w.put(lc[257 + li]!, ll[257 + li]!);
    if (LEN_EXTRA[li]) w.put(len - LEN_BASE[li]!, LEN_EXTRA[li]!);
    const d = dists[i]!;
    const di = distSym(d);
    w.put(dc[di]!, dl[di]!);
    if (DIST_EXTRA[di]) w.put(d - DIST_BASE[di]!, DIST_EXTRA[di]!);
  }
  w.put(lc[256]!, ll[256]!);
}
