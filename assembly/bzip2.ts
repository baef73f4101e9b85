// bzip2 decompressor as a resumable state machine.
//
// The TypeScript side owns all memory: it allocates one state block of `bz_state_size(maxLevel)` bytes
// (tables, then per block byte: forward links T and backward links LF as 3-byte indices, and the block byte, i.e. 7 bytes x maxLevel*100000), calls `bz_init`, then repeatedly calls `bz_decode`
// with whatever compressed bytes it has and an output region. Every call reports how many input bytes
// it consumed (`bz_in_used`) and how many output bytes it wrote (`bz_out_made`); bytes not consumed must be
// presented again, first, in the next call. Nothing here allocates; all loops are bounded by the input
// consumed or by the block size.
//
// Format summary (own words): stream = "BZh" + level '1'..'9', then bit-packed (MSB first) blocks, each
// starting with the 48-bit magic 0x314159265359, 32-bit block CRC, 1 randomised bit, 24-bit origPtr,
// a two-level 16x16 bitmap of bytes in use, the number of Huffman tables (2..6), the number of selectors
// (one per 50 symbols, MTF + unary coded), delta-coded code lengths per table, then Huffman symbols:
// RUNA/RUNB (bijective base-2 run length of the front MTF byte), MTF positions 1..nInUse-1, end of block.
// The block is the last column of a BWT (origPtr = row of the original string), whose inverse gives a
// byte string that is further run-length coded (4 equal bytes + a count byte 0..255). The stream ends with
// the 48-bit magic 0x177245385090, the combined CRC (rotate-left-1 then xor of each block CRC) and padding
// to a byte boundary. Several streams may be concatenated. CRC: CRC-32 with polynomial 0x04C11DB7,
// MSB-first, initial value and final xor 0xFFFFFFFF.
//
// Return codes of bz_decode: 0 done (all streams ended with the input), 1 needs more input, 2 output
// region full; negative = error (sticky), see BZE_* below. `bz_error_offset` gives the byte offset in the
// whole compressed input where the error was detected (for CRC errors: where the block starts).

// ---------------------------------------------------------------------------------------------------------
// constants

const BZ_DONE: i32 = 0;
const BZ_NEED_INPUT: i32 = 1;
const BZ_NEED_OUTPUT: i32 = 2;
const CONTINUE: i32 = 100;

const BZE_NOT_BZIP2: i32 = -1; // stream header is not "BZh1".."BZh9"
const BZE_LEVEL_TOO_BIG: i32 = -2; // block size level above the capacity given to bz_init
const BZE_BAD_BLOCK_MAGIC: i32 = -3; // neither block nor end-of-stream magic
const BZE_RANDOMISED: i32 = -4; // randomised block (bzip2 < 0.9.5), not supported
const BZE_BAD_TABLES: i32 = -5; // bad used-bitmap / group count / selectors / code lengths / Huffman code set
const BZE_BAD_CODE: i32 = -6; // bit pattern that is no Huffman code
const BZE_BAD_SELECTOR: i32 = -7; // more symbols than selectors
const BZE_BLOCK_OVERFLOW: i32 = -8; // block longer than the block size
const BZE_BAD_ORIGPTR: i32 = -9; // origPtr outside the block
const BZE_BLOCK_CRC: i32 = -10; // block CRC mismatch
const BZE_STREAM_CRC: i32 = -11; // combined stream CRC mismatch
const BZE_TRUNCATED: i32 = -12; // input ended inside a stream
const BZE_TRAILING: i32 = -13; // bytes after a stream that do not start another stream
const BZE_HEADER_TOO_LONG: i32 = -14; // block header (tables) longer than any valid one
const BZE_BAD_STATE: i32 = -15; // state block not initialised

const P_STREAM: i32 = 0; // expecting the first stream header
const P_NEXT_STREAM: i32 = 1; // a stream ended: end of input or another stream header
const P_BLOCK: i32 = 2; // expecting a block header or the end-of-stream marker
const P_SYMBOLS: i32 = 3; // Huffman/MTF decoding of a block into the block bytes
const P_OUTPUT: i32 = 4; // inverse BWT + run-length decoding into the output region
const P_DONE: i32 = 5;
const P_ERROR: i32 = 6;

const MAX_GROUPS: i32 = 6;
const MAX_ALPHA: i32 = 258;
const MAX_SELECTORS: i32 = 18002;
const MAX_CODE_LEN: i32 = 20;
const GROUP_SIZE: i32 = 50;
/** A valid block header (tables included) is < 33 KB; anything longer is rejected. */
const MAX_HEADER_BYTES: i32 = 49152;

const LUT_BITS: i32 = 10;
const LUT_SIZE: i32 = 1 << LUT_BITS;

// state block layout (byte offsets)
const F_MAGIC: usize = 0;
const F_PHASE: usize = 4;
const F_LEVEL: usize = 8;
const F_MAXLEVEL: usize = 12;
const F_BLOCKCAP: usize = 16;
const F_BITCNT: usize = 20;
const F_BITBUF: usize = 24; // u64
const F_INUSED: usize = 32;
const F_OUTMADE: usize = 36;
const F_ERRCODE: usize = 40;
const F_TOTALIN: usize = 48; // f64
const F_ERRPOS: usize = 56; // f64
const F_STOREDCRC: usize = 64;
const F_BLOCKCRC: usize = 68;
const F_STREAMCRC: usize = 72;
const F_ORIGPTR: usize = 76;
const F_NINUSE: usize = 80;
const F_NGROUPS: usize = 84;
const F_NSEL: usize = 88;
const F_GROUPNO: usize = 92;
const F_GROUPPOS: usize = 96;
const F_NBLOCK: usize = 100;
const F_RUNLEN: usize = 104;
const F_RUNW: usize = 108;
const F_TPOS: usize = 112;
const F_LEFT: usize = 116;
const F_LASTCH: usize = 120;
const F_RUNCNT: usize = 124;
const F_PENDCH: usize = 128;
const F_PENDN: usize = 132;
const F_BLOCKSTART: usize = 136; // f64
const F_BLOCKS: usize = 144;
const F_STREAMS: usize = 148;
const F_TOTALOUT: usize = 152; // f64
const F_BPOS: usize = 160; // next index into blk in the output phase

const STATE_MAGIC: i32 = 0x425a6453;

const OFF_SEL: usize = 256; // selectors, MAX_SELECTORS bytes
const OFF_LEN: usize = OFF_SEL + 18016; // code lengths, MAX_GROUPS * MAX_ALPHA bytes
const OFF_MTF: usize = OFF_LEN + 1552; // MTF list of byte values (256)
const OFF_SEQ: usize = OFF_MTF + 256; // bytes in use, ascending (256)
const OFF_GMTF: usize = OFF_SEQ + 256; // MTF list for selector decoding (16)
const OFF_COUNT: usize = OFF_GMTF + 16; // scratch: code length counts (21 i32) + base (21 i32)
const OFF_UNZF: usize = OFF_COUNT + 176; // byte histogram of the block (256 i32)
const OFF_CFTAB: usize = OFF_UNZF + 1024; // cumulative counts (257 i32)
const OFF_LUT: usize = ((OFF_CFTAB + 1040 + 15) & ~15); // MAX_GROUPS fast tables of LUT_SIZE u16: (sym << 5) | len
const SLOW_STRIDE: usize = 688; // per group: limit[21] i32, offs[21] i32, perm[258] u16
const SLOW_OFFS: usize = 84;
const SLOW_PERM: usize = 168;
const OFF_SLOW: usize = OFF_LUT + <usize>(MAX_GROUPS * LUT_SIZE * 2);
const OFF_BK: usize = OFF_SLOW + SLOW_STRIDE * <usize>MAX_GROUPS; // bucket of each 64-position slice (14064 bytes)
const OFF_TT: usize = ((OFF_BK + 14080 + 15) & ~15);

// CRC tables for slicing-by-8 (MSB-first): 8 x 256 u32, built once.
const CRC_TAB: usize = memory.data(8 * 1024, 16);
let crcReady: bool = false;

function crcInit(): void {
  if (crcReady) return;
  for (let b: u32 = 0; b < 256; b++) {
    let c: u32 = b << 24;
    for (let k = 0; k < 8; k++) c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x04c11db7 : c << 1;
    store<u32>(CRC_TAB + (<usize>b << 2), c);
  }
  for (let t: usize = 1; t < 8; t++) {
    for (let b: usize = 0; b < 256; b++) {
      const prev = load<u32>(CRC_TAB + ((t - 1) << 10) + (b << 2));
      store<u32>(CRC_TAB + (t << 10) + (b << 2), (prev << 8) ^ load<u32>(CRC_TAB + (<usize>(prev >> 24) << 2)));
    }
  }
  crcReady = true;
}

/**
 * Running bzip2 CRC register update over `len` bytes at `ptr` (start with 0xFFFFFFFF, finish with ~).
 * CRC-32/BZIP2: polynomial 0x04C11DB7, MSB-first.
 */
export function bz_crc_update(crc: u32, ptr: usize, len: i32): u32 {
  crcInit();
  let p = ptr;
  const end = ptr + <usize>len;
  const T = CRC_TAB;
  while (p + 8 <= end) {
    const a = bswap<u32>(load<u32>(p)) ^ crc;
    const b = bswap<u32>(load<u32>(p + 4));
    crc =
      load<u32>(T + 7168 + (<usize>(a >> 24) << 2)) ^
      load<u32>(T + 6144 + (<usize>((a >> 16) & 255) << 2)) ^
      load<u32>(T + 5120 + (<usize>((a >> 8) & 255) << 2)) ^
      load<u32>(T + 4096 + (<usize>(a & 255) << 2)) ^
      load<u32>(T + 3072 + (<usize>(b >> 24) << 2)) ^
      load<u32>(T + 2048 + (<usize>((b >> 16) & 255) << 2)) ^
      load<u32>(T + 1024 + (<usize>((b >> 8) & 255) << 2)) ^
      load<u32>(T + (<usize>(b & 255) << 2));
    p += 8;
  }
  while (p < end) {
    crc = (crc << 8) ^ load<u32>(T + (<usize>((crc >> 24) ^ <u32>load<u8>(p)) << 2));
    p++;
  }
  return crc;
}

// MTF_MASK[k]: lanes 0..k set (16 x 16 bytes), to blend a one-lane shift into the first k+1 bytes
const MTF_MASK: usize = memory.data(256, 16);
let mtfMaskReady: bool = false;

function mtfMaskInit(): void {
  if (mtfMaskReady) return;
  for (let k = 0; k < 16; k++) for (let i = 0; i < 16; i++) store<u8>(MTF_MASK + <usize>(k * 16 + i), i <= k ? 0xff : 0);
  mtfMaskReady = true;
}

/** MTF step (see bz_mtf_step); the list must have 16 readable/writable bytes. Needs mtfMaskInit(). */
@inline
function mtfStep(mtf: usize, k: i32): u8 {
  const v = load<u8>(mtf + <usize>k);
  if (k < 16) {
    const w = v128.load(mtf);
    const sh = v128.shuffle<u8>(w, w, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
    v128.store(mtf, v128.bitselect(sh, w, v128.load(MTF_MASK + (<usize>k << 4))));
  } else {
    memory.copy(mtf + 1, mtf, <usize>k);
  }
  store<u8>(mtf, v);
  return v;
}

/**
 * Move-to-front step used by the decoder: returns the byte at position `k` of the 256-byte list at `mtf`
 * and moves it to the front (positions 0..k-1 shift up by one). Requires 0 <= k < 256 and a list of at
 * least 16 bytes.
 */
export function bz_mtf_step(mtf: usize, k: i32): u8 {
  mtfMaskInit();
  return mtfStep(mtf, k);
}

// ---------------------------------------------------------------------------------------------------------
// API

/** Bytes needed for a decoder state able to decode streams with block size level <= maxLevel (1..9). */
export function bz_state_size(maxLevel: i32): i32 {
  if (maxLevel < 1) maxLevel = 1;
  if (maxLevel > 9) maxLevel = 9;
  return <i32>OFF_TT + maxLevel * 700008;
}

/** Initialise (or reset) the state block at `st` (16-aligned, bz_state_size(maxLevel) bytes). */
export function bz_init(st: usize, maxLevel: i32): void {
  crcInit();
  mtfMaskInit();
  if (maxLevel < 1) maxLevel = 1;
  if (maxLevel > 9) maxLevel = 9;
  memory.fill(st, 0, 256);
  store<i32>(st, STATE_MAGIC, F_MAGIC);
  store<i32>(st, P_STREAM, F_PHASE);
  store<i32>(st, maxLevel, F_MAXLEVEL);
  store<f64>(st, -1, F_ERRPOS);
}

/** Input bytes consumed by the last bz_decode call. */
export function bz_in_used(st: usize): i32 {
  return load<i32>(st, F_INUSED);
}
/** Output bytes written by the last bz_decode call. */
export function bz_out_made(st: usize): i32 {
  return load<i32>(st, F_OUTMADE);
}
/** Total compressed bytes consumed so far. */
export function bz_total_in(st: usize): f64 {
  return load<f64>(st, F_TOTALIN);
}
/** Total decompressed bytes produced so far. */
export function bz_total_out(st: usize): f64 {
  return load<f64>(st, F_TOTALOUT);
}
/** Byte offset in the compressed input where the (sticky) error was detected, -1 if none. */
export function bz_error_offset(st: usize): f64 {
  return load<f64>(st, F_ERRPOS);
}
/** Number of blocks fully decoded and CRC-checked. */
export function bz_blocks(st: usize): i32 {
  return load<i32>(st, F_BLOCKS);
}
/** Number of streams fully decoded and CRC-checked. */
export function bz_streams(st: usize): i32 {
  return load<i32>(st, F_STREAMS);
}

// bit reader for the (non-hot) header code: module globals, loaded from/stored to the state per call
let gBuf: u64 = 0; // unread bits, left aligned
let gCnt: i32 = 0; // number of unread bits in gBuf
let gPos: usize = 0;
let gEnd: usize = 0;
let gIn0: usize = 0;
let gBase: f64 = 0;
let gShort: bool = false;
let gFinal: bool = false;
let gOut: usize = 0;
let gOutEnd: usize = 0;

/** Byte offset (in the whole input) of the byte holding the next unread bit. */
@inline
function absAt(pos: usize, cnt: i32): f64 {
  return gBase + <f64>(pos - gIn0) - <f64>((cnt + 7) >> 3);
}

/** Next n bits (1..32), MSB first; on lack of input sets gShort and returns 0. */
function bits(n: i32): u32 {
  while (gCnt < n) {
    if (gPos >= gEnd) {
      gShort = true;
      return 0;
    }
    gBuf |= <u64>load<u8>(gPos) << <u64>(56 - gCnt);
    gPos++;
    gCnt += 8;
  }
  const v = <u32>(gBuf >> <u64>(64 - n));
  gBuf <<= <u64>n;
  gCnt -= n;
  return v;
}

function fail(st: usize, code: i32, at: f64): i32 {
  store<i32>(st, code, F_ERRCODE);
  store<i32>(st, P_ERROR, F_PHASE);
  store<f64>(st, at, F_ERRPOS);
  return code;
}

/**
 * Decode as much as possible. `in`/`inLen`: compressed bytes (continuing exactly after what previous calls
 * consumed); `final` != 0 when no more input will follow. Output goes to [out, out+outCap).
 * Returns 0 (done), 1 (needs input), 2 (output full) or a negative error code (sticky).
 */
export function bz_decode(st: usize, inp: usize, inLen: i32, final: i32, out: usize, outCap: i32): i32 {
  if (load<i32>(st, F_MAGIC) != STATE_MAGIC) return BZE_BAD_STATE;
  gBuf = load<u64>(st, F_BITBUF);
  gCnt = load<i32>(st, F_BITCNT);
  gPos = inp;
  gEnd = inp + (inLen > 0 ? <usize>inLen : 0);
  gIn0 = inp;
  gBase = load<f64>(st, F_TOTALIN);
  gShort = false;
  gFinal = final != 0;
  gOut = out;
  gOutEnd = out + (outCap > 0 ? <usize>outCap : 0);
  let status: i32 = CONTINUE;
  while (status == CONTINUE) {
    const phase = load<i32>(st, F_PHASE);
    if (phase == P_STREAM || phase == P_NEXT_STREAM) status = streamHeader(st, phase);
    else if (phase == P_BLOCK) status = blockHeader(st);
    else if (phase == P_SYMBOLS) status = decodeSymbols(st);
    else if (phase == P_OUTPUT) status = emitOutput(st);
    else if (phase == P_DONE) status = BZ_DONE;
    else status = load<i32>(st, F_ERRCODE);
  }
  store<u64>(st, gBuf, F_BITBUF);
  store<i32>(st, gCnt, F_BITCNT);
  const used = <i32>(gPos - inp);
  const made = <i32>(gOut - out);
  store<i32>(st, used, F_INUSED);
  store<i32>(st, made, F_OUTMADE);
  store<f64>(st, gBase + <f64>used, F_TOTALIN);
  store<f64>(st, load<f64>(st, F_TOTALOUT) + <f64>made, F_TOTALOUT);
  return status;
}

// ---------------------------------------------------------------------------------------------------------
// stream and block headers

function streamHeader(st: usize, phase: i32): i32 {
  if (phase == P_NEXT_STREAM && gCnt == 0 && gPos >= gEnd) {
    if (gFinal) {
      store<i32>(st, P_DONE, F_PHASE);
      return BZ_DONE;
    }
    return BZ_NEED_INPUT;
  }
  const cb = gBuf, cc = gCnt, cp = gPos;
  const at = absAt(gPos, gCnt);
  const b0 = bits(8), b1 = bits(8), b2 = bits(8), lv = bits(8);
  if (gShort) {
    if (!gFinal) {
      gBuf = cb; gCnt = cc; gPos = cp; gShort = false;
      return BZ_NEED_INPUT;
    }
    return fail(st, phase == P_STREAM ? BZE_TRUNCATED : BZE_TRAILING, at);
  }
  if (b0 != 0x42 || b1 != 0x5a || b2 != 0x68 || lv < 0x31 || lv > 0x39) {
    return fail(st, phase == P_STREAM ? BZE_NOT_BZIP2 : BZE_TRAILING, at);
  }
  const level = <i32>lv - 0x30;
  if (level > load<i32>(st, F_MAXLEVEL)) return fail(st, BZE_LEVEL_TOO_BIG, at);
  store<i32>(st, level, F_LEVEL);
  store<i32>(st, level * 100000, F_BLOCKCAP);
  store<u32>(st, 0, F_STREAMCRC);
  store<i32>(st, P_BLOCK, F_PHASE);
  return CONTINUE;
}

function blockHeader(st: usize): i32 {
  const cb = gBuf, cc = gCnt, cp = gPos;
  const at = absAt(gPos, gCnt);
  const m1 = bits(24), m2 = bits(24);
  if (gShort) return shortHeader(st, cb, cc, cp);
  if (m1 == 0x177245 && m2 == 0x385090) {
    const stored = bits(32);
    if (gShort) return shortHeader(st, cb, cc, cp);
    if (stored != load<u32>(st, F_STREAMCRC)) return fail(st, BZE_STREAM_CRC, at);
    const drop = gCnt & 7; // padding to the byte boundary
    gBuf <<= <u64>drop;
    gCnt -= drop;
    store<i32>(st, load<i32>(st, F_STREAMS) + 1, F_STREAMS);
    store<i32>(st, P_NEXT_STREAM, F_PHASE);
    return CONTINUE;
  }
  if (m1 != 0x314159 || m2 != 0x265359) return fail(st, BZE_BAD_BLOCK_MAGIC, at);
  const storedCrc = bits(32);
  const rand = bits(1);
  const origPtr = bits(24);
  if (gShort) return shortHeader(st, cb, cc, cp);
  if (rand != 0) return fail(st, BZE_RANDOMISED, at);

  // bytes in use
  const seq = st + OFF_SEQ;
  const used = bits(16);
  let nInUse = 0;
  for (let i = 0; i < 16; i++) {
    if ((used & (0x8000 >> i)) != 0) {
      const m = bits(16);
      for (let j = 0; j < 16; j++) {
        if ((m & (0x8000 >> j)) != 0) {
          store<u8>(seq + <usize>nInUse, <u8>(i * 16 + j));
          nInUse++;
        }
      }
    }
  }
  if (gShort) return shortHeader(st, cb, cc, cp);
  if (nInUse == 0) return fail(st, BZE_BAD_TABLES, absAt(gPos, gCnt));
  const alphaSize = nInUse + 2;

  const nGroups = <i32>bits(3);
  let nSel = <i32>bits(15);
  if (gShort) return shortHeader(st, cb, cc, cp);
  if (nGroups < 2 || nGroups > MAX_GROUPS || nSel < 1) return fail(st, BZE_BAD_TABLES, absAt(gPos, gCnt));

  // selectors: unary-coded MTF positions of the table index
  const gm = st + OFF_GMTF;
  for (let i = 0; i < MAX_GROUPS; i++) store<u8>(gm + <usize>i, <u8>i);
  const sel = st + OFF_SEL;
  for (let i = 0; i < nSel; i++) {
    let j = 0;
    while (true) {
      const b = bits(1);
      if (gShort || b == 0) break;
      j++;
      if (j >= nGroups) return fail(st, BZE_BAD_TABLES, absAt(gPos, gCnt));
    }
    if (gShort) break;
    const v = mtfStep(gm, j);
    if (i < MAX_SELECTORS) store<u8>(sel + <usize>i, v);
  }
  if (gShort) return shortHeader(st, cb, cc, cp);
  if (nSel > MAX_SELECTORS) nSel = MAX_SELECTORS;

  // delta-coded code lengths
  const lens = st + OFF_LEN;
  for (let t = 0; t < nGroups; t++) {
    let curr = <i32>bits(5);
    for (let s = 0; s < alphaSize; s++) {
      while (true) {
        if (gShort) break;
        if (curr < 1 || curr > MAX_CODE_LEN) return fail(st, BZE_BAD_TABLES, absAt(gPos, gCnt));
        if (<i32>(gPos - cp) > MAX_HEADER_BYTES) return fail(st, BZE_HEADER_TOO_LONG, at);
        if (bits(1) == 0) break;
        if (bits(1) == 0) curr++;
        else curr--;
      }
      if (gShort) break;
      store<u8>(lens + <usize>(t * MAX_ALPHA + s), <u8>curr);
    }
    if (gShort) break;
  }
  if (gShort) return shortHeader(st, cb, cc, cp);

  for (let t = 0; t < nGroups; t++) {
    if (!buildTable(st, t, alphaSize)) return fail(st, BZE_BAD_TABLES, absAt(gPos, gCnt));
  }

  // block decoding state
  const mtf = st + OFF_MTF;
  memory.copy(mtf, seq, <usize>nInUse);
  memory.fill(st + OFF_UNZF, 0, 1024);
  store<u32>(st, storedCrc, F_STOREDCRC);
  store<i32>(st, <i32>origPtr, F_ORIGPTR);
  store<i32>(st, nInUse, F_NINUSE);
  store<i32>(st, nGroups, F_NGROUPS);
  store<i32>(st, nSel, F_NSEL);
  store<i32>(st, -1, F_GROUPNO);
  store<i32>(st, 0, F_GROUPPOS);
  store<i32>(st, 0, F_NBLOCK);
  store<i32>(st, 0, F_RUNLEN);
  store<i32>(st, 1, F_RUNW);
  store<f64>(st, at, F_BLOCKSTART);
  store<i32>(st, P_SYMBOLS, F_PHASE);
  return CONTINUE;
}

/** Header parsing ran out of input: rewind to the block start (needs input) or report truncation. */
function shortHeader(st: usize, cb: u64, cc: i32, cp: usize): i32 {
  if (!gFinal) {
    gBuf = cb; gCnt = cc; gPos = cp; gShort = false;
    return BZ_NEED_INPUT;
  }
  return fail(st, BZE_TRUNCATED, gBase + <f64>(gEnd - gIn0));
}

/**
 * Canonical Huffman decoding tables of group t: a LUT_BITS-bit direct table (0 = longer or no code) and
 * per-length limits for the longer codes. False when the lengths over-subscribe the code space.
 */
function buildTable(st: usize, t: i32, alphaSize: i32): bool {
  const lens = st + OFF_LEN + <usize>(t * MAX_ALPHA);
  const cnt = st + OFF_COUNT; // count[0..20]
  const base = cnt + 88; // base[0..20]
  const slow = st + OFF_SLOW + SLOW_STRIDE * <usize>t;
  const lut = st + OFF_LUT + <usize>(t * LUT_SIZE * 2);
  memory.fill(cnt, 0, 88);
  for (let s = 0; s < alphaSize; s++) {
    const l = <usize>load<u8>(lens + <usize>s);
    store<i32>(cnt + (l << 2), load<i32>(cnt + (l << 2)) + 1);
  }
  let code = 0;
  let idx = 0;
  for (let l = 1; l <= MAX_CODE_LEN; l++) {
    const c = load<i32>(cnt + (<usize>l << 2));
    const limit = code + c;
    if (limit > (1 << l)) return false;
    store<i32>(slow + (<usize>l << 2), limit); // limit[l]
    store<i32>(slow + SLOW_OFFS + (<usize>l << 2), idx - code); // perm index = code + offs[l]
    store<i32>(base + (<usize>l << 2), idx);
    idx += c;
    code = limit << 1;
  }
  // perm: symbols by (length, symbol)
  for (let l = 1; l <= MAX_CODE_LEN; l++) {
    let k = load<i32>(base + (<usize>l << 2));
    if (load<i32>(cnt + (<usize>l << 2)) == 0) continue;
    for (let s = 0; s < alphaSize; s++) {
      if (<i32>load<u8>(lens + <usize>s) == l) {
        store<u16>(slow + SLOW_PERM + (<usize>k << 1), <u16>s);
        k++;
      }
    }
  }
  // direct table
  memory.fill(lut, 0, <usize>(LUT_SIZE * 2));
  for (let l = 1; l <= LUT_BITS; l++) {
    const c = load<i32>(cnt + (<usize>l << 2));
    if (c == 0) continue;
    const first = load<i32>(slow + (<usize>l << 2)) - c;
    const b0 = load<i32>(base + (<usize>l << 2));
    const span = 1 << (LUT_BITS - l);
    for (let k = 0; k < c; k++) {
      const sym = <i32>load<u16>(slow + SLOW_PERM + (<usize>(b0 + k) << 1));
      const e = <u16>((sym << 5) | l);
      const start = (first + k) << (LUT_BITS - l);
      for (let q = 0; q < span; q++) store<u16>(lut + (<usize>(start + q) << 1), e);
    }
  }
  return true;
}

/** Codes longer than LUT_BITS: returns (sym << 5) | len, or -1 when the bits match no code. */
@inline
function slowDecode(slow: usize, buf: u64): i32 {
  for (let l = LUT_BITS + 1; l <= MAX_CODE_LEN; l++) {
    const code = <i32>(buf >> <u64>(64 - l));
    if (code < load<i32>(slow + (<usize>l << 2))) {
      const sym = <i32>load<u16>(slow + SLOW_PERM + (<usize>(code + load<i32>(slow + SLOW_OFFS + (<usize>l << 2))) << 1));
      return (sym << 5) | l;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------
// symbol decoding (hot)

function decodeSymbols(st: usize): i32 {
  let buf = gBuf;
  let cnt = gCnt;
  let pos = gPos;
  const end = gEnd;
  const final = gFinal;
  const tt = st + OFF_TT;
  const blk = tt + <usize>load<i32>(st, F_MAXLEVEL) * 600008;
  const mtf = st + OFF_MTF;
  const unzf = st + OFF_UNZF;
  const selp = st + OFF_SEL;
  const cap = load<i32>(st, F_BLOCKCAP);
  const nSel = load<i32>(st, F_NSEL);
  const eob = load<i32>(st, F_NINUSE) + 1;
  let nblock = load<i32>(st, F_NBLOCK);
  let groupNo = load<i32>(st, F_GROUPNO);
  let groupPos = load<i32>(st, F_GROUPPOS);
  let runLen = load<i32>(st, F_RUNLEN);
  let runW = load<i32>(st, F_RUNW);
  let lut: usize = 0;
  let slow: usize = 0;
  if (groupNo >= 0) {
    const t = <usize>load<u8>(selp + <usize>groupNo);
    lut = st + OFF_LUT + t * <usize>(LUT_SIZE * 2);
    slow = st + OFF_SLOW + t * SLOW_STRIDE;
  }
  let err: i32 = 0;
  let needInput = false;
  while (true) {
    if (groupPos == 0) {
      groupNo++;
      if (groupNo >= nSel) {
        err = BZE_BAD_SELECTOR;
        break;
      }
      const t = <usize>load<u8>(selp + <usize>groupNo);
      lut = st + OFF_LUT + t * <usize>(LUT_SIZE * 2);
      slow = st + OFF_SLOW + t * SLOW_STRIDE;
      groupPos = GROUP_SIZE;
    }
    if (cnt < 32) {
      if (pos + 4 <= end) {
        buf |= <u64>bswap<u32>(load<u32>(pos)) << <u64>(32 - cnt);
        pos += 4;
        cnt += 32;
      } else {
        while (cnt <= 56 && pos < end) {
          buf |= <u64>load<u8>(pos) << <u64>(56 - cnt);
          pos++;
          cnt += 8;
        }
        if (cnt < MAX_CODE_LEN && !final) {
          needInput = true;
          break;
        }
      }
    }
    const e = <i32>load<u16>(lut + (<usize>(buf >> <u64>(64 - LUT_BITS)) << 1));
    let len = e & 31;
    let sym = e >> 5;
    if (len == 0) {
      const r = slowDecode(slow, buf);
      if (r < 0) {
        err = BZE_BAD_CODE;
        break;
      }
      len = r & 31;
      sym = r >> 5;
    }
    if (len > cnt) {
      err = BZE_TRUNCATED;
      break;
    }
    buf <<= <u64>len;
    cnt -= len;
    groupPos--;
    if (sym < 2) {
      // RUNA adds w, RUNB adds 2w; w doubles
      runLen += runW << sym;
      runW <<= 1;
      if (runLen > cap) {
        err = BZE_BLOCK_OVERFLOW;
        break;
      }
      continue;
    }
    if (runLen > 0) {
      if (runLen > cap - nblock) {
        err = BZE_BLOCK_OVERFLOW;
        break;
      }
      const b = <u32>load<u8>(mtf);
      const hp = unzf + (<usize>b << 2);
      store<i32>(hp, load<i32>(hp) + runLen);
      memory.fill(blk + <usize>nblock, <u8>b, <usize>runLen);
      nblock += runLen;
      runLen = 0;
      runW = 1;
    }
    if (sym == eob) break;
    if (nblock >= cap) {
      err = BZE_BLOCK_OVERFLOW;
      break;
    }
    // move-to-front of position sym-1
    const b = mtfStep(mtf, sym - 1);
    store<u8>(blk + <usize>nblock, b);
    const hp = unzf + (<usize>b << 2);
    store<i32>(hp, load<i32>(hp) + 1);
    nblock++;
  }
  gBuf = buf;
  gCnt = cnt;
  gPos = pos;
  store<i32>(st, nblock, F_NBLOCK);
  store<i32>(st, groupNo, F_GROUPNO);
  store<i32>(st, groupPos, F_GROUPPOS);
  store<i32>(st, runLen, F_RUNLEN);
  store<i32>(st, runW, F_RUNW);
  if (err != 0) return fail(st, err, absAt(pos, cnt));
  if (needInput) return BZ_NEED_INPUT;

  // end of block: inverse BWT links
  const origPtr = load<i32>(st, F_ORIGPTR);
  if (origPtr >= nblock) return fail(st, BZE_BAD_ORIGPTR, load<f64>(st, F_BLOCKSTART));
  const cft = st + OFF_CFTAB;
  let sum = 0;
  for (let i: usize = 0; i < 256; i++) {
    store<i32>(cft + (i << 2), sum);
    sum += load<i32>(unzf + (i << 2));
  }
  // t3[j] = T[j], l3[i] = LF[i] (LF = T^-1), 3 bytes each; the byte of a position comes from its bucket
  const capN = <usize>load<i32>(st, F_MAXLEVEL) * 100000;
  const t3 = tt;
  const l3 = tt + capN * 3 + 4;
  for (let i = 0; i < nblock; i++) {
    const uc = <usize>load<u8>(blk + <usize>i);
    const cp = cft + (uc << 2);
    const j = load<i32>(cp);
    store<i32>(cp, j + 1);
    const q = t3 + <usize>j * 3;
    store<u16>(q, <u16>i);
    store<u8>(q + 2, <u8>(i >> 16));
    store<u32>(l3 + <usize>i * 3, <u32>j);
  }
  // now cft[c] = end of bucket c; bk[x >> 6] = bucket holding position (x >> 6) << 6
  const bk = st + OFF_BK;
  {
    let c = 0;
    for (let x = 0; x < nblock; x += 64) {
      while (load<i32>(cft + (<usize>c << 2)) <= x) c++;
      store<u8>(bk + <usize>(x >> 6), <u8>c);
    }
  }
  let f = <u32>origPtr;
  let b = <u32>origPtr;
  const half = nblock >> 1;
  let lo = blk;
  let hi = blk + <usize>nblock;
  const mid = blk + <usize>half;
  while (lo < mid) {
    let c = <usize>load<u8>(bk + <usize>(f >> 6));
    while (<u32>load<i32>(cft + (c << 2)) <= f) c++;
    store<u8>(lo, <u8>c);
    f = load<u32>(t3 + <usize>f * 3) & 0xffffff;
    const nb = load<u32>(l3 + <usize>b * 3) & 0xffffff;
    let d = <usize>load<u8>(bk + <usize>(nb >> 6));
    while (<u32>load<i32>(cft + (d << 2)) <= nb) d++;
    hi--;
    store<u8>(hi, <u8>d);
    b = nb;
    lo++;
  }
  if (hi > mid) {
    const nb = load<u32>(l3 + <usize>b * 3) & 0xffffff;
    let d = <usize>load<u8>(bk + <usize>(nb >> 6));
    while (<u32>load<i32>(cft + (d << 2)) <= nb) d++;
    store<u8>(mid, <u8>d);
  }
  store<i32>(st, 0, F_BPOS);
  store<i32>(st, nblock, F_LEFT);
  store<i32>(st, -1, F_LASTCH);
  store<i32>(st, 0, F_RUNCNT);
  store<i32>(st, 0, F_PENDN);
  store<u32>(st, 0xffffffff, F_BLOCKCRC);
  store<i32>(st, P_OUTPUT, F_PHASE);
  return CONTINUE;
}

// ---------------------------------------------------------------------------------------------------------
// inverse BWT + run-length decoding (hot)

function emitOutput(st: usize): i32 {
  const blk = st + OFF_TT + <usize>load<i32>(st, F_MAXLEVEL) * 600008;
  let bp = load<i32>(st, F_BPOS);
  const bn = load<i32>(st, F_LEFT);
  let lastCh = load<i32>(st, F_LASTCH);
  let runCnt = load<i32>(st, F_RUNCNT);
  let pendCh = load<i32>(st, F_PENDCH);
  let pendN = load<i32>(st, F_PENDN);
  const out0 = gOut;
  let out = gOut;
  const outEnd = gOutEnd;
  while (true) {
    if (pendN > 0) {
      const room = <i32>(outEnd - out);
      const n = pendN < room ? pendN : room;
      memory.fill(out, <u8>pendCh, <usize>n);
      out += <usize>n;
      pendN -= n;
      if (pendN > 0) break;
    }
    let gotCount = false;
    while (bp < bn) {
      if (runCnt == 4) {
        // the byte after 4 equal ones is a repeat count (read even when the output is full)
        pendN = <i32>load<u8>(blk + <usize>bp);
        bp++;
        pendCh = lastCh;
        runCnt = 0;
        lastCh = -1;
        gotCount = true;
        break;
      }
      if (out >= outEnd) break;
      const ch = <i32>load<u8>(blk + <usize>bp);
      bp++;
      if (ch == lastCh) runCnt++;
      else {
        lastCh = ch;
        runCnt = 1;
      }
      store<u8>(out, <u8>ch);
      out++;
    }
    if (!gotCount) break;
  }
  gOut = out;
  let crc = bz_crc_update(load<u32>(st, F_BLOCKCRC), out0, <i32>(out - out0));
  store<u32>(st, crc, F_BLOCKCRC);
  store<i32>(st, bp, F_BPOS);
  store<i32>(st, lastCh, F_LASTCH);
  store<i32>(st, runCnt, F_RUNCNT);
  store<i32>(st, pendCh, F_PENDCH);
  store<i32>(st, pendN, F_PENDN);
  if (bp < bn || pendN > 0) return BZ_NEED_OUTPUT;
  crc = ~crc;
  if (crc != load<u32>(st, F_STOREDCRC)) return fail(st, BZE_BLOCK_CRC, load<f64>(st, F_BLOCKSTART));
  const sc = load<u32>(st, F_STREAMCRC);
  store<u32>(st, ((sc << 1) | (sc >> 31)) ^ crc, F_STREAMCRC);
  store<i32>(st, load<i32>(st, F_BLOCKS) + 1, F_BLOCKS);
  store<i32>(st, P_BLOCK, F_PHASE);
  return CONTINUE;
}
