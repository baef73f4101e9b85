// Child process for the RSS measure: load a .dat ResNet and compute one descriptor, print peak RSS (MB).
const t0 = performance.now();
const { readFileSync } = await import("node:fs");
const { loadNetwork } = await import("../src/nn/network.ts");
const { decodeImage } = await import("../src/image/decode.ts");
const [model, png] = process.argv.slice(2);
const net = await loadNetwork(new Uint8Array(readFileSync(model)), { type: "dlib_face_recognition_resnet_model_v1" });
const img = decodeImage(new Uint8Array(readFileSync(png)));
await net.forward([img]);
const first = performance.now() - t0;
console.log(JSON.stringify({ rss_mb: process.resourceUsage().maxRSS / 1024, first_descriptor_ms: first }));
