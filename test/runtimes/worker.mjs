// Harness for workerd (run by miniflare): models come from the R2 binding MODELS (the network as a
// ReadableStream, the HOG detector as bytes). POST the image with the golden landmarks in x-landmarks.
// GET/POST /descriptor?reps=N only re-runs the network on the cached chip (timed from outside: workerd's
// clock does not advance while the worker computes).
import * as lib from "dlib-face-wasm";
import { runPipeline } from "./pipeline.mjs";

let state = null;

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/descriptor") {
        if (!state) return new Response("run / first", { status: 409 });
        const reps = Number(url.searchParams.get("reps") ?? "1");
        let n = 0;
        for (let i = 0; i < reps; i++) n += (await state.net.forward([state.chip]))[0].length;
        return Response.json({ ok: true, values: n });
      }
      const image = new Uint8Array(await req.arrayBuffer());
      const landmarks = JSON.parse(req.headers.get("x-landmarks"));
      const hogObj = await env.MODELS.get("frontal_face_detector.dat");
      const modelObj = await env.MODELS.get("resnet.dat");
      if (!hogObj || !modelObj) return new Response("models missing from R2", { status: 500 });
      const res = await runPipeline(lib, {
        runtime: "workerd", image, hog: new Uint8Array(await hogObj.arrayBuffer()), model: modelObj.body, landmarks, reps: 0,
      });
      state = { net: res.keptNet, chip: res.keptChip }; // kept for /descriptor timing
      return Response.json(res);
    } catch (e) {
      return new Response(String(e && e.stack || e), { status: 500 });
    }
  },
};
