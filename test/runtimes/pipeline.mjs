// Runtime-neutral detect → chip → descriptor, run unchanged in Node, Deno, Bun, workerd and Chromium against
// the installed package (`lib` is the module namespace of "dlib-face-wasm" as that runtime resolved it).
// Uses only the public API and web-standard globals. Landmarks come from the golden file (the 68-point model
// is not loaded in every runtime); the chip and the descriptor are computed here.

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** FNV-1a 32-bit of bytes, as 8 hex digits. */
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}

/** Hex of a Float32Array's bytes (little-endian): the bit pattern, for bit-identity checks. */
export function f32hex(a) {
  const u8 = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < u8.length; i++) s += u8[i].toString(16).padStart(2, "0");
  return s;
}

/**
 * @param lib   the package namespace
 * @param input { runtime, image: Uint8Array (PNG/JPEG), hog: Uint8Array, model: bytes|path|URL|ReadableStream,
 *                landmarks: [x,y][], reps?: number }
 * @returns plain JSON: detections, chip hash, descriptor (numbers and bit hex), timings in ms (NaN where the
 *          runtime's clock does not advance during computation, as in workerd)
 */
export async function runPipeline(lib, input) {
  const t = {};
  let t0 = now();
  await lib.ready();
  const net = await lib.loadNetwork(input.model);
  const detector = lib.loadHogDetector(input.hog);
  t.load = now() - t0;

  t0 = now();
  const img = lib.decodeImage(input.image);
  t.decode = now() - t0;

  t0 = now();
  const dets = lib.detectFacesHog(img, { detector });
  t.detect = now() - t0;

  t0 = now();
  const chips = lib.faceChips(img, [input.landmarks.map(([x, y]) => ({ x, y }))]);
  t.chip = now() - t0;

  t0 = now();
  const [out] = await net.forward([chips[0]]);
  t.descriptorFirst = now() - t0;
  const reps = input.reps ?? 5;
  const times = [];
  let same = true;
  for (let i = 0; i < reps; i++) {
    t0 = now();
    const [again] = await net.forward([chips[0]]);
    times.push(now() - t0);
    if (f32hex(again) !== f32hex(out)) same = false;
  }
  times.sort((a, b) => a - b);
  t.descriptorMedian = times.length ? times[times.length >> 1] : NaN;

  const kernels = await lib.defaultKernels();
  const result = {
    runtime: input.runtime,
    build: kernels.build,
    detections: dets.map((d) => ({ rect: d.rect, confidence: d.confidence, weightIndex: d.weightIndex })),
    chip: { width: chips[0].width, height: chips[0].height, fnv1a: fnv1a(chips[0].data) },
    descriptor: Array.from(out),
    descriptorHex: f32hex(out),
    repeatsIdentical: same,
    wasmMemoryBytes: kernels.arena.memory.buffer.byteLength,
    timings: t,
  };
  // for callers that keep working with them (not serialized)
  Object.defineProperty(result, "keptNet", { value: net, enumerable: false });
  Object.defineProperty(result, "keptChip", { value: chips[0], enumerable: false });
  return result;
}

/**
 * DescriptorPool of 2 workers on `n` copies of the chip, in tasks of `n` images: the outputs must be bit-identical
 * to `net.forward` of the same batch on the calling thread (the engine may pick kernels by batch size, so the
 * reference uses the same batch). Returns { n, identical, startupMs, forwardMs, size }.
 */
export async function runPool(lib, { model, net, chip, workerUrl, n = 8 }) {
  const images = Array.from({ length: n }, () => chip);
  const ref = (await net.forward(images)).map(f32hex);
  let t0 = now();
  const pool = await lib.DescriptorPool.create(model, { size: 2, workerUrl, taskSize: n });
  const startupMs = now() - t0;
  try {
    t0 = now();
    const outs = await pool.forward(images);
    const forwardMs = now() - t0;
    return { n: outs.length, identical: outs.every((o, i) => f32hex(o) === ref[i]), startupMs, forwardMs, size: pool.size };
  } finally {
    await pool.close();
  }
}
