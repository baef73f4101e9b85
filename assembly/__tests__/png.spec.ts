import { png_scratch_size, png_crc_init, png_crc32, png_inflate, png_unfilter_convert } from "../png";

// `zlib.deflateSync("hello hello hello hello, png world! aaaaaaaaaaaaaaaaaaaa", { strategy: Z_FIXED })`
const FIXED: u8[] = [120, 1, 203, 72, 205, 201, 201, 87, 200, 64, 39, 117, 20, 10, 242, 210, 21, 202, 243, 139, 114, 82, 20, 21, 18, 177, 0, 0, 69, 86, 20, 95];
const TEXT = "hello hello hello hello, png world! aaaaaaaaaaaaaaaaaaaa";

function bytesOf(a: u8[]): usize {
  const p = heap.alloc(a.length);
  for (let i = 0; i < a.length; i++) store<u8>(p + <usize>i, a[i]);
  return p;
}

function crcBitwise(p: usize, n: i32): u32 {
  let c: u32 = 0xffffffff;
  for (let i = 0; i < n; i++) {
    c ^= <u32>load<u8>(p + <usize>i);
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return c ^ 0xffffffff;
}

let scratch: usize = 0;
function sc(): usize {
  if (scratch == 0) scratch = heap.alloc(png_scratch_size());
  return scratch;
}

describe("png kernels", () => {
  it("CRC-32: the IEND chunk's CRC, and the bitwise definition on every length 0..300", () => {
    const s = sc();
    png_crc_init(s);
    const iend = bytesOf([0x49, 0x45, 0x4e, 0x44]);
    expect(png_crc32(s, iend, 4)).toBe(0xae426082);
    const buf = heap.alloc(300);
    for (let i = 0; i < 300; i++) store<u8>(buf + <usize>i, <u8>(i * 37 + 11));
    for (let n = 0; n <= 300; n++) expect(png_crc32(s, buf, n)).toBe(crcBitwise(buf, n));
  });

  it("inflate: a fixed-Huffman stream, its truncations and a too small capacity", () => {
    const z = bytesOf(FIXED);
    const out = heap.alloc(TEXT.length + 16);
    expect(png_inflate(z, FIXED.length, out, TEXT.length, sc())).toBe(TEXT.length);
    for (let i = 0; i < TEXT.length; i++) expect(<i32>load<u8>(out + <usize>i)).toBe(TEXT.charCodeAt(i));
    expect(png_inflate(z, FIXED.length - 4, out, TEXT.length, sc())).toBe(TEXT.length); // no Adler-32: accepted
    expect(png_inflate(z, FIXED.length - 6, out, TEXT.length, sc())).toBeLessThan(0);
    expect(png_inflate(z, FIXED.length, out, TEXT.length - 1, sc())).toBe(-2);
  });

  it("unfilter + convert: Sub then Paeth rows of RGB, and an unknown filter type", () => {
    // row 0: Sub, pixels (10,20,30) (+5,+5,+5); row 1: Paeth, residuals 1
    const raw = bytesOf([1, 10, 20, 30, 5, 5, 5, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const rgb = heap.alloc(12);
    expect(png_unfilter_convert(raw, 2, 2, 2, rgb, 0, -1, -1, -1)).toBe(0);
    const want: u8[] = [10, 20, 30, 15, 25, 35, 11, 21, 31, 16, 26, 36];
    for (let i = 0; i < 12; i++) expect(load<u8>(rgb + <usize>i)).toBe(want[i]);
    store<u8>(raw, 5);
    expect(png_unfilter_convert(raw, 2, 2, 2, rgb, 0, -1, -1, -1)).toBe(-3);
  });
});
