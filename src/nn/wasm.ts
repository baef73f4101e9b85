/**
 * The kernel module and the one memory arena that owns every tensor and parameter.
 *
 * Contract: all kernel arguments are byte offsets ("pointers") into `memory`. The arena hands out
 * 16-byte aligned blocks, grows the wasm memory when needed, and never moves a block. Growing
 * detaches old `ArrayBuffer` views, so always take a fresh view (`f32`, `u8`) after any call that can
 * allocate.
 */
import { LimitError } from "../errors.js";
import { warmUpKernels, WARM_BYTES } from "./warm.js";

/** Raw exports of `dist/kernels.wasm` (see `assembly/index.ts`). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  [name: string]: unknown;
}

/** The wasm memory limit (`maxMemoryBytes` / `Arena.maxBytes`) or the engine's memory was exhausted. A LimitError. */
export class WasmOutOfMemoryError extends LimitError {
  override name = "WasmOutOfMemoryError";
}

interface Block { ptr: number; size: number }

/**
 * First-fit allocator over the wasm linear memory above `heap_base`.
 * Free blocks are kept sorted by address and coalesced. Sizes are rounded up to 16 bytes.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private peak: number;
  private free: Block[] = [];
  private sizes = new Map<number, number>();
  /** Upper bound of total wasm memory in bytes (default 4 GiB - 64 KiB). */
  maxBytes: number;
  private f32cache: Float32Array | null = null;
  private u8cache: Uint8Array | null = null;

  constructor(memory: WebAssembly.Memory, heapBase: number, maxBytes = 65535 * 65536) {
    this.memory = memory;
    this.top = (heapBase + 15) & ~15;
    this.peak = this.top;
    this.maxBytes = maxBytes;
  }

  /**
   * Highest address ever handed out: the wasm memory actually used so far (the memory itself grows ahead of
   * it in large steps, reserving pages that are never touched).
   */
  get highWater(): number {
    return this.peak;
  }

  /** Bytes currently handed out (live blocks). */
  get liveBytes(): number {
    let s = 0;
    for (const v of this.sizes.values()) s += v;
    return s;
  }

  /** Allocate `bytes` (rounded up to 16), returns a 16-aligned pointer. Contents are unspecified. */
  alloc(bytes: number): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`Arena.alloc: invalid size ${bytes}`);
    // (no 32-bit bit operations here: a request of 4 GiB or more must not wrap around to a small block)
    if (bytes > this.maxBytes) throw new WasmOutOfMemoryError(`wasm memory limit reached: need ${bytes} bytes, limit ${this.maxBytes}`);
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else { b.ptr += size; b.size -= size; }
        this.sizes.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    this.ensure(end);
    this.top = end;
    if (end > this.peak) this.peak = end;
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Allocate room for `n` float32 values. */
  allocF32(n: number): number {
    return this.alloc(n * 4);
  }

  /** Release a block from `alloc`. Freeing an unknown pointer throws. */
  /** True when `ptr` is a live block of this arena. */
  isLive(ptr: number): boolean {
    return this.sizes.has(ptr);
  }

  /**
   * Keep only the first `bytes` of a live block and give the rest back (e.g. a model file compacted in place
   * into its parameters). The block stays at `ptr`.
   */
  shrink(ptr: number, bytes: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`Arena.shrink: ${ptr} is not a live block`);
    const keep = Math.max(16, (Math.ceil(bytes) + 15) & ~15);
    if (keep >= size) return;
    this.sizes.set(ptr, keep);
    const tail = ptr + keep;
    this.sizes.set(tail, size - keep);
    this.release(tail);
  }

  /**
   * Grow a live block to `bytes` where it is (its contents kept), when the memory right after it is the top of
   * the arena or a free block large enough. Returns false (nothing changed) otherwise.
   */
  extend(ptr: number, bytes: number): boolean {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`Arena.extend: ${ptr} is not a live block`);
    const want = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (want <= size) return true;
    const end = ptr + size;
    if (end === this.top) {
      this.ensure(ptr + want);
      this.top = ptr + want;
      if (this.top > this.peak) this.peak = this.top;
      this.sizes.set(ptr, want);
      return true;
    }
    const i = this.free.findIndex((b) => b.ptr === end);
    if (i < 0) return false;
    const b = this.free[i];
    const extra = want - size;
    if (b.size > extra) { b.ptr += extra; b.size -= extra; }
    else if (b.size === extra) this.free.splice(i, 1);
    else if (b.ptr + b.size === this.top) {
      // the free block runs up to the top: take it and grow past it
      this.ensure(ptr + want);
      this.free.splice(i, 1);
      this.top = ptr + want;
      if (this.top > this.peak) this.peak = this.top;
    } else return false;
    this.sizes.set(ptr, want);
    return true;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`Arena.release: ${ptr} is not a live block`);
    this.sizes.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // swallow a trailing free block
      const last = this.free[this.free.length - 1];
      if (last && last.ptr + last.size === this.top) { this.top = last.ptr; this.free.pop(); }
      return;
    }
    let lo = 0, hi = this.free.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.free[m].ptr < ptr) lo = m + 1; else hi = m; }
    this.free.splice(lo, 0, { ptr, size });
    const cur = this.free[lo];
    const next = this.free[lo + 1];
    if (next && cur.ptr + cur.size === next.ptr) { cur.size += next.size; this.free.splice(lo + 1, 1); }
    const prev = this.free[lo - 1];
    if (prev && prev.ptr + prev.size === cur.ptr) { prev.size += cur.size; this.free.splice(lo, 1); }
  }

  private ensure(end: number): void {
    if (end > this.maxBytes) {
      throw new WasmOutOfMemoryError(`wasm memory limit reached: need ${end} bytes, limit ${this.maxBytes}`);
    }
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // Grow by at least a quarter (8 MiB minimum): pages past `end` are only reserved, not touched, so this
    // costs no resident memory, and each grow of a large memory makes V8 start a full GC (external memory).
    const need = Math.ceil((end - have) / 65536);
    const room = Math.floor((Math.min(this.maxBytes, 65536 * 65536) - have) / 65536);
    const ample = Math.max(need, Math.min(room, Math.max(Math.ceil(have / 4 / 65536), 128)));
    try {
      this.memory.grow(ample);
    } catch {
      try {
        this.memory.grow(need);
      } catch (e) {
        throw new WasmOutOfMemoryError(`cannot grow wasm memory to ${end} bytes: ${(e as Error).message}`);
      }
    }
    this.f32cache = null;
    this.u8cache = null;
  }

  /** A fresh Float32Array view of `n` floats at `ptr`. Invalid after the next allocation. */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** A fresh byte view. Invalid after the next allocation. */
  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** Whole-memory float view (cached until memory grows). */
  get F32(): Float32Array {
    if (!this.f32cache || this.f32cache.buffer !== this.memory.buffer) this.f32cache = new Float32Array(this.memory.buffer);
    return this.f32cache;
  }

  /** Whole-memory byte view (cached until memory grows). */
  get U8(): Uint8Array {
    if (!this.u8cache || this.u8cache.buffer !== this.memory.buffer) this.u8cache = new Uint8Array(this.memory.buffer);
    return this.u8cache;
  }
}

/** An instantiated kernel module with its arena. */
export class Kernels {
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** The compiled module this instance came from, when known (`warmUpOnce` warms each module once). */
  readonly module: WebAssembly.Module | null;
  constructor(instance: WebAssembly.Instance, opts: KernelOptions = {}, module: WebAssembly.Module | null = null) {
    this.module = module;
    this.exports = instance.exports as unknown as KernelExports;
    this.arena = new Arena(this.exports.memory, this.exports.heap_base(), opts.maxMemoryBytes);
  }
  /** Which build this instance runs: "relaxed" (dist/kernels-relaxed.wasm) or "simd" (see preferredKernelBuild). */
  get build(): "relaxed" | "simd" {
    const f = this.exports["kernel_build_relaxed" as keyof KernelExports] as unknown;
    return typeof f === "function" && (f as () => number)() === 1 ? "relaxed" : "simd";
  }

  /** Look up a kernel export by name; throws if the module does not have it. */
  fn<T extends (...args: number[]) => unknown>(name: string): T {
    const f = this.exports[name];
    if (typeof f !== "function") throw new Error(`kernel '${name}' is not exported by kernels.wasm`);
    return f as T;
  }
}

// A module of one function using f32x4.relaxed_madd: valid exactly where the engine has relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);

/**
 * Which kernel build this runtime loads: "relaxed" (dist/kernels-relaxed.wasm: the gemm micro-kernels multiply-add
 * with f32x4.relaxed_madd, fused where the CPU has FMA) when the engine validates relaxed-SIMD code (Node >= 22,
 * Deno, Bun, Chromium, workerd; Node 20 only with --experimental-wasm-relaxed-simd), else "simd" (dist/kernels.wasm).
 * The environment variable DLIB_FACE_SIMD=plain forces "simd". Results of the two differ by float rounding only.
 */
export function preferredKernelBuild(): "relaxed" | "simd" {
  const env = typeof process !== "undefined" ? process.env?.DLIB_FACE_SIMD : undefined;
  if (env === "plain") return "simd";
  try {
    return WebAssembly.validate(RELAXED_PROBE) ? "relaxed" : "simd";
  } catch {
    return "simd";
  }
}

/** The kernel file names to try, preferred build first. */
export function kernelFileNames(): string[] {
  return preferredKernelBuild() === "relaxed" ? ["kernels-relaxed.wasm", "kernels.wasm"] : ["kernels.wasm"];
}

let compiled: WebAssembly.Module | null = null;
let pendingModule: Promise<WebAssembly.Module> | null = null;
let moduleSource: (() => Promise<WebAssembly.Module>) | null = null;

/** Runtime entry points register how the .wasm is obtained (file read, fetch, module import). */
export function setKernelModuleSource(src: () => Promise<WebAssembly.Module>): void {
  moduleSource = src;
}

/** Use an already compiled module (workerd, a worker thread, a bundler's import). */
export function setKernelModule(mod: WebAssembly.Module): void {
  compiled = mod;
}

let syncFailed = false;

/**
 * The kernel module for synchronous callers (the HOG detector, PNG decoding): the compiled one if there is one,
 * else, under Node, dist/kernels.wasm compiled now (synchronously, once: `kernelModule` then returns it too);
 * null when neither is possible (browsers and Workers before `ready()`).
 */
export function kernelModuleSync(): WebAssembly.Module | null {
  if (compiled || syncFailed) return compiled;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const fs = proc?.getBuiltinModule?.("node:fs") as typeof import("node:fs") | undefined;
    if (!fs) throw new Error("no fs");
    // from dist/nn/, dist/entry/ (the bundles) and src/nn/ under tsx
    const candidates = kernelFileNames().flatMap((f) => [new URL(`../${f}`, import.meta.url), new URL(`../../dist/${f}`, import.meta.url)]);
    const url = candidates.find((u) => u.protocol === "file:" && fs.existsSync(u));
    if (!url) throw new Error("kernels.wasm not found");
    compiled = new WebAssembly.Module(fs.readFileSync(url));
  } catch {
    syncFailed = true;
  }
  return compiled;
}

/** The compiled kernel module, compiled once per process. */
export async function kernelModule(): Promise<WebAssembly.Module> {
  if (compiled) return compiled;
  if (!pendingModule) {
    const src = moduleSource ?? defaultModuleSource;
    pendingModule = src().then((m) => (compiled = m));
  }
  return pendingModule;
}

async function defaultModuleSource(): Promise<WebAssembly.Module> {
  // Works from dist/nn/ (../kernels.wasm) and from src/nn/ under tsx (../../dist/kernels.wasm).
  const candidates = kernelFileNames().flatMap((f) => [new URL(`../${f}`, import.meta.url), new URL(`../../dist/${f}`, import.meta.url)]);
  const isNode = typeof process !== "undefined" && !!process.versions?.node && !("Deno" in globalThis) && !("Bun" in globalThis);
  let lastErr: unknown = null;
  for (const url of candidates) {
    try {
      if (url.protocol === "file:" && isNode) {
        const fs = await import("node:fs/promises");
        const bytes = await fs.readFile(url);
        return await WebAssembly.compile(bytes);
      }
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      return await WebAssembly.compile(await res.arrayBuffer());
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error(`cannot load kernels.wasm: ${(lastErr as Error)?.message ?? lastErr}`);
}

export interface KernelOptions {
  /**
   * Upper bound of this instance's total wasm memory in bytes (parameters, activations, decompression
   * buffers). Allocations past it throw WasmOutOfMemoryError (a LimitError). Default 4 GiB - 64 KiB.
   */
  maxMemoryBytes?: number;
}

const warmed = new WeakSet<WebAssembly.Module>();

/**
 * Warm the hot kernels up (see warm.ts) unless an instance of this kernel module already did: their first-call
 * compiles happen then, and the engine starts optimising them. Skipped when the environment variable
 * DLIB_FACE_NO_WARMUP is set (for measurements). Uses 1 MiB of `k`'s arena for ~2 ms, then releases it.
 */
export function warmUpOnce(k: Kernels): void {
  const mod = k.module;
  if (!mod || warmed.has(mod) || (typeof process !== "undefined" && process.env?.DLIB_FACE_NO_WARMUP)) return;
  try {
    const scratch = k.arena.alloc(WARM_BYTES);
    try {
      warmUpKernels(k, scratch);
    } finally {
      k.arena.release(scratch);
    }
    warmed.add(mod);
  } catch {
    /* e.g. a memory limit below the warm-up's 1 MiB: a later instance warms up */
  }
}

/**
 * A new kernel instance with its own memory and arena. The first instance of a module also warms the hot
 * kernels up (`warmUpOnce`).
 */
export async function createKernels(opts: KernelOptions = {}): Promise<Kernels> {
  const k = await instantiateKernels(opts);
  warmUpOnce(k);
  return k;
}

async function instantiateKernels(opts: KernelOptions): Promise<Kernels> {
  const mod = await kernelModule();
  const inst = await WebAssembly.instantiate(mod, {});
  return new Kernels(inst, opts, mod);
}

let shared: Promise<Kernels> | null = null;
/**
 * The process-wide default kernel instance (networks share one arena unless given their own). Not warmed up
 * here: `loadNetwork` runs `warmUpOnce` once it has read the model file.
 */
export function defaultKernels(): Promise<Kernels> {
  if (!shared) shared = instantiateKernels({});
  return shared;
}
