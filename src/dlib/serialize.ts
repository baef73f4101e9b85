/**
 * dlib's primitive serialization (dlib/serialize.h, dlib/float_details.h), read from bytes.
 * See SERIALIZATION.md §1–2. Every read checks the bytes left and throws `DlibFormatError` naming the file and
 * the byte offset; nothing is allocated beyond what the remaining bytes can justify.
 */
import { DlibFormatError } from "../errors.js";

export interface TensorHeader {
  /** byte offset of the first float32 value */
  dataOffset: number;
  n: number;
  k: number;
  nr: number;
  nc: number;
  /** n*k*nr*nc */
  size: number;
}

export class DlibReader {
  readonly bytes: Uint8Array;
  readonly file: string;
  pos: number;
  /** Description of what is being read, for error messages (e.g. "con_5 (layer 12)"). */
  context = "";
  private dv: DataView;

  constructor(bytes: Uint8Array, file = "<bytes>", pos = 0) {
    this.bytes = bytes;
    this.file = file;
    this.pos = pos;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Throw a DlibFormatError at `offset` (default: current position). */
  fail(message: string, offset = this.pos): never {
    throw new DlibFormatError(message, { file: this.file, offset, layer: this.context });
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      this.fail(`unexpected end of file reading ${what} (need ${n} bytes, ${this.remaining} left)`);
    }
  }

  /** Any dlib integer (§1.1), as a JS number. Magnitudes beyond 2^53 are rejected. */
  int(what = "integer"): number {
    const start = this.pos;
    this.need(1, what);
    const c = this.bytes[this.pos++];
    if (c & 0x70) this.fail(`bad integer control byte 0x${c.toString(16)} for ${what}`, start);
    const n = c & 0x0f;
    if (n < 1 || n > 8) this.fail(`bad integer size ${n} for ${what}`, start);
    this.need(n, what);
    let v = 0;
    let mul = 1;
    for (let i = 0; i < n; i++) {
      v += this.bytes[this.pos + i] * mul;
      mul *= 256;
    }
    if (n === 8 && this.bytes[this.pos + 7] >= 0x20) this.fail(`integer too large for ${what}`, start);
    this.pos += n;
    return c & 0x80 ? -v : v;
  }

  /** A non-negative integer not above `max`. */
  uint(what = "unsigned integer", max = Number.MAX_SAFE_INTEGER): number {
    const start = this.pos;
    const v = this.int(what);
    if (v < 0) this.fail(`${what} must not be negative (got ${v})`, start);
    if (v > max) this.fail(`${what} = ${v} exceeds ${max}`, start);
    return v;
  }

  /** Expect an integer equal to one of `allowed`. */
  version(what: string, allowed: number[]): number {
    const start = this.pos;
    const v = this.int(what);
    if (!allowed.includes(v)) this.fail(`${what}: unsupported version ${v} (expected ${allowed.join(" or ")})`, start);
    return v;
  }

  /** One raw byte (char / uint8). */
  byte(what = "byte"): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  /** bool: ASCII '1' / '0'. */
  bool(what = "bool"): boolean {
    const start = this.pos;
    this.need(1, what);
    const b = this.bytes[this.pos++];
    if (b === 0x31) return true;
    if (b === 0x30) return false;
    return this.fail(`bad bool byte 0x${b.toString(16)} for ${what}`, start);
  }

  /** float/double (float_details, §1.4) as a double. `asFloat` rounds to float32 like dlib's float fields. */
  float(what = "float", asFloat = true): number {
    const start = this.pos;
    this.need(1, what);
    if (this.bytes[this.pos] & 0x70) this.fail(`legacy ASCII float encoding is not supported (${what})`, start);
    const mant = this.int64(what);
    const exp = this.int(what);
    let v: number;
    if (exp === 32000) v = Infinity;
    else if (exp === 32001) v = -Infinity;
    else if (exp === 32002) v = NaN;
    else {
      if (exp < -32768 || exp > 32767) this.fail(`bad float exponent ${exp} for ${what}`, start);
      // dlib converts the mantissa to the field's type first, then ldexp
      const m = asFloat ? Math.fround(mant) : mant;
      v = ldexp(m, exp);
    }
    return asFloat ? Math.fround(v) : v;
  }

  /** double field. */
  double(what = "double"): number {
    return this.float(what, false);
  }

  /** int64 mantissa of float_details, as a JS number (rounded to double as dlib's conversion does). */
  private int64(what: string): number {
    const start = this.pos;
    this.need(1, what);
    const c = this.bytes[this.pos++];
    const n = c & 0x0f;
    if (c & 0x70 || n < 1 || n > 8) this.fail(`bad integer control byte 0x${c.toString(16)} for ${what}`, start);
    this.need(n, what);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[this.pos + i]);
    this.pos += n;
    const num = Number(v);
    return c & 0x80 ? -num : num;
  }

  /** std::string (length-prefixed bytes). */
  string(what = "string", maxLen = 1 << 20): string {
    const start = this.pos;
    const len = this.uint(`${what} length`, maxLen);
    this.need(len, what);
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.bytes[this.pos + i]);
    this.pos += len;
    void start;
    return s;
  }

  /** Peek a std::string without consuming it; null if what follows cannot be a short string. */
  peekString(maxLen = 64): string | null {
    const save = this.pos;
    try {
      const c = this.bytes[this.pos];
      if (c === undefined || c & 0xf0) return null;
      const s = this.string("string", maxLen);
      return s;
    } catch {
      return null;
    } finally {
      this.pos = save;
    }
  }

  /** tensor / resizable_tensor (§2): returns the header; the float32 data is skipped (read via dataOffset). */
  tensor(what = "tensor"): TensorHeader {
    const start = this.pos;
    this.version(`${what} version`, [2]);
    const n = this.uint(`${what} num_samples`);
    const k = this.uint(`${what} k`);
    const nr = this.uint(`${what} nr`);
    const nc = this.uint(`${what} nc`);
    const size = n * k * nr * nc;
    if (!Number.isSafeInteger(size) || size * 4 > this.remaining) {
      this.fail(`${what} of shape [${n},${k},${nr},${nc}] needs ${size * 4} bytes but only ${this.remaining} are left`, start);
    }
    const dataOffset = this.pos;
    this.pos += size * 4;
    return { dataOffset, n, k, nr, nc, size };
  }

  /** alias_tensor (§2): version 1 and a shape, no data. */
  aliasTensor(what = "alias_tensor"): { n: number; k: number; nr: number; nc: number; size: number } {
    this.version(`${what} version`, [1]);
    const n = this.uint(`${what} num_samples`);
    const k = this.uint(`${what} k`);
    const nr = this.uint(`${what} nr`);
    const nc = this.uint(`${what} nc`);
    return { n, k, nr, nc, size: n * k * nr * nc };
  }

  /** Read `count` little-endian float32 values at `offset` into `out` (no bounds beyond the file). */
  floatsAt(offset: number, count: number, out: Float32Array, outOffset = 0): void {
    if (offset + count * 4 > this.bytes.length) this.fail(`float data past end of file`, offset);
    if (((this.bytes.byteOffset + offset) & 3) === 0) {
      out.set(new Float32Array(this.bytes.buffer, this.bytes.byteOffset + offset, count), outOffset);
    } else {
      for (let i = 0; i < count; i++) out[outOffset + i] = this.dv.getFloat32(offset + 4 * i, true);
    }
  }

  /** matrix<T,0,1> / matrix<T> (§1.6): -nr, -nc, then elements. Returns [nr, nc, values]. */
  matrix(what: string, elem: "float" | "double", maxElems = Number.MAX_SAFE_INTEGER): { nr: number; nc: number; data: Float64Array } {
    const start = this.pos;
    let nr = this.int(`${what} rows`);
    let nc = this.int(`${what} cols`);
    if (nr < 0 || nc < 0) {
      if (!(nr <= 0 && nc <= 0)) this.fail(`${what}: inconsistent matrix size signs (${nr}, ${nc})`, start);
      nr = -nr;
      nc = -nc;
    }
    const count = nr * nc;
    // every element takes at least 4 bytes (float_details: two integers of >= 2 bytes)
    if (count > maxElems || count * 4 > this.remaining) this.fail(`${what}: matrix ${nr}x${nc} does not fit in the ${this.remaining} bytes left`, start);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = this.float(what, elem === "float");
    return { nr, nc, data };
  }
}

/** x * 2^e without overflow in intermediate powers. */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  if (e > 1023) return ldexp(x * 2 ** 1023, e - 1023);
  if (e < -1022) return ldexp(x * 2 ** -1022, e + 1022);
  return x * 2 ** e;
}
