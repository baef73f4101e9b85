/**
 * The packed package in every runtime (issue 5): `npm pack` → tarball installed into an empty folder →
 * the same detect → chip → descriptor script (test/runtimes/pipeline.mjs, public API only) in Node, Deno,
 * Bun, workerd (miniflare; models from an R2 binding) and headless Chromium. Each must find the golden face,
 * produce dlib's chip bit for bit, and a descriptor within 1e-4 of dlib's golden AND bit-identical to Node's.
 * The CLI is run from the installed tarball. Under CI=true nothing is skipped.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, inCI, readJson, readPngRgb } from "./fixtures.ts";
import { binary, bundle, chromiumPath, copyExample, copyHarness, freePort, installScriptsAndNative, launchChromium, packAndInstall, parseResult, run, serve, startServer, ROOT, type Consumer } from "./runtimes/harness.ts";
import { pathToFileURL } from "node:url";

const IMAGE = "HiranoShow.png"; // 316×292 PNG, one face (HOG upsample 0)
const TOL = 1e-4;

interface Setup { tmp: string; c: Consumer; model: string; golden: any; landmarks: number[][]; goldenChipFnv: string }
let setupP: Promise<Setup> | null = null;
let tmpRoot: string | null = null;
const results = new Map<string, any>();

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, "0");
}

function fixturesPresent(): boolean {
  const need = [fixture("images", IMAGE), fixture("golden", "HiranoShow.json"), fixture("models", "resnet_v1_faceapi_q8_affine.dat.bz2"), fixture("models", "frontal_face_detector.dat")];
  const missing = need.filter((p) => !existsSync(p));
  if (missing.length && inCI) throw new Error(`fixtures missing under CI: ${missing.join(", ")}`);
  return missing.length === 0;
}

function setup(): Promise<Setup> {
  if (!setupP) {
    setupP = (async () => {
      if (!existsSync(join(ROOT, "dist/entry/node.js")) || !existsSync(join(ROOT, "dist/kernels.wasm"))) {
        throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
      }
      const tmp = (tmpRoot = mkdtempSync(join(tmpdir(), "dlib-face-runtimes-")));
      const c = await packAndInstall(tmp);
      copyHarness(c.dir);
      // the q8 ResNet (inference form), decompressed once: R2/KV/browser get raw weights (bzip2 in a Worker costs seconds)
      const model = join(tmp, "resnet.dat");
      const { bunzip2 } = await import(pathToFileURL(join(c.dir, "node_modules/dlib-face-wasm/dist/entry/node.js")).href);
      writeFileSync(model, await bunzip2(readFileSync(fixture("models", "resnet_v1_faceapi_q8_affine.dat.bz2"))));
      const golden = readJson(fixture("golden", "HiranoShow.json"));
      const landmarks = golden.faces[0].landmarks68 as number[][];
      const chip = await readPngRgb(fixture("golden", golden.faces[0].chip150.png));
      return { tmp, c, model, golden, landmarks, goldenChipFnv: fnv1a(chip.data) };
    })();
  }
  return setupP;
}

after(() => {
  if (tmpRoot && !process.env.KEEP_RUNTIME_TMP) rmSync(tmpRoot, { recursive: true, force: true });
});

/** Checks one runtime's result against the golden and (except for Node itself) against Node's bits. */
function checkResult(s: Setup, r: any, t: { diagnostic(m: string): void }): void {
  const gface = s.golden.faces[0];
  const ghog = s.golden.hog.upsample0;
  assert.equal(r.detections.length, ghog.length, `${r.runtime}: number of HOG detections`);
  assert.deepEqual(r.detections[0].rect, ghog[0].rect, `${r.runtime}: detection rect`);
  assert.ok(Math.abs(r.detections[0].confidence - ghog[0].confidence) < 1e-6, `${r.runtime}: confidence ${r.detections[0].confidence} vs ${ghog[0].confidence}`);
  assert.equal(r.chip.fnv1a, s.goldenChipFnv, `${r.runtime}: 150x150 chip differs from dlib's`);
  assert.equal(r.descriptor.length, 128);
  let maxDiff = 0;
  for (let i = 0; i < 128; i++) maxDiff = Math.max(maxDiff, Math.abs(r.descriptor[i] - gface.descriptor_resnet_q8[i]));
  assert.ok(maxDiff <= TOL, `${r.runtime}: descriptor max |diff| vs golden ${maxDiff} > ${TOL}`);
  assert.ok(r.repeatsIdentical, `${r.runtime}: repeated forward passes differ`);
  const node = results.get("node");
  if (r.runtime !== "node" && r.build === "simd") {
    assert.ok(node, "Node's result is needed for the bit-identity check (the node test failed)");
    assert.equal(node.build, "simd");
    assert.equal(r.descriptorHex, node.descriptorHex, `${r.runtime}: descriptor bits differ from Node's`);
  }
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
  if (r.runtime !== "workerd") { // Workers have no threads; everywhere else the pool must give the same bits
    assert.ok(r.pool, `${r.runtime}: no DescriptorPool result`);
    assert.equal(r.pool.n, 8);
    assert.equal(r.pool.size, 2);
    assert.ok(r.pool.identical, `${r.runtime}: DescriptorPool outputs differ from the calling thread's (same batch of 8)`);
    t.diagnostic(`${r.runtime}: DescriptorPool(2) start-up ${ms(r.pool.startupMs)} ms, 8 descriptors ${ms(r.pool.forwardMs)} ms, bit-identical`);
  }
  t.diagnostic(`${r.runtime} (${r.build} build): max|diff| vs golden ${maxDiff.toExponential(2)}, bit-identical to Node: ${r.runtime === "node" ? "(reference)" : r.build === "simd" ? "yes" : "not compared (relaxed SIMD rounds differently)"}; ` +
    `load ${ms(r.timings.load)} ms, detect ${ms(r.timings.detect)} ms, descriptor first ${ms(r.timings.descriptorFirst)} ms, median ${ms(r.timings.descriptorMedian)} ms; wasm memory ${(r.wasmMemoryBytes / 2 ** 20).toFixed(1)} MiB`);
}

/**
 * Runs the pipeline script in `runtime`. build "simd": the plain SIMD kernels forced (DLIB_FACE_SIMD=plain), whose
 * results are the same bits in every engine; "auto": the build the runtime picks (relaxed SIMD where it has it).
 */
async function runCli(s: Setup, runtime: "node" | "deno" | "bun", modelAs: "bytes" | "path" | "url", build: "simd" | "auto" = "simd"): Promise<any> {
  const cfg = { runtime, image: fixture("images", IMAGE), hog: fixture("models", "frontal_face_detector.dat"), model: s.model, modelAs, landmarks: s.landmarks, pool: true };
  const cfgPath = join(s.tmp, `cfg-${runtime}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const [cmd, args] = runtime === "node" ? [process.execPath, []]
    : runtime === "deno" ? [binary("deno"), ["run", "--allow-read", "--allow-env", "--node-modules-dir=manual"]]
    : [binary("bun"), ["run"]];
  const r = await run(cmd, [...args, "run-cli.mjs", cfgPath], { cwd: s.c.dir, env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DLIB_FACE_SIMD: build === "simd" ? "plain" : "" } });
  assert.equal(r.code, 0, `${runtime} exited with ${r.code}:\n${r.stderr.slice(-3000)}`);
  return parseResult(r.stdout);
}

before(() => { fixturesPresent(); });

test("packed tarball: installs into an empty folder, no install scripts or native code, CLI runs", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  t.diagnostic(`npm pack: ${s.c.files} files, ${(s.c.packedBytes / 1024).toFixed(1)} kB packed, ${(s.c.unpackedBytes / 1024).toFixed(1)} kB unpacked`);
  assert.ok(s.c.packedBytes < 2 * 1024 * 1024, `packed size ${s.c.packedBytes} ≥ 2 MB`);
  const { scripts, native } = installScriptsAndNative(join(s.c.dir, "node_modules"));
  assert.deepEqual(scripts, [], "install scripts in the runtime dependency tree");
  assert.deepEqual(native, [], "native .node files in the runtime dependency tree");
  const bin = join(s.c.dir, "node_modules/.bin/dlib-face");
  const help = await run(bin, ["--help"], { cwd: s.c.dir });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage:/);
  assert.match(help.stdout, /dlib-face info MODEL/);
  const info = await run(bin, ["info", "node_modules/dlib-face-wasm/models/frontal_face_detector.dat"], { cwd: s.c.dir });
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /object_detector<scan_fhog_pyramid> \(HOG\)/);
  assert.match(info.stdout, /detectors: 5/);
  // CommonJS consumers: require(esm) of the node entry (no top-level await anywhere in the graph)
  const cjs = await run(process.execPath, ["-e", `const l = require("dlib-face-wasm"); console.log(typeof l.loadNetwork, typeof l.DescriptorPool)`], { cwd: s.c.dir });
  assert.equal(cjs.code, 0, cjs.stderr);
  assert.match(cjs.stdout, /^function function/);
  const infoNet = await run(bin, ["info", s.model], { cwd: s.c.dir });
  assert.equal(infoNet.code, 0, infoNet.stderr);
  t.diagnostic(`dlib-face info resnet.dat: ${infoNet.stdout.split("\n")[0]}`);
});

test("Node: q8 ResNet from bytes, HOG detector, detect → chip → descriptor", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const r = await runCli(s, "node", "bytes");
  results.set("node", r);
  checkResult(s, r, t);
});

test("Deno: same script, model from a path", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const r = await runCli(s, "deno", "path");
  checkResult(s, r, t);
});

test("Deno, the build it picks by itself: the relaxed-SIMD kernels (Deno has relaxed SIMD), within tolerance of dlib", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const r = await runCli(s, "deno", "bytes", "auto");
  assert.equal(r.build, "relaxed", "Deno validates relaxed SIMD, so it loads dist/kernels-relaxed.wasm");
  checkResult(s, r, t);
});

test("Bun: same script, model from a file URL", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const r = await runCli(s, "bun", "url");
  checkResult(s, r, t);
});

test("workerd (miniflare): models from an R2 binding (network as a ReadableStream)", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const { Miniflare } = await import("miniflare");
  const wk = join(s.tmp, "workerd");
  mkdirSync(join(wk, "entry"), { recursive: true });
  // bundled with the package's `workerd` condition; kernels.wasm stays a wasm module import ("../kernels.wasm")
  await bundle(join(s.c.dir, "worker.mjs"), join(wk, "entry/worker.js"), "workerd");
  const mf = new Miniflare({
    compatibilityDate: "2026-04-01", cf: false, r2Buckets: ["MODELS"],
    modules: [
      { type: "ESModule", path: "entry/worker.js", contents: readFileSync(join(wk, "entry/worker.js"), "utf8") },
      { type: "CompiledWasm", path: "kernels.wasm", contents: readFileSync(join(s.c.dir, "node_modules/dlib-face-wasm/dist/kernels.wasm")) },
    ],
  });
  try {
    await mf.ready;
    const bucket = await mf.getR2Bucket("MODELS");
    await bucket.put("resnet.dat", new Uint8Array(readFileSync(s.model)));
    await bucket.put("frontal_face_detector.dat", new Uint8Array(readFileSync(fixture("models", "frontal_face_detector.dat"))));
    const res = await mf.dispatchFetch("http://localhost/", {
      method: "POST", body: new Uint8Array(readFileSync(fixture("images", IMAGE))), headers: { "x-landmarks": JSON.stringify(s.landmarks) },
    });
    const text = await res.text();
    assert.equal(res.status, 200, text.slice(0, 3000));
    const r = JSON.parse(text);
    // time descriptors from outside the worker (deployed workerd freezes its clock while the worker computes)
    const time = async (reps: number) => {
      const t0 = performance.now();
      const q = await mf.dispatchFetch(`http://localhost/descriptor?reps=${reps}`);
      const body = await q.text();
      assert.equal(q.status, 200, body);
      return performance.now() - t0;
    };
    await time(1);
    const one = Math.min(await time(1), await time(1)), eleven = await time(11);
    r.timings.descriptorMedian = (eleven - one) / 10; // mean of 10, measured from outside
    r.timings.descriptorFirst = NaN;
    checkResult(s, r, t);
    // Local workerd does not enforce the 128 MB isolate limit: keep the wasm part well below it.
    assert.ok(r.wasmMemoryBytes <= 64 * 2 ** 20, `wasm memory ${r.wasmMemoryBytes} bytes > 64 MiB`);
  } finally {
    await mf.dispose();
  }
});

test("headless Chromium: bundled page, model from a URL", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  if (!chromiumPath()) {
    if (inCI) throw new Error("chromium is not installed (apt-get install -y chromium)");
    return t.skip("chromium not installed");
  }
  const s = await setup();
  const www = join(s.tmp, "www");
  mkdirSync(www, { recursive: true });
  await bundle(join(s.c.dir, "browser.mjs"), join(www, "app.js"), "browser");
  writeFileSync(join(s.c.dir, "pool-worker-entry.mjs"), `import "dlib-face-wasm/pool-worker.js";\n`);
  await bundle(join(s.c.dir, "pool-worker-entry.mjs"), join(www, "pool-worker.js"), "browser");
  writeFileSync(join(www, "index.html"), `<!doctype html><meta charset="utf-8"><title>runtimes</title><link rel="icon" href="data:,"><script type="module" src="/app.js"></script>`);
  writeFileSync(join(s.tmp, "landmarks.json"), JSON.stringify(s.landmarks));
  const { url, server } = await serve(www, {
    "/kernels.wasm": join(s.c.dir, "node_modules/dlib-face-wasm/dist/kernels.wasm"),
    "/fixtures/image": fixture("images", IMAGE),
    "/fixtures/hog.dat": fixture("models", "frontal_face_detector.dat"),
    "/fixtures/resnet.dat": s.model,
    "/fixtures/landmarks.json": join(s.tmp, "landmarks.json"),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url + "/");
    await page.waitForFunction(() => (window as any).__result || (window as any).__error, null, { timeout: 120_000 });
    const out = await page.evaluate(() => ({ r: (window as any).__result, e: (window as any).__error }));
    assert.equal(out.e, undefined, out.e);
    assert.deepEqual(errors, []);
    assert.ok(out.r.crossOriginIsolated, "page not cross-origin isolated (COOP/COEP): the pool could not share the weights");
    checkResult(s, out.r, t);
  } finally {
    await browser.close();
    server.close();
  }
});

// ---------------------------------------------------------------------------------------------------------
// examples/: each is copied to a temp folder, the packed tarball installed into it, and run as its README says.
// Landmarks there come from the 5-point toy predictor (fixtures; dlib's real 5-point model is not a fixture),
// so the expected numbers are computed here in Node, in-process, with the same installed package and models.

interface Expected { rects: number[][]; descriptors: Float32Array[] }
async function nodeExpected(s: Setup, imagePaths: string[]): Promise<{ perImage: Expected[]; labels: number[]; numClusters: number }> {
  const modelPath = s.model;
  const { clusterFaces, decodeImage, detectFaces, faceChips, faceDescriptors, loadHogDetector, loadNetwork, loadShapePredictor } =
    await import(pathToFileURL(join(s.c.dir, "node_modules/dlib-face-wasm/dist/entry/node.js")).href);
  const hog = loadHogDetector(readFileSync(fixture("models", "frontal_face_detector.dat")));
  const predictor = await loadShapePredictor(readFileSync(fixture("models", "shape_predictor_5_toy.dat")));
  const net = await loadNetwork(new Uint8Array(readFileSync(modelPath)));
  const perImage: Expected[] = [];
  for (const p of imagePaths) {
    const img = decodeImage(readFileSync(p));
    const faces: any[] = await detectFaces(img, { hog });
    const shapes = faces.map((f) => predictor.predict(img, f));
    perImage.push({ rects: faces.map((f) => [f.left, f.top, f.right, f.bottom]), descriptors: await faceDescriptors(net, faceChips(img, shapes)) });
  }
  const { labels, numClusters } = clusterFaces(perImage.flatMap((e) => e.descriptors));
  // the reference itself must still be dlib's: golden chip through the same network, after all of the above
  const [g] = await net.forward(faceChips(decodeImage(readFileSync(fixture("images", IMAGE))), [s.landmarks.map(([x, y]) => ({ x, y }))]));
  const gd = s.golden.faces[0].descriptor_resnet_q8 as number[];
  const md = Math.max(...gd.map((v, i) => Math.abs(v - g[i])));
  assert.ok(md <= TOL, `Node reference network drifted from the golden after loading the shape predictor: ${md}`);
  return { perImage, labels, numClusters };
}

function checkFacesJson(json: any, exp: Expected, what: string): void {
  assert.equal(json.faces.length, exp.rects.length, `${what}: number of faces`);
  json.faces.forEach((f: any, i: number) => {
    assert.deepEqual([f.rect.left, f.rect.top, f.rect.right, f.rect.bottom], exp.rects[i], `${what}: face ${i} rect`);
    assert.equal(f.descriptor.length, 128);
    // JSON numbers of float32 values round-trip exactly
    assert.deepEqual(Float32Array.from(f.descriptor), exp.descriptors[i], `${what}: face ${i} descriptor bits differ from Node's`);
  });
}

async function installExample(s: Setup, name: string): Promise<string> {
  const dir = copyExample(name, join(s.tmp, "examples", name));
  // the example's own dependencies, with dlib-face-wasm from the packed tarball
  const r = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", s.c.tarball], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(r.code, 0, `npm install in examples/${name}: ${r.stderr.slice(-3000)}`);
  return dir;
}

test("examples/cloudflare-worker: wrangler dev with models in local R2; POST an image → faces + descriptors", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const dir = await installExample(s, "cloudflare-worker");
  const wrangler = join(ROOT, "node_modules/.bin/wrangler"); // the example pins the same wrangler 4.86.0
  const env = { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  const persist = join(dir, ".wrangler/state");
  const put = async (key: string, file: string) => {
    const r = await run(wrangler, ["r2", "object", "put", `dlib-face-models/${key}`, "--file", file, "--local", "--persist-to", persist], { cwd: dir, env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `wrangler r2 object put ${key}: ${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
  };
  // one after the other: the local R2 store is one SQLite database (parallel puts get SQLITE_BUSY)
  await put("frontal_face_detector.dat", fixture("models", "frontal_face_detector.dat"));
  await put("shape_predictor_5_face_landmarks.dat", fixture("models", "shape_predictor_5_toy.dat"));
  await put("dlib_face_recognition_resnet_model_v1.dat", s.model);
  const [port, inspector] = [await freePort(), await freePort()];
  const srv = startServer(wrangler, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persist], { cwd: dir, env });
  try {
    await srv.waitFor(`http://127.0.0.1:${port}/`, 90_000);
    const images = [fixture("images", IMAGE), fixture("images", "2009_004587.jpg")];
    const exp = await nodeExpected(s, images);
    for (const [i, p] of images.entries()) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: readFileSync(p) });
      const json: any = await res.json();
      assert.equal(res.status, 200, JSON.stringify(json));
      checkFacesJson(json, exp.perImage[i], `worker ${p}`);
      t.diagnostic(`cloudflare-worker ${p.split("/").pop()}: ${json.faces.length} faces, ${(performance.now() - t0).toFixed(0)} ms${i === 0 ? " (cold: models from R2)" : ""}`);
    }
    const bad = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "not an image" });
    assert.equal(bad.status, 400);
  } finally {
    await srv.stop();
  }
});

test("examples/deno: deno serve endpoint; POST an image → faces + descriptors", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const s = await setup();
  const dir = await installExample(s, "deno");
  const models = join(dir, "models");
  mkdirSync(models, { recursive: true });
  copyFileSync(fixture("models", "shape_predictor_5_toy.dat"), join(models, "shape_predictor_5_face_landmarks.dat"));
  copyFileSync(s.model, join(models, "dlib_face_recognition_resnet_model_v1.dat"));
  const port = await freePort();
  const srv = startServer(binary("deno"), ["serve", "--allow-read", "--allow-env", "--allow-net", "--host", "127.0.0.1", "--port", String(port), "main.ts"], { cwd: dir, env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DLIB_FACE_SIMD: "plain" } }); // (the plain build: Node's bits)
  try {
    await srv.waitFor(`http://127.0.0.1:${port}/`, 60_000);
    const images = [fixture("images", IMAGE), fixture("images", "2009_004587.jpg")];
    const exp = await nodeExpected(s, images);
    for (const [i, p] of images.entries()) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: readFileSync(p) });
      const json: any = await res.json();
      assert.equal(res.status, 200, JSON.stringify(json));
      checkFacesJson(json, exp.perImage[i], `deno ${p}`);
      t.diagnostic(`deno serve ${p.split("/").pop()}: ${json.faces.length} faces, ${(performance.now() - t0).toFixed(0)} ms${i === 0 ? " (cold: models from files)" : ""}`);
    }
  } finally {
    await srv.stop();
  }
});

test("examples/browser: drop photos → faces clustered in the page (Chromium, screenshot)", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  if (!chromiumPath()) {
    if (inCI) throw new Error("chromium is not installed (apt-get install -y chromium)");
    return t.skip("chromium not installed");
  }
  const s = await setup();
  const dir = await installExample(s, "browser");
  const b = await run(process.execPath, ["build.mjs"], { cwd: dir });
  assert.equal(b.code, 0, b.stderr);
  copyFileSync(fixture("models", "shape_predictor_5_toy.dat"), join(dir, "models/shape_predictor_5_face_landmarks.dat"));
  copyFileSync(s.model, join(dir, "models/dlib_face_recognition_resnet_model_v1.dat"));
  const port = await freePort();
  const srv = startServer(process.execPath, ["serve.mjs"], { cwd: dir, env: { PORT: String(port) } });
  const photos = ["HiranoShow.png", "KamioFuju.png", "KitamutaTakumi.png", "MinakamiKouji.png", "NakagawaTaishi.png", "2009_004587.jpg", "bald_guys.jpg"].map((f) => fixture("images", f));
  const browser = await launchChromium();
  try {
    await srv.waitFor(`http://127.0.0.1:${port}/`);
    const exp = await nodeExpected(s, photos);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(`${r.method()} ${r.url()}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), "ready", await page.textContent("#status") ?? "");
    const t0 = performance.now();
    await page.setInputFiles("#files", photos);
    await page.waitForFunction(() => document.body.dataset.state === "done", null, { timeout: 180_000 });
    const ms = performance.now() - t0;
    const got: any = await page.evaluate(() => (window as any).__clusters);
    assert.deepEqual(errors, []);
    assert.equal(got.faces.length, exp.labels.length, "number of faces found in the page");
    assert.equal(got.numClusters, exp.numClusters, "number of clusters");
    assert.deepEqual(got.labels, exp.labels, "cluster labels differ from Node's");
    assert.equal(await page.locator(".cluster").count(), exp.numClusters);
    assert.equal(await page.locator(".cluster canvas").count(), exp.labels.length);
    // nothing uploaded: only GETs of the page's own files and models
    assert.deepEqual(requests.filter((r) => !r.startsWith("GET ") || !r.includes(`127.0.0.1:${port}/`)), []);
    const shot = process.env.BROWSER_EXAMPLE_SCREENSHOT ?? join(s.tmp, "browser-example.png");
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`browser example: ${got.faces.length} faces in ${photos.length} photos, ${got.numClusters} clusters, ${(ms / 1000).toFixed(1)} s in the page; screenshot ${shot}`);
  } finally {
    await browser.close();
    await srv.stop();
  }
});

test("DescriptorPool (sources, worker_threads): a bad model rejects create(); a closed pool rejects forward()", async (t) => {
  if (!fixturesPresent()) return t.skip("fixtures not found");
  const { DescriptorPool } = await import("../src/nn/pool.ts");
  await assert.rejects(DescriptorPool.create(new Uint8Array(1000), { size: 2 }), /pool worker: .+/);
  for (const taskSize of [0, 1.5, -2]) await assert.rejects(DescriptorPool.create(new Uint8Array(1000), { size: 1, taskSize }), RangeError, `taskSize ${taskSize}`);
  const s = await setup();
  const pool = await DescriptorPool.create(s.model, { size: 2, taskSize: 1 });
  assert.equal(pool.size, 2);
  const img = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(7) };
  const outs = await pool.forward([img, img, img]);
  assert.equal(outs.length, 3);
  assert.deepEqual(outs[1], outs[0]);
  assert.deepEqual(outs[2], outs[0]);
  assert.equal(outs[0].length, 128);
  assert.deepEqual(await pool.forward([]), []);
  await pool.close();
  await assert.rejects(pool.forward([img]), /closed/);
});
