import { bz_crc_update, bz_mtf_step, bz_state_size, bz_init, bz_decode, bz_in_used, bz_out_made, bz_error_offset } from "../bzip2";

// `printf 'hello hello hello, bzip2 world!\naaaa...a(40)\n' | bzip2 -9`
const TINY: u8[] = [
  0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x7a, 0xcb,
  0x93, 0xd4, 0x00, 0x00, 0x09, 0xd9, 0x80, 0x00, 0x10, 0x64, 0x04, 0x10,
  0x00, 0x36, 0x64, 0xd0, 0x90, 0x20, 0x00, 0x22, 0x35, 0x32, 0x34, 0xc8,
  0x64, 0x68, 0x53, 0x4c, 0x8c, 0x4c, 0x4c, 0x43, 0x4b, 0xc1, 0x2b, 0xb2,
  0x49, 0x86, 0x79, 0x80, 0x88, 0x55, 0xee, 0x85, 0x21, 0x55, 0xbc, 0xd7,
  0xc5, 0xdc, 0x91, 0x4e, 0x14, 0x24, 0x1e, 0xb2, 0xe4, 0xf5, 0x00,
];
const TEXT = "hello hello hello, bzip2 world!\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";

function bytesOf(a: u8[]): usize {
  const p = heap.alloc(a.length);
  for (let i = 0; i < a.length; i++) store<u8>(p + <usize>i, a[i]);
  return p;
}

function textPtr(s: string): usize {
  const buf = String.UTF8.encode(s);
  const p = heap.alloc(buf.byteLength);
  memory.copy(p, changetype<usize>(buf), buf.byteLength);
  return p;
}

/** Plain bit-at-a-time CRC-32/BZIP2 register update, the oracle for the table version. */
function crcBitwise(crc: u32, p: usize, n: i32): u32 {
  for (let i = 0; i < n; i++) {
    crc ^= <u32>load<u8>(p + <usize>i) << 24;
    for (let k = 0; k < 8; k++) crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc;
}

let st: usize = 0;
function freshState(): usize {
  if (st == 0) st = heap.alloc(bz_state_size(9));
  bz_init(st, 9);
  return st;
}

describe("bzip2 CRC", () => {
  it("gives the CRC-32/BZIP2 check value of '123456789'", () => {
    const p = textPtr("123456789");
    expect(~bz_crc_update(0xffffffff, p, 9)).toBe(<u32>0xfc891918);
  });
  it("slicing-by-8 equals the bitwise definition at every length and split", () => {
    const n = 300;
    const p = heap.alloc(n);
    let x: u32 = 12345;
    for (let i = 0; i < n; i++) {
      x = x * 1103515245 + 12345;
      store<u8>(p + <usize>i, <u8>(x >> 16));
    }
    for (let len = 0; len <= n; len += 7) {
      const a = bz_crc_update(0xffffffff, p, len);
      expect(a).toBe(crcBitwise(0xffffffff, p, len));
      const h = len >> 1;
      expect(bz_crc_update(bz_crc_update(0xffffffff, p, h), p + <usize>h, len - h)).toBe(a);
    }
  });
});

describe("bzip2 MTF", () => {
  it("moves the chosen entry to the front, shifting the ones before it", () => {
    const m = heap.alloc(256);
    for (let i = 0; i < 256; i++) store<u8>(m + <usize>i, <u8>i);
    expect(bz_mtf_step(m, 3)).toBe(<u8>3);
    expect(load<u8>(m)).toBe(<u8>3);
    expect(load<u8>(m + 1)).toBe(<u8>0);
    expect(load<u8>(m + 3)).toBe(<u8>2);
    expect(load<u8>(m + 4)).toBe(<u8>4);
    expect(bz_mtf_step(m, 200)).toBe(<u8>200); // memory.copy path
    expect(load<u8>(m + 1)).toBe(<u8>3);
    expect(load<u8>(m + 200)).toBe(<u8>199);
    expect(load<u8>(m + 201)).toBe(<u8>201);
    expect(bz_mtf_step(m, 0)).toBe(<u8>200);
  });
  it("matches a plain shifting reference over 5000 random steps (every k, SIMD and copy paths)", () => {
    const m = heap.alloc(256);
    const r = heap.alloc(256);
    for (let i = 0; i < 256; i++) {
      store<u8>(m + <usize>i, <u8>(255 - i));
      store<u8>(r + <usize>i, <u8>(255 - i));
    }
    let x: u32 = 777;
    for (let step = 0; step < 5000; step++) {
      x = x * 1103515245 + 12345;
      const k = step < 256 ? step : <i32>((x >> 8) % ((x & 1) != 0 ? 16 : 256));
      const v = load<u8>(r + <usize>k);
      for (let j = k; j > 0; j--) store<u8>(r + <usize>j, load<u8>(r + <usize>(j - 1)));
      store<u8>(r, v);
      expect(bz_mtf_step(m, k)).toBe(v);
      expect(memory.compare(m, r, 256)).toBe(0);
    }
  });
});

describe("bzip2 stream", () => {
  it("decodes a tiny stream in one call", () => {
    const s = freshState();
    const inp = bytesOf(TINY);
    const out = heap.alloc(256);
    const r = bz_decode(s, inp, TINY.length, 1, out, 256);
    expect(r).toBe(0);
    expect(bz_in_used(s)).toBe(TINY.length);
    expect(bz_out_made(s)).toBe(TEXT.length);
    const want = textPtr(TEXT);
    expect(memory.compare(out, want, TEXT.length)).toBe(0);
  });

  it("decodes the same stream fed one byte at a time into a one-byte output window", () => {
    const s = freshState();
    const inp = bytesOf(TINY);
    const out = heap.alloc(256);
    let ip = 0;
    let op = 0;
    let r = 1;
    let calls = 0;
    let pendingIn = 0; // unconsumed bytes start at inp + ip
    while (calls < 100000) {
      calls++;
      const avail = pendingIn;
      const final = ip + avail >= TINY.length ? 1 : 0;
      r = bz_decode(s, inp + <usize>ip, avail, final, out + <usize>op, 1);
      ip += bz_in_used(s);
      pendingIn = avail - bz_in_used(s);
      op += bz_out_made(s);
      if (r == 0 || r < 0) break;
      if (r == 1) pendingIn++; // offer one more byte
    }
    expect(r).toBe(0);
    expect(op).toBe(TEXT.length);
    expect(memory.compare(out, textPtr(TEXT), TEXT.length)).toBe(0);
  });

  it("reports a block CRC mismatch at the block start", () => {
    const s = freshState();
    const inp = bytesOf(TINY);
    store<u8>(inp + 10, load<u8>(inp + 10) ^ 1); // stored block CRC
    const out = heap.alloc(256);
    expect(bz_decode(s, inp, TINY.length, 1, out, 256)).toBe(-10);
    expect(bz_error_offset(s)).toBe(4.0);
  });

  it("reports truncation when the input ends early", () => {
    const s = freshState();
    const inp = bytesOf(TINY);
    const out = heap.alloc(256);
    expect(bz_decode(s, inp, 40, 1, out, 256)).toBe(-12);
    const s2 = freshState();
    expect(bz_decode(s2, inp, 40, 0, out, 256)).toBe(1);
  });

  it("rejects a non-bzip2 header", () => {
    const s = freshState();
    const inp = bytesOf([0x42, 0x5a, 0x68, 0x30, 0, 0, 0, 0]);
    const out = heap.alloc(16);
    expect(bz_decode(s, inp, 8, 1, out, 16)).toBe(-1);
  });
});
