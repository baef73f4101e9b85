/**
 * The two kernel builds: dist/kernels.wasm (plain SIMD) and dist/kernels-relaxed.wasm (the gemm micro-kernels
 * multiply-add with relaxed_madd), the one a runtime loads (preferredKernelBuild: relaxed where the engine
 * validates relaxed SIMD, unless DLIB_FACE_SIMD=plain), and the relaxed build's descriptors against dlib's and the
 * plain build's. Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd: the relaxed build runs in
 * a child process with that flag when this process does not have it (`npm run test:relaxed` runs the parity tests
 * themselves with it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { needFixture, readPngRgb, readJson, repoRoot } from "./fixtures.ts";
import { createKernels, preferredKernelBuild } from "../src/nn/wasm.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { readSource } from "../src/dlib/source.ts";

const dist = join(repoRoot, "dist");
const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
const engineHasRelaxed = WebAssembly.validate(probe);
// what a child `node` (without this process's flags) needs for relaxed SIMD
const childRelaxedFlags = spawnSync(process.execPath, ["-e", `process.exit(WebAssembly.validate(new Uint8Array(${JSON.stringify(Array.from(probe))})) ? 0 : 1)`]).status === 0
  ? [] : ["--experimental-wasm-relaxed-simd"];

test("preferredKernelBuild: relaxed exactly where the engine validates relaxed SIMD; DLIB_FACE_SIMD=plain forces plain", async () => {
  const was = process.env.DLIB_FACE_SIMD;
  try {
    delete process.env.DLIB_FACE_SIMD;
    assert.equal(preferredKernelBuild(), engineHasRelaxed ? "relaxed" : "simd");
    process.env.DLIB_FACE_SIMD = "plain";
    assert.equal(preferredKernelBuild(), "simd");
  } finally {
    if (was === undefined) delete process.env.DLIB_FACE_SIMD;
    else process.env.DLIB_FACE_SIMD = was;
  }
  const k = await createKernels();
  assert.equal(k.build, was === "plain" ? "simd" : preferredKernelBuild());
});

test("both builds exist, export the same kernels, and say which they are", () => {
  const plain = readFileSync(join(dist, "kernels.wasm")), relaxed = readFileSync(join(dist, "kernels-relaxed.wasm"));
  assert.ok(!plain.equals(relaxed));
  assert.equal(WebAssembly.validate(relaxed), engineHasRelaxed, "the relaxed build uses relaxed-SIMD opcodes");
  const code = `
    const fs = require("node:fs");
    const p = new WebAssembly.Module(fs.readFileSync(${JSON.stringify(join(dist, "kernels.wasm"))}));
    const r = new WebAssembly.Module(fs.readFileSync(${JSON.stringify(join(dist, "kernels-relaxed.wasm"))}));
    const names = (m) => WebAssembly.Module.exports(m).map((e) => e.name + ":" + e.kind).sort().join(",");
    const build = (m) => new WebAssembly.Instance(m, {}).exports.kernel_build_relaxed();
    console.log(JSON.stringify({ same: names(p) === names(r), plain: build(p), relaxed: build(r) }));`;
  const r = spawnSync(process.execPath, [...childRelaxedFlags, "-e", code], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { same: true, plain: 0, relaxed: 1 });
});

test("relaxed build: face descriptors within 1e-4 of dlib's and 1e-5 of the plain build's", async (t) => {
  const model = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const chipPath = needFixture(t, "golden", "chips", "bald_guys_0.png");
  const goldenPath = needFixture(t, "golden", "bald_guys.json");
  if (!model || !chipPath || !goldenPath) return;
  const want = (readJson(goldenPath) as { faces: { descriptor_resnet_q8: number[] }[] }).faces[0].descriptor_resnet_q8;
  // the plain build's descriptor, in a child forced to it (this process may run either)
  const script = `
    import { loadNetwork } from ${JSON.stringify(join(repoRoot, "src/nn/network.ts"))};
    import { readSource } from ${JSON.stringify(join(repoRoot, "src/dlib/source.ts"))};
    import { readPngRgb } from ${JSON.stringify(join(repoRoot, "test/fixtures.ts"))};
    const net = await loadNetwork((await readSource(${JSON.stringify(model)})).bytes, { type: "dlib_face_recognition_resnet_model_v1" });
    const out = net.forwardSync([await readPngRgb(${JSON.stringify(chipPath)})]).outputs[0];
    console.log(JSON.stringify({ build: net.kernels.build, d: Array.from(out) }));`;
  const child = (flags: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: repoRoot, env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { build: string; d: number[] };
  };
  const plain = child([], { DLIB_FACE_SIMD: "plain" });
  const relaxed = child(childRelaxedFlags, { DLIB_FACE_SIMD: "" });
  assert.equal(plain.build, "simd");
  assert.equal(relaxed.build, "relaxed");
  let vsDlib = 0, vsPlain = 0;
  for (let i = 0; i < 128; i++) {
    vsDlib = Math.max(vsDlib, Math.abs(relaxed.d[i] - want[i]));
    vsPlain = Math.max(vsPlain, Math.abs(relaxed.d[i] - plain.d[i]));
  }
  t.diagnostic(`relaxed build: max |Δ| vs dlib ${vsDlib.toExponential(2)}, vs the plain build ${vsPlain.toExponential(2)}`);
  assert.ok(vsDlib <= 1e-4 && vsPlain <= 1e-5);
  // and in this process, whichever build it runs
  const net = await loadNetwork((await readSource(model)).bytes, { type: "dlib_face_recognition_resnet_model_v1" });
  const here = net.forwardSync([await readPngRgb(chipPath)]).outputs[0];
  const ref = net.kernels.build === "relaxed" ? relaxed.d : plain.d;
  assert.deepEqual(Array.from(here), ref, "the same build gives the same bits in another process");
  net.dispose();
  assert.ok(existsSync(join(dist, "kernels-relaxed.wasm")));
});
