/**
 * bzip2 decompression on the wasm decoder of `assembly/bzip2.ts`. Works in every runtime with WebAssembly
 * (no Buffer, no Node streams).
 *
 * - `bunzip2(bytes)`: whole input → whole output as a Uint8Array.
 * - `Bunzip2Stream`: push compressed chunks, pull decompressed bytes straight into a region of the wasm
 *   memory (`decodeInto(ptr, cap)`), so a model can be decompressed where its reader reads it.
 * - `bunzip2Chunks(source)`: async generator over decompressed chunks of a ReadableStream/AsyncIterable.
 * - `bunzip2IntoArena(source)`: the whole output in one wasm arena block, read in place.
 *
 * Every corrupt, truncated or CRC-failing input raises `DecompressError` naming the file and the byte offset
 * in the compressed input; exceeding `maxOutputBytes` raises `DecompressError` as soon as the output would
 * pass the limit.
 */
import { DecompressError } from "../errors.js";
import { defaultKernels, type Kernels } from "../nn/wasm.js";

/** Default limit on the decompressed size (1 GiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 30;

/** True when `b` starts like a bzip2 stream: "BZh1".."BZh9" (then a block or end-of-stream magic if present). */
export function isBzip2(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0x42 || b[1] !== 0x5a || b[2] !== 0x68 || b[3] < 0x31 || b[3] > 0x39) return false;
  if (b.length < 10) return true;
  const block = b[4] === 0x31 && b[5] === 0x41 && b[6] === 0x59 && b[7] === 0x26 && b[8] === 0x53 && b[9] === 0x59;
  const eos = b[4] === 0x17 && b[5] === 0x72 && b[6] === 0x45 && b[7] === 0x38 && b[8] === 0x50 && b[9] === 0x90;
  return block || eos;
}

export interface Bunzip2Options {
  /** Name used in error messages (default "<bytes>"). */
  file?: string;
  /** Largest decompressed size accepted, in bytes (default 1 GiB). */
  maxOutputBytes?: number;
  /** Kernel instance whose memory/arena is used (default: the shared `defaultKernels()`). */
  kernels?: Kernels;
  /** Size of the wasm-side compressed input window (default 1 MiB, at least 64 KiB). */
  inputWindowBytes?: number;
}

interface BzExports {
  bz_state_size(maxLevel: number): number;
  bz_init(st: number, maxLevel: number): void;
  bz_decode(st: number, inp: number, inLen: number, final: number, out: number, outCap: number): number;
  bz_in_used(st: number): number;
  bz_out_made(st: number): number;
  bz_error_offset(st: number): number;
}

const ST_DONE = 0;
const ST_NEED_INPUT = 1;
const ST_NEED_OUTPUT = 2;

const MESSAGES: Record<number, string> = {
  [-1]: "not a bzip2 stream (expected 'BZh1'..'BZh9')",
  [-2]: "block size level larger than the decoder was set up for",
  [-3]: "bad block magic (corrupt data)",
  [-4]: "randomised block (bzip2 < 0.9.5) is not supported",
  [-5]: "bad block tables (byte map, Huffman group count, selectors or code lengths)",
  [-6]: "invalid Huffman code (corrupt data)",
  [-7]: "more symbols than selectors (corrupt data)",
  [-8]: "block larger than the declared block size (corrupt data)",
  [-9]: "origPtr outside the block (corrupt data)",
  [-10]: "block CRC mismatch (corrupt data)",
  [-11]: "stream CRC mismatch (corrupt data)",
  [-12]: "unexpected end of input (truncated bzip2 stream)",
  [-13]: "trailing data after the bzip2 stream is not another bzip2 stream",
  [-14]: "block header longer than any valid one (corrupt data)",
  [-15]: "decoder state not initialised",
};

function bzExports(k: Kernels): BzExports {
  const names = ["bz_state_size", "bz_init", "bz_decode", "bz_in_used", "bz_out_made", "bz_error_offset"] as const;
  const o = {} as Record<string, unknown>;
  for (const n of names) o[n] = k.fn(n);
  return o as unknown as BzExports;
}

/**
 * Incremental bzip2 decoder living in a kernel instance's wasm memory (one ~6.3 MB state block: tables, forward and backward BWT links and the block bytes + an input
 * window, both from the arena; call `close()` to release them). Several instances may coexist.
 *
 * Usage: `push(chunk)` compressed bytes (any sizes), `end()` after the last one, and call
 * `decodeInto(ptr, cap)` / `read(dest)` until `done`. A call that returns 0 bytes with `!done` means
 * `needsInput`: push more (or end()).
 */
export class Bunzip2Stream {
  readonly kernels: Kernels;
  readonly file: string;
  readonly maxOutputBytes: number;
  private readonly x: BzExports;
  private state: number;
  private inPtr: number;
  private readonly inCap: number;
  private inStart = 0; // unconsumed bytes are [inStart, inStart + inLen) of the window
  private inLen = 0;
  private pending: Uint8Array[] = [];
  private pendingOff = 0;
  private ended = false;
  private _done = false;
  private _needsInput = false;
  private _totalIn = 0;
  private _totalOut = 0;
  private closed = false;

  /** Decoder on `kernels` (use `Bunzip2Stream.create` to get the default kernels). */
  constructor(kernels: Kernels, opts: Omit<Bunzip2Options, "kernels"> = {}) {
    this.kernels = kernels;
    this.file = opts.file ?? "<bytes>";
    this.maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.x = bzExports(kernels);
    this.inCap = Math.max(65536, Math.floor(opts.inputWindowBytes ?? 1 << 20));
    this.state = kernels.arena.alloc(this.x.bz_state_size(9));
    try {
      this.inPtr = kernels.arena.alloc(this.inCap);
    } catch (e) {
      kernels.arena.release(this.state);
      throw e;
    }
    this.x.bz_init(this.state, 9);
  }

  /** A decoder on `opts.kernels` or the shared default kernels. */
  static async create(opts: Bunzip2Options = {}): Promise<Bunzip2Stream> {
    const k = opts.kernels ?? (await defaultKernels());
    return new Bunzip2Stream(k, opts);
  }

  /** True once every stream in the input has been decoded and CRC-checked and the input has ended. */
  get done(): boolean {
    return this._done;
  }
  /** True when the last decode stopped for lack of compressed input (push more or end()). */
  get needsInput(): boolean {
    return this._needsInput;
  }
  /** Compressed bytes consumed so far. */
  get totalIn(): number {
    return this._totalIn;
  }
  /** Decompressed bytes produced so far. */
  get totalOut(): number {
    return this._totalOut;
  }

  /** Queue compressed bytes. The chunk is referenced until consumed: do not modify it meanwhile. */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error("Bunzip2Stream.push after end()");
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this._needsInput = false;
    }
  }

  /** No more compressed input will follow; a stream cut short now raises DecompressError. */
  end(): void {
    this.ended = true;
    this._needsInput = false;
  }

  /**
   * Decompress into the wasm memory range [ptr, ptr + cap) of `kernels.memory`. Returns the number of bytes
   * written (cap at most). Fewer than `cap` means the input ended (`done`) or more input is needed
   * (`needsInput`). Throws DecompressError on corrupt/truncated input or when the output would exceed
   * `maxOutputBytes`.
   */
  decodeInto(ptr: number, cap: number): number {
    if (this.closed) throw new Error("Bunzip2Stream is closed");
    if (this._done) return 0;
    if (!(ptr >= 0 && cap >= 0 && ptr + cap <= this.kernels.exports.memory.buffer.byteLength)) {
      throw new RangeError(`Bunzip2Stream.decodeInto: [${ptr}, ${ptr + cap}) is outside the wasm memory`);
    }
    let made = 0;
    for (let guard = 0; ; guard++) {
      this.fillWindow();
      const final = this.ended && this.pending.length === 0 ? 1 : 0;
      const room = Math.min(cap - made, this.maxOutputBytes - this._totalOut);
      let st: number;
      try {
        st = this.x.bz_decode(this.state, this.inPtr + this.inStart, this.inLen, final, ptr + made, room);
      } catch (e) {
        // a trap would be a decoder bug; never let it escape untyped
        throw new DecompressError(`bzip2 decoder fault: ${(e as Error)?.message ?? e}`, this.file, this._totalIn);
      }
      const used = this.x.bz_in_used(this.state);
      const produced = this.x.bz_out_made(this.state);
      this.inStart += used;
      this.inLen -= used;
      this._totalIn += used;
      this._totalOut += produced;
      made += produced;
      if (st < 0) {
        const off = this.x.bz_error_offset(this.state);
        throw new DecompressError(MESSAGES[st] ?? `bzip2 decoder error ${st}`, this.file, off);
      }
      if (st === ST_DONE) {
        this._done = true;
        return made;
      }
      if (st === ST_NEED_OUTPUT) {
        if (made < cap) {
          throw new DecompressError(`decompressed size exceeds the limit of ${this.maxOutputBytes} bytes`, this.file, this._totalIn);
        }
        return made;
      }
      if (st !== ST_NEED_INPUT) throw new DecompressError(`bzip2 decoder returned ${st}`, this.file, this._totalIn);
      // needs input
      if (this.pending.length === 0) {
        this._needsInput = true;
        return made;
      }
      if (used === 0 && this.inStart === 0 && this.inLen === this.inCap) {
        // cannot happen with a window >= 64 KiB (headers are bounded by the decoder), but never spin
        throw new DecompressError("bzip2 block header does not fit the input window", this.file, this._totalIn);
      }
      if (guard > 1e9) throw new DecompressError("bzip2 decoder makes no progress", this.file, this._totalIn);
    }
  }

  /** Decompress into `dest` (through the wasm output window). Same contract as `decodeInto`. */
  read(dest: Uint8Array, windowPtr?: number, windowBytes?: number): number {
    const a = this.kernels.arena;
    const own = windowPtr === undefined;
    const wBytes = own ? Math.min(dest.length, 4 << 20) : windowBytes!;
    const w = own ? a.alloc(Math.max(16, wBytes)) : windowPtr!;
    try {
      let n = 0;
      while (n < dest.length) {
        const m = this.decodeInto(w, Math.min(wBytes, dest.length - n));
        if (m > 0) dest.set(a.u8(w, m), n);
        n += m;
        if (m === 0 || this._done || this._needsInput) break;
      }
      return n;
    } finally {
      if (own) a.release(w);
    }
  }

  /** Release the wasm memory of this decoder. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.kernels.arena.release(this.inPtr);
    this.kernels.arena.release(this.state);
    this.pending = [];
  }

  /** Move queued chunks into the wasm input window (compacting unconsumed bytes to its start). */
  private fillWindow(): void {
    if (this.pending.length === 0) return;
    const U8 = this.kernels.arena.U8;
    if (this.inStart > 0) {
      if (this.inLen > 0) U8.copyWithin(this.inPtr, this.inPtr + this.inStart, this.inPtr + this.inStart + this.inLen);
      this.inStart = 0;
    }
    while (this.pending.length > 0 && this.inLen < this.inCap) {
      const c = this.pending[0];
      const n = Math.min(c.length - this.pendingOff, this.inCap - this.inLen);
      U8.set(c.subarray(this.pendingOff, this.pendingOff + n), this.inPtr + this.inLen);
      this.inLen += n;
      this.pendingOff += n;
      if (this.pendingOff === c.length) {
        this.pending.shift();
        this.pendingOff = 0;
      }
    }
  }
}

/**
 * Decompress a whole bzip2 file (one or more concatenated streams) with the wasm decoder.
 * Requires: `bytes` is the complete compressed input. Guarantees: the result is CRC-checked; throws
 * DecompressError (file, byte offset) on corrupt/truncated data or output larger than `maxOutputBytes`.
 */
export async function bunzip2(bytes: Uint8Array, opts: Bunzip2Options = {}): Promise<Uint8Array> {
  const s = await Bunzip2Stream.create(opts);
  const a = s.kernels.arena;
  const limit = s.maxOutputBytes;
  let win = 0;
  try {
    const W = 4 << 20;
    win = a.alloc(W);
    s.push(bytes);
    s.end();
    let cap = Math.min(limit, Math.max(1 << 20, bytes.length * 6));
    let out = new Uint8Array(cap);
    let n = 0;
    while (!s.done) {
      const m = s.decodeInto(win, W);
      if (m > 0) {
        if (n + m > cap) {
          cap = Math.min(limit, Math.max(n + m, Math.floor(cap * 1.5)));
          const bigger = new Uint8Array(cap);
          bigger.set(out.subarray(0, n));
          out = bigger;
        }
        out.set(a.u8(win, m), n);
        n += m;
      } else if (!s.done) {
        throw new DecompressError("bzip2 decoder stalled", s.file, s.totalIn);
      }
    }
    return n === cap ? out : n * 4 < cap * 3 ? out.slice(0, n) : out.subarray(0, n);
  } finally {
    if (win) a.release(win);
    s.close();
  }
}

type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A block of the kernels' arena holding decompressed bytes [ptr, ptr + length); release with `kernels.arena.release(ptr)`. */
export interface ArenaBytes {
  kernels: Kernels;
  ptr: number;
  length: number;
}

/**
 * Decompress into one block of the wasm arena (the model reader can then read it in place). `source` is
 * the whole compressed file or a stream of its chunks. `sizeHint` (e.g. a known decompressed size) avoids
 * regrowth; without it the block starts at 6x the input (or 64 MiB for streams) and grows x1.5 by
 * copying inside wasm memory. The block is trimmed to `length` only logically (capacity may be larger).
 * Throws DecompressError as `bunzip2`; nothing stays allocated on error.
 */
export async function bunzip2IntoArena(source: Uint8Array | ByteSource, opts: Bunzip2Options & { sizeHint?: number } = {}): Promise<ArenaBytes> {
  const s = await Bunzip2Stream.create(opts);
  const k = s.kernels;
  const a = k.arena;
  const limit = s.maxOutputBytes;
  const whole = source instanceof Uint8Array;
  let cap = Math.max(4096, Math.min(limit + 1, Math.floor(opts.sizeHint ?? (whole ? source.length * 6 : 64 << 20))));
  let ptr = 0;
  let it: AsyncIterator<Uint8Array> | undefined;
  try {
    ptr = a.alloc(cap);
    if (whole) {
      s.push(source);
      s.end();
    } else it = chunksOf(source)[Symbol.asyncIterator]();
    let n = 0;
    while (!s.done) {
      if (n === cap) {
        const bigger = Math.min(limit + 1, Math.max(cap + 4096, Math.floor(cap * 1.5)));
        const p2 = a.alloc(bigger);
        a.U8.copyWithin(p2, ptr, ptr + n);
        a.release(ptr);
        ptr = p2;
        cap = bigger;
      }
      const m = s.decodeInto(ptr + n, cap - n);
      n += m;
      if (m === 0 && s.needsInput) {
        if (!it) throw new DecompressError("bzip2 decoder stalled", s.file, s.totalIn);
        const r = await it.next();
        if (r.done) s.end();
        else s.push(r.value);
      }
    }
    const out = { kernels: k, ptr, length: n };
    ptr = 0;
    return out;
  } finally {
    if (ptr) a.release(ptr);
    s.close();
    await it?.return?.();
  }
}

async function* chunksOf(src: ByteSource): AsyncGenerator<Uint8Array> {
  const rs = src as ReadableStream<Uint8Array>;
  if (typeof rs.getReader === "function") {
    const reader = rs.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value) yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* src as AsyncIterable<Uint8Array>;
}

/**
 * Decompress a stream of compressed chunks, yielding decompressed chunks of at most `chunkBytes`
 * (default 1 MiB). Each yielded Uint8Array is a VIEW into wasm memory, valid only until the generator is
 * resumed (and until the wasm memory grows): copy it if you keep it. Throws DecompressError as `bunzip2`.
 */
export async function* bunzip2Chunks(source: ByteSource, opts: Bunzip2Options & { chunkBytes?: number } = {}): AsyncGenerator<Uint8Array> {
  const s = await Bunzip2Stream.create(opts);
  const a = s.kernels.arena;
  const W = Math.max(4096, Math.floor(opts.chunkBytes ?? 1 << 20));
  let win = 0;
  let it: AsyncIterator<Uint8Array> | undefined;
  try {
    win = a.alloc(W);
    it = chunksOf(source)[Symbol.asyncIterator]();
    for (;;) {
      const m = s.decodeInto(win, W);
      if (m > 0) yield a.u8(win, m);
      if (s.done) return;
      if (m === 0 && s.needsInput) {
        const r = await it.next();
        if (r.done) s.end();
        else s.push(r.value);
      }
    }
  } finally {
    if (win) a.release(win);
    s.close();
    await it?.return?.();
  }
}
