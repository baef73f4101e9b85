// `deno serve` endpoint: POST an image (JPEG/PNG) → { faces: [{ rect, confidence, landmarks, descriptor }] }.
//   npm install            (puts dlib-face-wasm into node_modules; Deno uses it through package.json)
//   DLIB_FACE_MODELS=/path/to/models deno task serve      (or: deno serve --allow-read --allow-env --allow-net main.ts)
//   curl --data-binary @photo.jpg http://localhost:8000/
// $DLIB_FACE_MODELS holds dlib's shape_predictor_5_face_landmarks.dat and dlib_face_recognition_resnet_model_v1.dat
// (.bz2 works too; file names can be changed with $LANDMARKS_MODEL / $DESCRIPTOR_MODEL). The HOG face
// detector is the one shipped in the package. Models are loaded once, on the first request.
import {
  decodeImage, detectFaces, faceChips, faceDescriptors, loadHogDetectorFrom, loadNetwork, loadShapePredictor, readSource,
} from "dlib-face-wasm";

const dir = Deno.env.get("DLIB_FACE_MODELS") ?? "./models";
const landmarksFile = `${dir}/${Deno.env.get("LANDMARKS_MODEL") ?? "shape_predictor_5_face_landmarks.dat"}`;
const descriptorFile = `${dir}/${Deno.env.get("DESCRIPTOR_MODEL") ?? "dlib_face_recognition_resnet_model_v1.dat"}`;
const detectorUrl = new URL("./models/frontal_face_detector.dat", import.meta.resolve("dlib-face-wasm/package.json"));

type Models = { hog: Awaited<ReturnType<typeof loadHogDetectorFrom>>; predictor: Awaited<ReturnType<typeof loadShapePredictor>>; net: Awaited<ReturnType<typeof loadNetwork>> };
let models: Promise<Models> | null = null;

async function loadModels(): Promise<Models> {
  const sp = await readSource(landmarksFile);
  const [hog, predictor, net] = await Promise.all([
    loadHogDetectorFrom(detectorUrl),
    loadShapePredictor(sp.bytes, sp.name),
    loadNetwork(descriptorFile),
  ]);
  return { hog, predictor, net };
}

export default {
  async fetch(req: Request): Promise<Response> {
    if (req.method !== "POST") return new Response("POST an image (JPEG or PNG) to get faces and descriptors as JSON\n", { status: 405 });
    try {
      models ??= loadModels().catch((e) => { models = null; throw e; });
      const { hog, predictor, net } = await models;
      const img = decodeImage(new Uint8Array(await req.arrayBuffer()));
      const upsample = Math.min(2, Math.max(0, Number(new URL(req.url).searchParams.get("upsample") ?? 0) | 0));
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
      const err = e as Error;
      const status = /ImageDecodeError|LimitError/.test(err?.name ?? "") ? 400 : 500;
      return Response.json({ error: String(err?.message ?? e) }, { status });
    }
  },
} satisfies Deno.ServeDefaultExport;
