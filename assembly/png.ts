// PNG fast path: zlib inflate with a hard output capacity, PNG unfiltering and the conversion of 8-bit
// non-interlaced rows (colour types 0, 2, 3, 4, 6) to dlib's RGB, plus CRC-32 for the chunk checks.
//
// The TypeScript side (src/image/png-wasm.ts) owns every byte: the zlib stream, the raw scanline buffer, the RGB
// output, the palette and a scratch block of `png_scratch_size()` bytes (Huffman tables, CRC table, counters).
// Nothing here allocates. Every kernel reports a status; the caller treats any non-zero status (or a short
// output) as "not handled" and runs the TypeScript decoder (src/image/png.ts) instead, which then produces the
// exact error it always did. So the kernels only have to be correct on success: they accept exactly the
// streams src/image/inflate.ts accepts (same header, code-completeness, repeat, distance and truncation rules,
// same end-of-input accounting), and stop at the capacity instead of growing.
//
// Inflate status: >= 0 bytes produced (the stream ended with its final block), PNG_E_STREAM for a malformed or
// truncated stream, PNG_E_FULL when the stream wants more than `cap` bytes.

const PNG_E_STREAM: i32 = -1;
const PNG_E_FULL: i32 = -2;
const PNG_E_FILTER: i32 = -3;
const PNG_E_TYPE: i32 = -4;

const PNG_LEN_BASE: usize = memory.data<u16>([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const PNG_LEN_EXTRA: usize = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const PNG_DIST_BASE: usize = memory.data<u16>([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const PNG_DIST_EXTRA: usize = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const PNG_CL_ORDER: usize = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/** Entries of a literal/length or distance table: primary (at most 2^10) plus every possible subtable (2^15). */
const PNG_TABLE_SIZE: usize = (1 << 10) + (1 << 15);
const PNG_LIT_ROOT: i32 = 10;
const PNG_DIST_ROOT: i32 = 8;

// scratch layout (byte offsets)
const S_LIT: usize = 0; // i32 x PNG_TABLE_SIZE
const S_DIST: usize = S_LIT + PNG_TABLE_SIZE * 4; // i32 x PNG_TABLE_SIZE
const S_CL: usize = S_DIST + PNG_TABLE_SIZE * 4; // i32 x 128
const S_FLIT: usize = S_CL + 128 * 4; // i32 x 512 (fixed literal/length code, 9-bit primary)
const S_FDIST: usize = S_FLIT + 512 * 4; // i32 x 32 (fixed distance code)
const S_COUNT: usize = S_FDIST + 32 * 4; // i32 x 16
const S_NEXT: usize = S_COUNT + 16 * 4; // i32 x 16
const S_NX: usize = S_NEXT + 16 * 4; // i32 x 16
const S_CRC: usize = S_NX + 16 * 4; // u32 x 256 x 8 (slicing-by-8 tables)
const S_SUBMAX: usize = S_CRC + 8 * 256 * 4; // u8 x 1024
const S_LENS: usize = S_SUBMAX + 1024; // u8 x 320 (code lengths of a dynamic block)
const S_FLENS: usize = S_LENS + 320; // u8 x 288 (fixed code lengths)
const S_CLLENS: usize = S_FLENS + 288; // u8 x 32
const S_SIZE: usize = S_CLLENS + 32;

/** Bytes of the scratch block every png_* kernel takes. */
export function png_scratch_size(): i32 {
  return <i32>S_SIZE;
}

// ---------------------------------------------------------------------------------------------------------------
// CRC-32 (PNG's: reflected polynomial 0xEDB88320, initial value and final xor all ones)

/** Fills the CRC tables of `scratch`; call once before png_crc32 with the same scratch. */
export function png_crc_init(scratch: usize): void {
  const t = scratch + S_CRC;
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(t + (<usize>n << 2), c);
  }
  // table k: the CRC of a byte followed by k zero bytes (slicing-by-8)
  for (let k: usize = 1; k < 8; k++) {
    for (let n: usize = 0; n < 256; n++) {
      const prev = load<u32>(t + ((k - 1) << 10) + (n << 2));
      store<u32>(t + (k << 10) + (n << 2), (prev >>> 8) ^ load<u32>(t + (<usize>(prev & 0xff) << 2)));
    }
  }
}

@inline function crcT(t: usize, k: usize, x: u32): u32 {
  return load<u32>(t + (k << 10) + (<usize>(x & 0xff) << 2));
}

/** CRC-32 of the `len` bytes at `ptr` (unsigned; png_crc_init must have filled `scratch`). */
export function png_crc32(scratch: usize, ptr: usize, len: i32): u32 {
  const t = scratch + S_CRC;
  let c: u32 = 0xffffffff;
  let i = ptr;
  const end = ptr + <usize>len;
  for (; i + 8 <= end; i += 8) {
    const lo = load<u32>(i) ^ c;
    const hi = load<u32>(i + 4);
    c = crcT(t, 7, lo) ^ crcT(t, 6, lo >>> 8) ^ crcT(t, 5, lo >>> 16) ^ crcT(t, 4, lo >>> 24) ^
      crcT(t, 3, hi) ^ crcT(t, 2, hi >>> 8) ^ crcT(t, 1, hi >>> 16) ^ crcT(t, 0, hi >>> 24);
  }
  for (; i < end; i++) c = load<u32>(t + (<usize>((c ^ <u32>load<u8>(i)) & 0xff) << 2)) ^ (c >>> 8);
  return c ^ 0xffffffff;
}

// ---------------------------------------------------------------------------------------------------------------
// Huffman tables: the same two-level layout as src/image/inflate.ts (entries `symbol << 4 | length`, 0 for no
// code, `-(offset << 4 | subBits)` linking a primary entry to its subtable).

@inline function bitReverse(code: i32, len: i32): i32 {
  let r = 0;
  for (let i = 0; i < len; i++) r |= ((code >> i) & 1) << (len - 1 - i);
  return r;
}

/**
 * Canonical code of the `n` lengths at `lengths` into `table`; kind 0 literal/length, 1 distance, 2 code-length.
 * Returns the primary width (>= 1), or PNG_E_STREAM for an over-subscribed or (zlib's exceptions aside) incomplete code.
 */
function buildTable(scratch: usize, lengths: usize, n: i32, table: usize, kind: i32, root: i32): i32 {
  const count = scratch + S_COUNT;
  memory.fill(count, 0, 64);
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const l = <i32>load<u8>(lengths + <usize>i);
    const a = count + (<usize>l << 2);
    store<i32>(a, load<i32>(a) + 1);
    if (l > maxLen) maxLen = l;
  }
  const pb = maxLen == 0 ? 1 : maxLen < root ? maxLen : root;
  const psize = 1 << pb;
  memory.fill(table, 0, <usize>psize << 2);
  if (maxLen == 0) return kind == 1 ? pb : PNG_E_STREAM;
  store<i32>(count, 0);
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - load<i32>(count + (<usize>len << 2));
    if (left < 0) return PNG_E_STREAM;
  }
  if (left > 0 && (kind == 2 || maxLen != 1)) return PNG_E_STREAM;
  const next = scratch + S_NEXT;
  store<i32>(next, 0);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + load<i32>(count + (<usize>(len - 1) << 2))) << 1;
    store<i32>(next + (<usize>len << 2), code);
  }
  if (maxLen > pb) {
    const subMax = scratch + S_SUBMAX;
    memory.fill(subMax, 0, <usize>psize);
    const nx = scratch + S_NX;
    memory.copy(nx, next, 64);
    for (let sym = 0; sym < n; sym++) {
      const len = <i32>load<u8>(lengths + <usize>sym);
      if (len <= pb) continue;
      const a = nx + (<usize>len << 2);
      const code = load<i32>(a);
      store<i32>(a, code + 1);
      const pre = bitReverse(code, len) & (psize - 1);
      if (len > <i32>load<u8>(subMax + <usize>pre)) store<u8>(subMax + <usize>pre, <u8>len);
    }
    let off = psize;
    for (let pre = 0; pre < psize; pre++) {
      const m = <i32>load<u8>(subMax + <usize>pre);
      if (!m) continue;
      const sb = m - pb;
      store<i32>(table + (<usize>pre << 2), -((off << 4) | sb));
      memory.fill(table + (<usize>off << 2), 0, <usize>(1 << sb) << 2);
      off += 1 << sb;
    }
  }
  for (let sym = 0; sym < n; sym++) {
    const len = <i32>load<u8>(lengths + <usize>sym);
    if (!len) continue;
    const a = next + (<usize>len << 2);
    const code = load<i32>(a);
    store<i32>(a, code + 1);
    const r = bitReverse(code, len);
    const e = (sym << 4) | len;
    if (len <= pb) {
      for (let j = r; j < psize; j += 1 << len) store<i32>(table + (<usize>j << 2), e);
    } else {
      const x = -load<i32>(table + (<usize>(r & (psize - 1)) << 2));
      const off = x >> 4;
      const size = 1 << (x & 15);
      for (let j = r >>> pb; j < size; j += 1 << (len - pb)) store<i32>(table + (<usize>(off + j) << 2), e);
    }
  }
  return pb;
}

function fixedTables(scratch: usize): void {
  const l = scratch + S_FLENS;
  memory.fill(l, 8, 144);
  memory.fill(l + 144, 9, 112);
  memory.fill(l + 256, 7, 24);
  memory.fill(l + 280, 8, 8);
  buildTable(scratch, l, 288, scratch + S_FLIT, 0, 9);
  memory.fill(l, 5, 32);
  const fd = scratch + S_FDIST;
  buildTable(scratch, l, 32, fd, 1, 5);
  for (let i = 0; i < 32; i++) if (load<i32>(fd + (<usize>i << 2)) >> 4 >= 30) store<i32>(fd + (<usize>i << 2), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// zlib inflate

/**
 * Inflates the zlib stream of `zlen` bytes at `z` into `out` (at most `cap` bytes; `out` must have 8 more bytes
 * of room, which may be overwritten). Returns the number of bytes
 * the stream produced, PNG_E_FULL when it would produce more than `cap`, PNG_E_STREAM when it is malformed or
 * truncated (the rules of src/image/inflate.ts; the Adler-32 trailer is not checked).
 */
export function png_inflate(z: usize, zlen: i32, out: usize, cap: i32, scratch: usize): i32 {
  const zl = zlen;
  if (zl < 2) return PNG_E_STREAM;
  const cmf = <i32>load<u8>(z);
  const flg = <i32>load<u8>(z + 1);
  if ((cmf & 15) != 8) return PNG_E_STREAM;
  if (cmf >> 4 > 7) return PNG_E_STREAM;
  if (((cmf << 8) | flg) % 31 != 0) return PNG_E_STREAM;
  if (flg & 0x20) return PNG_E_STREAM;

  let op = 0;
  let p = 2;
  let b: u32 = 0;
  let c = 0;
  let overrun = 0;
  const lens = scratch + S_LENS;

  for (let final = 0; !final; ) {
    while (c < 3) {
      if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
      else if (++overrun > 4) return PNG_E_STREAM;
      c += 8;
    }
    final = <i32>(b & 1);
    const type = <i32>((b >>> 1) & 3);
    b >>>= 3;
    c -= 3;

    if (type == 0) {
      if (overrun > 0) return PNG_E_STREAM;
      p -= c >> 3;
      b = 0;
      c = 0;
      if (p + 4 > zl) return PNG_E_STREAM;
      const len = <i32>load<u8>(z + <usize>p) | (<i32>load<u8>(z + <usize>p + 1) << 8);
      const nlen = <i32>load<u8>(z + <usize>p + 2) | (<i32>load<u8>(z + <usize>p + 3) << 8);
      if ((len ^ 0xffff) != nlen) return PNG_E_STREAM;
      p += 4;
      if (p + len > zl) return PNG_E_STREAM;
      if (op + len > cap) return PNG_E_FULL;
      memory.copy(out + <usize>op, z + <usize>p, <usize>len);
      op += len;
      p += len;
      continue;
    }
    if (type == 3) return PNG_E_STREAM;

    let lt: usize;
    let dt: usize;
    let lb: i32;
    let db0: i32;
    if (type == 1) {
      fixedTables(scratch);
      lt = scratch + S_FLIT;
      dt = scratch + S_FDIST;
      lb = 9;
      db0 = 5;
    } else {
      while (c < 14) {
        if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
        else if (++overrun > 4) return PNG_E_STREAM;
        c += 8;
      }
      const nlen = <i32>(b & 31) + 257;
      const ndist = <i32>((b >>> 5) & 31) + 1;
      const ncode = <i32>((b >>> 10) & 15) + 4;
      b >>>= 14;
      c -= 14;
      if (nlen > 286 || ndist > 30) return PNG_E_STREAM;
      const cl = scratch + S_CLLENS;
      memory.fill(cl, 0, 19);
      for (let i = 0; i < ncode; i++) {
        while (c < 3) {
          if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
          else if (++overrun > 4) return PNG_E_STREAM;
          c += 8;
        }
        store<u8>(cl + <usize>load<u8>(PNG_CL_ORDER + <usize>i), <u8>(b & 7));
        b >>>= 3;
        c -= 3;
      }
      const ct = scratch + S_CL;
      const cbits = buildTable(scratch, cl, 19, ct, 2, 7);
      if (cbits < 0) return PNG_E_STREAM;
      const cmask: u32 = (1 << cbits) - 1;
      const total = nlen + ndist;
      for (let i = 0; i < total; ) {
        while (c < 14) {
          if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
          else if (++overrun > 4) return PNG_E_STREAM;
          c += 8;
        }
        const e = load<i32>(ct + (<usize>(b & cmask) << 2));
        if (e == 0) return PNG_E_STREAM;
        const l = e & 15;
        b >>>= l;
        c -= l;
        const sym = e >> 4;
        if (sym < 16) {
          store<u8>(lens + <usize>(i++), <u8>sym);
          continue;
        }
        let rep: i32;
        let val: u8 = 0;
        if (sym == 16) {
          if (i == 0) return PNG_E_STREAM;
          val = load<u8>(lens + <usize>(i - 1));
          rep = 3 + <i32>(b & 3);
          b >>>= 2;
          c -= 2;
        } else if (sym == 17) {
          rep = 3 + <i32>(b & 7);
          b >>>= 3;
          c -= 3;
        } else {
          rep = 11 + <i32>(b & 127);
          b >>>= 7;
          c -= 7;
        }
        if (i + rep > total) return PNG_E_STREAM;
        while (rep-- > 0) store<u8>(lens + <usize>(i++), val);
      }
      if (load<u8>(lens + 256) == 0) return PNG_E_STREAM;
      lt = scratch + S_LIT;
      dt = scratch + S_DIST;
      lb = buildTable(scratch, lens, nlen, lt, 0, PNG_LIT_ROOT);
      if (lb < 0) return PNG_E_STREAM;
      db0 = buildTable(scratch, lens + <usize>nlen, ndist, dt, 1, PNG_DIST_ROOT);
      if (db0 < 0) return PNG_E_STREAM;
    }

    const lm: u32 = (1 << lb) - 1;
    const dm: u32 = (1 << db0) - 1;
    for (;;) {
      if (c < 25) {
        if (p + 4 <= zl) {
          // the bytes the loop below would add, at once (bits past the new count are the next input bits)
          b |= load<u32>(z + <usize>p) << c;
          const k = (32 - c) >> 3;
          p += k;
          c += k << 3;
        } else {
          while (c < 25) {
            if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
            else if (++overrun > 4) return PNG_E_STREAM;
            c += 8;
          }
        }
      }
      let e = load<i32>(lt + (<usize>(b & lm) << 2));
      if (e <= 0) {
        if (e == 0) return PNG_E_STREAM;
        e = load<i32>(lt + (<usize>((-e >> 4) + <i32>((b >>> lb) & ((1 << (-e & 15)) - 1))) << 2));
        if (e == 0) return PNG_E_STREAM;
      }
      let l = e & 15;
      b >>>= l;
      c -= l;
      const sym = e >> 4;
      if (sym < 256) {
        if (op == cap) return PNG_E_FULL;
        store<u8>(out + <usize>(op++), <u8>sym);
        continue;
      }
      if (sym == 256) break;
      const li = sym - 257;
      if (li >= 29) return PNG_E_STREAM;
      const xb = <i32>load<u8>(PNG_LEN_EXTRA + <usize>li);
      const len = <i32>load<u16>(PNG_LEN_BASE + (<usize>li << 1)) + <i32>(b & ((1 << xb) - 1));
      b >>>= xb;
      c -= xb;
      if (c < 25) {
        if (p + 4 <= zl) {
          // the bytes the loop below would add, at once (bits past the new count are the next input bits)
          b |= load<u32>(z + <usize>p) << c;
          const k = (32 - c) >> 3;
          p += k;
          c += k << 3;
        } else {
          while (c < 25) {
            if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
            else if (++overrun > 4) return PNG_E_STREAM;
            c += 8;
          }
        }
      }
      e = load<i32>(dt + (<usize>(b & dm) << 2));
      if (e <= 0) {
        if (e == 0) return PNG_E_STREAM;
        e = load<i32>(dt + (<usize>((-e >> 4) + <i32>((b >>> db0) & ((1 << (-e & 15)) - 1))) << 2));
        if (e == 0) return PNG_E_STREAM;
      }
      l = e & 15;
      b >>>= l;
      c -= l;
      const ds = e >> 4;
      if (c < 13) {
        if (p + 4 <= zl) {
          b |= load<u32>(z + <usize>p) << c;
          const k = (20 - c) >> 3;
          p += k;
          c += k << 3;
        } else {
          while (c < 13) {
            if (p < zl) b |= <u32>load<u8>(z + <usize>(p++)) << c;
            else if (++overrun > 4) return PNG_E_STREAM;
            c += 8;
          }
        }
      }
      const dbits = <i32>load<u8>(PNG_DIST_EXTRA + <usize>ds);
      const dist = <i32>load<u16>(PNG_DIST_BASE + (<usize>ds << 1)) + <i32>(b & ((1 << dbits) - 1));
      b >>>= dbits;
      c -= dbits;
      if (dist > op) return PNG_E_STREAM;
      if (op + len > cap) return PNG_E_FULL;
      const d = out + <usize>op;
      // 8 bytes at a time may write up to 7 bytes past the match: `out` has 8 bytes of slack past `cap`
      if (dist >= 8) {
        const end = d + <usize>len;
        for (let q = d, s = d - <usize>dist; q < end; q += 8, s += 8) store<u64>(q, load<u64>(s));
      } else if (dist == 1) {
        const v = <u64>load<u8>(d - 1) * 0x0101010101010101;
        const end = d + <usize>len;
        for (let q = d; q < end; q += 8) store<u64>(q, v);
      } else {
        let s = d - <usize>dist;
        const end = d + <usize>len;
        for (let q = d; q < end; q++, s++) store<u8>(q, load<u8>(s));
      }
      op += len;
    }
    if (overrun * 8 > c) return PNG_E_STREAM;
  }
  if (overrun * 8 > c) return PNG_E_STREAM;
  return op;
}

// ---------------------------------------------------------------------------------------------------------------
// unfilter + conversion to dlib's RGB

/** Undoes the filter of the row whose filter byte is at `o` (`n` data bytes follow; `u` = previous row's data or 0). */
function unfilterRow(o: usize, u: usize, n: i32, bpp: i32): i32 {
  const f = <i32>load<u8>(o);
  const s = o + 1;
  const N = <usize>n;
  const B = <usize>bpp;
  if (f == 0) return 0;
  if (f == 2 && u != 0) {
    let i: usize = 0;
    for (; i + 16 <= N; i += 16) v128.store(s + i, i8x16.add(v128.load(s + i), v128.load(u + i)));
    for (; i < N; i++) store<u8>(s + i, load<u8>(s + i) + load<u8>(u + i));
    return 0;
  }
  if ((bpp == 3 || bpp == 4) && (f == 1 || f == 3 || f == 4)) {
    unfilterPixels(s, u, N, bpp, f);
    return 0;
  }
  if (f == 1 || (f == 4 && u == 0)) {
    for (let i = B; i < N; i++) store<u8>(s + i, load<u8>(s + i) + load<u8>(s + i - B));
    return 0;
  }
  if (f == 2) {
    if (u == 0) return 0;
    for (let i: usize = 0; i < N; i++) store<u8>(s + i, load<u8>(s + i) + load<u8>(u + i));
    return 0;
  }
  if (f == 3) {
    if (u == 0) {
      for (let i = B; i < N; i++) store<u8>(s + i, load<u8>(s + i) + (load<u8>(s + i - B) >> 1));
    } else {
      for (let i: usize = 0; i < B && i < N; i++) store<u8>(s + i, load<u8>(s + i) + (load<u8>(u + i) >> 1));
      for (let i = B; i < N; i++)
        store<u8>(s + i, <u32>load<u8>(s + i) + ((<u32>load<u8>(s + i - B) + <u32>load<u8>(u + i)) >> 1));
    }
    return 0;
  }
  if (f == 4) {
    for (let i: usize = 0; i < B && i < N; i++) store<u8>(s + i, load<u8>(s + i) + load<u8>(u + i));
    for (let i = B; i < N; i++) {
      const a = <i32>load<u8>(s + i - B);
      const bb = <i32>load<u8>(u + i);
      const cc = <i32>load<u8>(u + i - B);
      const x = bb - cc;
      const y = a - cc;
      const zz = x + y;
      const pa = (x ^ (x >> 31)) - (x >> 31);
      const pb = (y ^ (y >> 31)) - (y >> 31);
      const pc = (zz ^ (zz >> 31)) - (zz >> 31);
      const bc = cc ^ ((bb ^ cc) & ~((pc - pb) >> 31));
      store<u8>(s + i, <i32>load<u8>(s + i) + (bc ^ ((a ^ bc) & ~((pb - pa) >> 31) & ~((pc - pa) >> 31))));
    }
    return 0;
  }
  return PNG_E_FILTER;
}

/**
 * Sub (1), Average (3) or Paeth (4) of one row of 3- or 4-byte pixels, a pixel at a time in 16-bit lanes (the
 * bytes of a pixel are independent; the pixel to the left is kept in a register). Without a row above (u = 0)
 * the row above counts as zeros, which makes Paeth the Sub filter and Average half the left pixel, as PNG says.
 * Reads (not writes) one byte past a 3-byte pixel: the next row's filter byte or the buffer's slack.
 */
function unfilterPixels(s: usize, u: usize, N: usize, bpp: i32, f: i32): void {
  const B = <usize>bpp;
  const byteMask = i16x8.splat(0xff);
  let a = i16x8.splat(0);
  let c = i16x8.splat(0);
  let b = i16x8.splat(0);
  for (let i: usize = 0; i + B <= N; i += B) {
    const x = i16x8.extend_low_i8x16_u(v128.load32_zero(s + i));
    if (u != 0) b = i16x8.extend_low_i8x16_u(v128.load32_zero(u + i));
    let pred: v128;
    if (f == 1) {
      pred = a;
    } else if (f == 3) {
      pred = i16x8.shr_u(i16x8.add(a, b), 1);
    } else {
      const bc = i16x8.sub(b, c);
      const ac = i16x8.sub(a, c);
      const pa = i16x8.abs(bc);
      const pb = i16x8.abs(ac);
      const pc = i16x8.abs(i16x8.add(bc, ac));
      const nearBC = v128.bitselect(b, c, i16x8.le_s(pb, pc));
      pred = v128.bitselect(a, nearBC, v128.and(i16x8.le_s(pa, pb), i16x8.le_s(pa, pc)));
    }
    a = v128.and(i16x8.add(x, pred), byteMask);
    c = b;
    const w = i32x4.extract_lane(i8x16.narrow_i16x8_u(a, a), 0);
    if (bpp == 4) store<u32>(s + i, w);
    else {
      store<u16>(s + i, <u16>w);
      store<u8>(s + i + 2, <u8>(w >>> 16));
    }
  }
}

/**
 * Unfilters the `height` rows of an 8-bit non-interlaced image at `raw` (each: filter byte + width*channels
 * bytes), in place, and writes dlib's RGB of every pixel to `rgb` (width*height*3 bytes, every byte written).
 * `ct` is the PNG colour type (0, 2, 3, 4, 6); `pal` = 256 RGB entries already blended with tRNS (type 3);
 * kr/kg/kb = the RGB colour key from tRNS or -1 (type 2). Returns 0, PNG_E_FILTER (unknown filter type) or
 * PNG_E_TYPE (unsupported colour type).
 */
export function png_unfilter_convert(raw: usize, width: i32, height: i32, ct: i32, rgb: usize, pal: usize, kr: i32, kg: i32, kb: i32): i32 {
  let ch = 0;
  if (ct == 0) ch = 1;
  else if (ct == 2) ch = 3;
  else if (ct == 3) ch = 1;
  else if (ct == 4) ch = 2;
  else if (ct == 6) ch = 4;
  else return PNG_E_TYPE;
  const n = width * ch;
  const rowBytes = <usize>(n + 1);
  const W = <usize>width;
  for (let y = 0; y < height; y++) {
    const o = raw + <usize>y * rowBytes;
    const st = unfilterRow(o, y > 0 ? o - rowBytes + 1 : 0, n, ch);
    if (st != 0) return st;
    const s = o + 1;
    let d = rgb + <usize>y * W * 3;
    if (ct == 2) {
      if (kr < 0) {
        memory.copy(d, s, W * 3);
      } else {
        for (let x: usize = 0, i = s; x < W; x++, i += 3, d += 3) {
          const r = <i32>load<u8>(i);
          const g = <i32>load<u8>(i + 1);
          const bl = <i32>load<u8>(i + 2);
          if (r == kr && g == kg && bl == kb) {
            store<u8>(d, 0);
            store<u8>(d + 1, 0);
            store<u8>(d + 2, 0);
          } else {
            store<u8>(d, <u8>r);
            store<u8>(d + 1, <u8>g);
            store<u8>(d + 2, <u8>bl);
          }
        }
      }
    } else if (ct == 3) {
      for (let x: usize = 0; x < W; x++, d += 3) {
        const q = pal + <usize>load<u8>(s + x) * 3;
        store<u8>(d, load<u8>(q));
        store<u8>(d + 1, load<u8>(q + 1));
        store<u8>(d + 2, load<u8>(q + 2));
      }
    } else if (ct == 6) {
      for (let x: usize = 0, i = s; x < W; x++, i += 4, d += 3) {
        const a = <u32>load<u8>(i + 3);
        if (a == 255) {
          store<u8>(d, load<u8>(i));
          store<u8>(d + 1, load<u8>(i + 1));
          store<u8>(d + 2, load<u8>(i + 2));
        } else {
          store<u8>(d, (<u32>load<u8>(i) * a) >> 8);
          store<u8>(d + 1, (<u32>load<u8>(i + 1) * a) >> 8);
          store<u8>(d + 2, (<u32>load<u8>(i + 2) * a) >> 8);
        }
      }
    } else {
      const step = <usize>ch; // grey (1) or grey+alpha (2): the grey value, alpha ignored
      for (let x: usize = 0, i = s; x < W; x++, i += step, d += 3) {
        const v = load<u8>(i);
        store<u8>(d, v);
        store<u8>(d + 1, v);
        store<u8>(d + 2, v);
      }
    }
  }
  return 0;
}
