/**
 * A pool of workers that compute network outputs (e.g. face descriptors) for batches of images:
 * `worker_threads` in Node and Bun, Web Workers in browsers and Deno. The kernel module is compiled once
 * here and posted to every worker (a `WebAssembly.Module` is cloneable); the model file is read and
 * decompressed once here, shared with the workers through a SharedArrayBuffer when the runtime has one
 * (else copied once per worker), and each worker loads its weights once into its own wasm memory.
 * Results are bit-identical to `Network.forward` on the main thread for the same batches: images go to the
 * workers in tasks of `taskSize` images, each task is one forward batch (the engine may pick kernels by batch
 * size, so a different batching can change the last bits).
 */
import type { RgbImage } from "../image/types.js";
import { readSource, type ModelSource } from "../dlib/source.js";
import { kernelModule } from "./wasm.js";

export interface DescriptorPoolOptions {
  /** Number of workers, ≥ 1 (default: `navigator.hardwareConcurrency` or os.availableParallelism(), at least 1). */
  size?: number;
  /** The network's C++ type (a known id or definition text), as `loadNetwork`'s `type`; default: detected. */
  type?: string;
  /** Name for error messages. */
  name?: string;
  /** Largest decompressed model size accepted, bytes (default 1 GiB). */
  maxBytes?: number;
  /** Images per task sent to a worker, = the forward batch size in the worker (default 8); idle workers take the next task. */
  taskSize?: number;
  /** Worker script (default: `pool-worker.js` next to this module). */
  workerUrl?: string | URL;
}

/** Messages between the pool and its workers. */
export type PoolRequest =
  | { type: "init"; module: WebAssembly.Module; model: Uint8Array; netType?: string; name: string; taskSize: number }
  | { type: "forward"; id: number; images: RgbImage[] };
/** What a pool's workers loaded (for callers that check the network kind, e.g. gender). */
export interface PoolNetworkInfo {
  name: string;
  /** loss_metric, loss_multiclass_log, ... */
  lossType: string;
  /** input_rgb_image_sized's size, or null */
  inputSize: { nr: number; nc: number } | null;
}
export type PoolResponse =
  | { type: "ready"; network?: PoolNetworkInfo }
  | { type: "result"; id: number; outputs: Float32Array[]; startedAt: number; finishedAt: number }
  | { type: "error"; id?: number; message: string };

interface Port {
  post(msg: PoolRequest, transfer?: Transferable[]): void;
  listen(onMessage: (m: PoolResponse) => void, onError: (e: unknown) => void): void;
  terminate(): Promise<void>;
}

const hasNodeThreads = (): boolean => {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  return typeof g.process?.versions?.node === "string" && g.Deno === undefined;
};

async function spawn(url: URL): Promise<Port> {
  if (hasNodeThreads()) {
    const wt = await import("node:worker_threads");
    const workerData = { kind: "dlib-face-pool" };
    // Running from the TypeScript sources (tests under tsx): Node 20 workers do not inherit `--import tsx`,
    // so register tsx's loader in the worker before importing the .ts worker script.
    const w = url.pathname.endsWith(".ts")
      ? new wt.Worker(`import("tsx/esm/api").then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`, { eval: true, workerData })
      : new wt.Worker(url, { workerData });
    return {
      post: (m, t) => w.postMessage(m, (t ?? []) as never),
      listen: (onMessage, onError) => {
        w.on("message", onMessage);
        w.on("error", onError);
        w.on("exit", (code) => { if (code !== 0) onError(new Error(`pool worker exited with code ${code}`)); });
      },
      terminate: async () => { await w.terminate(); },
    };
  }
  if (typeof Worker !== "function") throw new Error("DescriptorPool: this runtime has no workers (worker_threads or Web Workers)");
  const w = new Worker(url, { type: "module" });
  return {
    post: (m, t) => w.postMessage(m, t ?? []),
    listen: (onMessage, onError) => {
      w.onmessage = (ev: MessageEvent) => onMessage(ev.data as PoolResponse);
      w.onerror = (ev: ErrorEvent) => { ev.preventDefault?.(); onError(new Error(ev.message || "pool worker error")); };
    },
    terminate: async () => { w.terminate(); },
  };
}

function defaultSize(): Promise<number> | number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return Math.max(1, nav.hardwareConcurrency);
  if (hasNodeThreads()) return import("node:os").then((os) => Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  return 1;
}

interface Slot { port: Port; busy: boolean; dead: Error | null; index: number }

/** One task of the last `forward` call: which worker ran it, when (epoch ms, from the worker's clock), how many images. */
export interface PoolTaskTiming { worker: number; images: number; startedAt: number; finishedAt: number }
interface Task { id: number; images: RgbImage[]; resolve: (o: Float32Array[]) => void; reject: (e: Error) => void }

/**
 * Worker pool running one network. `forward(images)` returns one output per image, in order, exactly as
 * `Network.forward` would. Call `close()` to stop the workers.
 */
export class DescriptorPool {
  private queue: Task[] = [];
  private running = new Map<number, { task: Task; slot: Slot }>();
  private nextId = 1;
  private closed = false;
  private timings: PoolTaskTiming[] = [];

  private constructor(private readonly slots: Slot[], private readonly taskSize: number, private readonly info: PoolNetworkInfo) {
    for (const s of slots) {
      s.port.listen((m) => this.onMessage(s, m), (e) => this.onDead(s, e));
    }
  }

  /**
   * Starts `size` workers, each loading the model (bytes, path, URL, Response or ReadableStream; bzip2 is
   * decompressed once, here). Resolves when every worker has its weights loaded and, for networks with a fixed
   * input size, prepared for tasks of `taskSize` images (`Network.prepare`: the first task then runs at full
   * speed); rejects (and stops the workers) if any fails.
   */
  static async create(model: ModelSource, opts: DescriptorPoolOptions = {}): Promise<DescriptorPool> {
    const size = opts.size ?? (await defaultSize());
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be an integer ≥ 1, got ${size}`);
    const taskSize = opts.taskSize ?? 8;
    if (!Number.isInteger(taskSize) || taskSize < 1) throw new RangeError(`taskSize must be an integer ≥ 1, got ${taskSize}`);
    const [{ bytes, name }, mod] = await Promise.all([readSource(model, { name: opts.name, maxBytes: opts.maxBytes }), kernelModule()]);
    let shared: Uint8Array | null = null;
    const canShare = typeof SharedArrayBuffer === "function" && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
    if (canShare) {
      try {
        shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
        shared.set(bytes);
      } catch {
        shared = null;
      }
    }
    const url = opts.workerUrl !== undefined ? new URL(String(opts.workerUrl), import.meta.url)
      : new URL(import.meta.url.endsWith(".ts") ? "../nn/pool-worker.ts" : "../nn/pool-worker.js", import.meta.url); // (from dist/nn/ and from the entry bundles in dist/entry/)
    const ports: Port[] = [];
    let info: PoolNetworkInfo = { name, lossType: "unknown", inputSize: null };
    try {
      for (let i = 0; i < size; i++) ports.push(await spawn(url));
      await Promise.all(ports.map((p) => new Promise<void>((resolve, reject) => {
        p.listen((m) => {
          if (m.type === "ready") { if (m.network) info = m.network; resolve(); }
          else if (m.type === "error") reject(new Error(`pool worker: ${m.message}`));
        }, reject);
        p.post({ type: "init", module: mod, model: shared ?? bytes.slice(), netType: opts.type, name, taskSize });
      })));
    } catch (e) {
      await Promise.all(ports.map((p) => p.terminate().catch(() => undefined)));
      throw e;
    }
    return new DescriptorPool(ports.map((port, index) => ({ port, busy: false, dead: null, index })), taskSize, info);
  }

  /** The network the workers run: its name, loss type and fixed input size. */
  get network(): PoolNetworkInfo {
    return this.info;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Network outputs for `images` (150×150 RGB chips for the face ResNet), in input order. `taskSize` overrides
   * the pool's images per task (= forward batch in a worker) for this call, e.g. ceil(n / size) to give every
   * worker one share of a single request.
   */
  async forward(images: readonly RgbImage[], opts: { taskSize?: number } = {}): Promise<Float32Array[]> {
    if (this.closed) throw new Error("DescriptorPool is closed");
    const ts = opts.taskSize ?? this.taskSize;
    if (!Number.isInteger(ts) || ts < 1) throw new RangeError(`taskSize must be an integer ≥ 1, got ${ts}`);
    const parts: Promise<Float32Array[]>[] = [];
    this.timings = [];
    for (let i = 0; i < images.length; i += ts) {
      const chunk = images.slice(i, i + ts).map((im) => ({ width: im.width, height: im.height, data: im.data }));
      parts.push(new Promise((resolve, reject) => this.queue.push({ id: this.nextId++, images: chunk, resolve, reject })));
    }
    this.pump();
    return (await Promise.all(parts)).flat();
  }

  /**
   * Per-task timings of the tasks finished since the last `forward` started (diagnostics: two workers whose
   * intervals overlap ran concurrently, whatever CPU time the machine granted them).
   */
  lastTimings(): PoolTaskTiming[] {
    return [...this.timings];
  }

  /** Stops all workers; pending calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("DescriptorPool closed");
    for (const t of this.queue) t.reject(err);
    this.queue = [];
    for (const { task } of this.running.values()) task.reject(err);
    this.running.clear();
    await Promise.all(this.slots.map((s) => s.port.terminate().catch(() => undefined)));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy || slot.dead) continue;
      const task = this.queue.shift()!;
      slot.busy = true;
      this.running.set(task.id, { task, slot });
      slot.port.post({ type: "forward", id: task.id, images: task.images });
    }
    if (this.queue.length > 0 && this.slots.every((s) => s.dead)) {
      const err = this.slots[0].dead!;
      for (const t of this.queue) t.reject(err);
      this.queue = [];
    }
  }

  private onMessage(slot: Slot, m: PoolResponse): void {
    if (m.type === "ready" || m.id === undefined) return;
    const r = this.running.get(m.id);
    if (!r) return;
    this.running.delete(m.id);
    slot.busy = false;
    if (m.type === "result") {
      this.timings.push({ worker: slot.index, images: r.task.images.length, startedAt: m.startedAt, finishedAt: m.finishedAt });
      r.task.resolve(m.outputs);
    }
    else r.task.reject(new Error(`pool worker: ${m.message}`));
    this.pump();
  }

  private onDead(slot: Slot, e: unknown): void {
    if (this.closed) return;
    slot.dead = e instanceof Error ? e : new Error(String(e));
    for (const [id, r] of this.running) {
      if (r.slot === slot) { this.running.delete(id); r.task.reject(slot.dead); }
    }
    this.pump();
  }
}
