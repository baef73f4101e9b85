/**
 * The CLI end to end (spawned as a user would run it, from the TypeScript sources): cluster on bald_guys.jpg
 * finds dlib's 4 people with dlib's labels, info describes every fixture model, forward --trace reproduces the
 * golden traces, errors are one line with a non-zero exit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fixture, fixturesDir, hasFixtures, readJson, repoRoot } from "./fixtures.ts";

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot, encoding: "utf8", env: { ...process.env, DLIB_FACE_MODELS: join(fixturesDir, "models"), ...env }, maxBuffer: 256 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const have68 = existsSync("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");

test("cluster bald_guys.jpg: dlib's 4 people, same labels as dlib, and an HTML report", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  if (!have68) {
    if (process.env.CI === "true") throw new Error("libdlib-data (68-point model) missing under CI");
    return void t.skip("shape_predictor_68_face_landmarks.dat not installed (apt-get install libdlib-data)");
  }
  const dir = mkdtempSync(join(tmpdir(), "dlibface-"));
  const report = join(dir, "report.html");
  const r = cli(["cluster", fixture("images", "bald_guys.jpg"), "--model", "resnet_v1_faceapi_q8.dat.bz2", "--landmarks", "shape_predictor_68_face_landmarks", "--json", "--report", report]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const g = readJson(fixture("golden", "bald_guys.json"));
  assert.equal(j.clusters, 4);
  assert.deepEqual(j.faces.map((f: { cluster: number }) => f.cluster), g.clusters.labels);
  assert.deepEqual(j.faces.map((f: { left: number; top: number; right: number; bottom: number }) => [f.left, f.top, f.right, f.bottom]),
    g.hog.upsample0.map((d: { rect: { left: number; top: number; right: number; bottom: number } }) => [d.rect.left, d.rect.top, d.rect.right, d.rect.bottom]));
  const html = readFileSync(report, "utf8");
  assert.match(html, /4 people in 24 faces/);
  assert.equal((html.match(/<rect /g) ?? []).length, 24);
});

test("cluster --method bottom-up: dlib's bottom_up_cluster labels on bald_guys.jpg; a bad --method is a usage error", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  if (!have68) {
    if (process.env.CI === "true") throw new Error("libdlib-data (68-point model) missing under CI");
    return void t.skip("shape_predictor_68_face_landmarks.dat not installed (apt-get install libdlib-dev)");
  }
  const golden = JSON.parse(readFileSync(join(repoRoot, "test", "data", "cluster", "bottom_up_cluster.golden.json"), "utf8"));
  const want = golden.cases.find((c: { kind: string; minNumClusters: number; maxDist: number | null }) => c.kind === "bald_guys" && c.minNumClusters === 1 && c.maxDist === 0.6);
  const r = cli(["cluster", fixture("images", "bald_guys.jpg"), "--model", "resnet_v1_faceapi_q8.dat.bz2", "--landmarks", "shape_predictor_68_face_landmarks", "--json", "--method", "bottom-up"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.clusters, want.numClusters);
  assert.deepEqual(j.faces.map((f: { cluster: number }) => f.cluster), want.labels);
  const bad = cli(["cluster", fixture("images", "bald_guys.jpg"), "--method", "kmeans"]);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /--method must be chinese-whispers or bottom-up, got kmeans/);
});

test("info describes every fixture model", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  for (const f of readdirSync(fixture("models")).sort()) {
    if (f.startsWith("tiny_")) continue; // tiny nets need their test-only types (test/nets)
    const r = cli(["info", fixture("models", f), "--json"]);
    assert.equal(r.code, 0, `${f}: ${r.err}`);
    const j = JSON.parse(r.out);
    assert.ok(j.kind, f);
    if (j.kind === "network") assert.ok(j.info.length >= j.layers, `${f}: a line per layer`);
  }
  const tiny = cli(["info", fixture("models", "tiny_resnet_metric_bn.dat"), "--type", join(repoRoot, "test/nets/tiny_resnet_metric.txt")]);
  assert.equal(tiny.code, 0, tiny.err);
  assert.match(tiny.out, /layer<1>\tfc_no_bias \(num_outputs=16\)/);
});

for (const [model, png] of [["resnet_v1_faceapi_q8", "bald_guys_0.png"], ["gender_resnet34_random", "bald_guys_0.png"]] as const) {
  test(`forward --trace ${model} reproduces the golden trace`, (t) => {
    if (!hasFixtures()) return void t.skip("fixtures absent");
    const file = readdirSync(fixture("models")).find((f) => f.startsWith(model + "."))!;
    const r = cli(["forward", fixture("models", file), fixture("golden", "chips", png), "--trace"]);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out).outputs[0];
    const g = readJson(fixture("golden", "traces", `${model}.json`));
    assert.equal(out.trace.length, g.layers.length);
    for (let i = 0; i < g.layers.length; i++) {
      const a = out.trace[i], b = g.layers[i];
      assert.equal(a.index, b.index);
      assert.equal(a.type, b.type);
      assert.deepEqual(a.shape, b.shape);
      assert.ok(Math.abs(a.sum - b.sum) <= 1e-4 * b.sum_abs && Math.abs(a.sum_abs - b.sum_abs) <= 1e-4 * b.sum_abs, `layer<${b.index}> ${b.type}`);
    }
  });
}

test("errors: one line on stderr, non-zero exit; stack only with --debug", () => {
  const r = cli(["info", join(repoRoot, "package.json")]);
  assert.notEqual(r.code, 0);
  assert.equal(r.err.trim().split("\n").length, 1, r.err);
  assert.match(r.err, /DlibFormatError/);
  const d = cli(["info", join(repoRoot, "package.json"), "--debug"]);
  assert.match(d.err, /\n\s+at /);
  const u = cli(["detect"]);
  assert.equal(u.code, 2);
  const x = cli(["nonsense"]);
  assert.equal(x.code, 2);
});

test("detect: face_recognition's text lines (clipped css) and JSON with dlib rects, HOG and CNN", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const img = fixture("images", "2009_004587.jpg");
  const g = readJson(fixture("golden", "2009_004587.json"));
  const r = cli(["detect", img]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.equal(lines.length, g.hog.upsample0.length);
  const d0 = g.hog.upsample0[0].rect;
  assert.equal(lines[0], `${img},${Math.max(d0.top, 0)},${Math.min(d0.right, g.width)},${Math.min(d0.bottom, g.height)},${Math.max(d0.left, 0)}`);
  const cnn = cli(["detect", img, "--detector", "cnn", "--json"]);
  assert.equal(cnn.code, 0, cnn.err);
  const j = JSON.parse(cnn.out)[0];
  assert.deepEqual(j.faces.map((f: { left: number; top: number; right: number; bottom: number }) => ({ left: f.left, top: f.top, right: f.right, bottom: f.bottom })),
    g.mmod.detections.map((d: { rect: unknown }) => d.rect));
  assert.ok(j.faces.every((f: { detector: string }) => f.detector === "cnn"));
});

test("compare: face_recognition's output lines", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  if (!have68) return void t.skip("68-point model not installed");
  const dir = mkdtempSync(join(tmpdir(), "known-"));
  const known = join(dir, "known");
  spawnSync("mkdir", ["-p", known]);
  spawnSync("cp", [fixture("images", "HiranoShow.png"), join(known, "hirano.png")]);
  spawnSync("cp", [fixture("images", "dogs.jpg"), join(known, "dogs.jpg")]);
  const r = cli(["compare", known, fixture("images", "HiranoShow.png"), fixture("images", "dogs.jpg"), "--model", "resnet_v1_faceapi_q8.dat.bz2",
    "--landmarks", "shape_predictor_68_face_landmarks", "--tolerance", "0.3", "--show-distance", "true"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /WARNING: No faces found in .*dogs\.jpg\. Ignoring file\./);
  const lines = r.out.trim().split("\n");
  assert.equal(lines[0], `${fixture("images", "HiranoShow.png")},hirano,0`);
  assert.equal(lines[1], `${fixture("images", "dogs.jpg")},no_persons_found,None`);
});

test("the built bin is executable, as `npx dlib-face` in a fresh clone needs (npm links the project's own bin before prepare builds it)", () => {
  const bin = join(repoRoot, "dist", "cli", "main.js");
  assert.ok(existsSync(bin), "dist/cli/main.js is built");
  assert.ok((statSync(bin).mode & 0o111) !== 0, "dist/cli/main.js has the execute bit");
  const r = spawnSync(bin, ["--help"], { encoding: "utf8" }); // through its #! line, as npx runs it
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dlib-face cluster/);
});
