/**
 * Worker script of `DescriptorPool` (pool.ts): receives the compiled kernel module and the model bytes once,
 * loads the network into its own wasm memory, then answers `forward` requests with the network outputs.
 * Runs as a Node/Bun worker_thread (workerData.kind === "dlib-face-pool") or as a module Web Worker.
 */
import { setKernelModule } from "./wasm.js";
import { loadNetwork, type Network } from "./network.js";
import type { PoolRequest, PoolResponse } from "./pool.js";

type Send = (m: PoolResponse, transfer?: Transferable[]) => void;

async function connect(onMessage: (m: PoolRequest, send: Send) => void): Promise<void> {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  if (typeof g.process?.versions?.node === "string" && g.Deno === undefined) {
    const wt = await import("node:worker_threads");
    const data = wt.workerData as { kind?: string } | undefined;
    if (wt.parentPort && data?.kind === "dlib-face-pool") {
      const port = wt.parentPort;
      const send: Send = (m, t) => port.postMessage(m, (t ?? []) as never);
      port.on("message", (m: PoolRequest) => onMessage(m, send));
      return;
    }
  }
  const scope = globalThis as unknown as { postMessage(m: unknown, t?: Transferable[]): void; onmessage: ((ev: MessageEvent) => void) | null };
  const send: Send = (m, t) => scope.postMessage(m, t ?? []);
  scope.onmessage = (ev: MessageEvent) => onMessage(ev.data as PoolRequest, send);
}

let net: Network | null = null;

void connect(async (m, send) => {
  if (m.type === "init") {
    try {
      setKernelModule(m.module);
      net = await loadNetwork(m.model, { type: m.netType, name: m.name });
      if (net.inputSize) net.prepare(m.taskSize); // the first task's one-time work, done before "ready"
      send({ type: "ready", network: { name: net.name, lossType: net.lossType, inputSize: net.inputSize } });
    } catch (e) {
      send({ type: "error", message: (e as Error)?.message ?? String(e) });
    }
    return;
  }
  if (m.type === "forward") {
    try {
      if (!net) throw new Error("worker has no network loaded");
      const startedAt = performance.timeOrigin + performance.now();
      const outputs = net.forwardSync(m.images).outputs;
      const finishedAt = performance.timeOrigin + performance.now();
      const buffers = [...new Set(outputs.map((o) => o.buffer as ArrayBuffer))];
      send({ type: "result", id: m.id, outputs, startedAt, finishedAt }, buffers);
    } catch (e) {
      send({ type: "error", id: m.id, message: (e as Error)?.message ?? String(e) });
    }
  }
});
