/**
 * Worker thread for the LFW evaluation: loads the models named in workerData once, then embeds the image files it
 * is sent ({id, path}) and answers {id, ok, embedding | error}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadNetwork, type Network } from "../nn/network.js";
import { resolveModel } from "../face/models.js";
import { ShapePredictor } from "../face/shape-predictor.js";
import { loadHogDetector, type HogDetector } from "../face/hog.js";
import { embedLfwFile, type LfwEmbedOptions } from "./lfw-embed.js";

export interface LfwWorkerConfig {
  model: string;
  landmarks: string;
  detector: "hog" | "cnn";
  detectorModel?: string;
  upsample: number;
  /** detector adjust_threshold (default 0) */
  detectThreshold?: number;
  jitter: number;
  /** Already resolved (decompressed) model files, so each worker does not read and decompress them again. */
  resolved?: { model?: ResolvedModel; landmarks?: ResolvedModel };
}

export interface ResolvedModel {
  bytes: Uint8Array;
  name: string;
  type?: string;
}

/** Resolve (read, decompress) the descriptor network and the shape predictor of a config once. */
export async function resolveLfwModels(c: LfwWorkerConfig): Promise<LfwWorkerConfig> {
  const m = await resolveModel(c.model);
  const s = await resolveModel(c.landmarks);
  return { ...c, resolved: { model: { bytes: m.bytes, name: m.name, type: m.entry?.type }, landmarks: { bytes: s.bytes, name: s.name } } };
}

/** Load the models of a worker config (also used in-process when running on one thread). */
export async function loadLfwModels(c: LfwWorkerConfig): Promise<LfwEmbedOptions> {
  const r = c.resolved?.model && c.resolved.landmarks ? c.resolved : (await resolveLfwModels(c)).resolved!;
  const m = r.model!, s = r.landmarks!;
  const net = await loadNetwork(m.bytes, { name: m.name, type: m.type });
  const sp = ShapePredictor.fromBytes(s.bytes, s.name);
  let cnn: Network | undefined, hog: HogDetector | undefined;
  if (c.detector === "cnn") {
    const d = await resolveModel(c.detectorModel ?? "mmod_human_face_detector");
    cnn = await loadNetwork(d.bytes, { name: d.name, type: "mmod_human_face_detector" });
  } else if (c.detectorModel) {
    const d = await resolveModel(c.detectorModel);
    hog = loadHogDetector(d.bytes, d.name);
  }
  return { net, sp, detector: c.detector, upsample: c.upsample, detectThreshold: c.detectThreshold ?? 0, hog, cnn, jitter: c.jitter };
}

if (parentPort && workerData?.lfwWorker) {
  const port = parentPort;
  const ready = loadLfwModels(workerData.config as LfwWorkerConfig);
  port.on("message", async (msg: { id: number; path: string }) => {
    try {
      const o = await ready;
      const e = await embedLfwFile(msg.path, o);
      port.postMessage({ id: msg.id, ok: true, embedding: e });
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: `${(err as Error).name}: ${(err as Error).message}` });
    }
  });
}
