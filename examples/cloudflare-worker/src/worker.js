// Cloudflare Worker: POST an image (JPEG/PNG bytes) → { faces: [{ rect, confidence, landmarks, descriptor }] }.
// Everything runs in the Worker (dlib's HOG detector, shape predictor, face chips, ResNet descriptor).
// The models are read from R2 once per isolate, on the first request (not at start-up), and kept in
// module scope. Store them uncompressed: bzip2 in a Worker would cost seconds of CPU per cold start.
import { decodeImage, detectFaces, faceChips, faceDescriptors, loadHogDetector, loadNetwork, loadShapePredictor, ready } from "dlib-face-wasm";

let models = null;

async function loadModels(env) {
  const get = async (key) => {
    const obj = await env.MODELS.get(key);
    if (!obj) throw new Error(`R2 object '${key}' not found in bucket MODELS`);
    return obj;
  };
  const [det, sp, net] = await Promise.all([get(env.DETECTOR_KEY), get(env.LANDMARKS_KEY), get(env.DESCRIPTOR_KEY)]);
  await ready();
  return {
    hog: loadHogDetector(new Uint8Array(await det.arrayBuffer()), env.DETECTOR_KEY),
    predictor: await loadShapePredictor(new Uint8Array(await sp.arrayBuffer()), env.LANDMARKS_KEY),
    // the network is read straight from the R2 stream
    net: await loadNetwork(net.body, { name: env.DESCRIPTOR_KEY }),
  };
}

export default {
  async fetch(request, env) {
    if (request.method !== "POST") {
      return new Response("POST an image (JPEG or PNG) to get faces and descriptors as JSON\n", { status: 405, headers: { allow: "POST" } });
    }
    try {
      models ??= loadModels(env);
      const { hog, predictor, net } = await models.catch((e) => { models = null; throw e; });
      const img = decodeImage(new Uint8Array(await request.arrayBuffer()));
      const url = new URL(request.url);
      const upsample = Math.min(2, Math.max(0, Number(url.searchParams.get("upsample") ?? 0) | 0));
      const faces = await detectFaces(img, { hog, upsample });
      const shapes = faces.map((f) => predictor.predict(img, f));
      const descriptors = await faceDescriptors(net, faceChips(img, shapes));
      return Response.json({
        width: img.width,
        height: img.height,
        faces: faces.map((f, i) => ({
          rect: { left: f.left, top: f.top, right: f.right, bottom: f.bottom },
          confidence: f.confidence,
          landmarks: shapes[i].parts.map((p) => [p.x, p.y]),
          descriptor: Array.from(descriptors[i]),
        })),
      });
    } catch (e) {
      const status = e && /ImageDecodeError|LimitError/.test(e.name) ? 400 : 500;
      return Response.json({ error: String(e && e.message || e) }, { status });
    }
  },
};
