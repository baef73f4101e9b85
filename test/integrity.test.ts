/**
 * Model integrity: registry files are pinned (size + git blob SHA-1, compressed and, where known, decompressed
 * form); loading by registry name and `dlib-face models verify` reject a tampered or truncated copy; a download
 * is checked before it is written, and written atomically (temp file + rename, nothing left by a failure),
 * tested against a local HTTP server on 127.0.0.1 with an injected registry entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fetchModel, resolveModel, verifyModelFile, registryEntry, gitBlobSha1, REGISTRY, ModelIntegrityError, type RegistryEntry } from "../src/face/models.ts";
import { readSource } from "../src/dlib/source.ts";
import { fixture, hasFixtures, repoRoot } from "./fixtures.ts";

const NAME = "dnn_gender_classifier_v1";
const tmp = (tag: string) => mkdtempSync(join(tmpdir(), `dlib-face-integrity-${tag}-`));

function flip(b: Uint8Array, at: number): Uint8Array {
  const c = b.slice();
  c[at] ^= 0x10;
  return c;
}

test("the registry pins every downloadable file (SHA-1), and the fixtures match their pins", async (t) => {
  for (const e of REGISTRY) {
    if (e.urls.length) assert.match(e.sha1 ?? "", /^[0-9a-f]{40}$/, `${e.name} has a pinned SHA-1`);
  }
  if (!hasFixtures()) return void t.skip("fixtures absent");
  let checked = 0;
  for (const e of REGISTRY) {
    const p = fixture("models", e.file);
    if (!existsSync(p)) continue;
    const r = await verifyModelFile(p, e);
    assert.ok(r.ok && r.verified, `${e.name}: ${r.detail}`);
    const { bytes } = await readSource(p);
    if (e.decompressedSha1) {
      assert.equal(await gitBlobSha1(bytes), e.decompressedSha1);
      assert.equal(bytes.length, e.decompressedSize);
    }
    checked++;
  }
  assert.ok(checked >= 3);
});

test("loading by registry name rejects a tampered or truncated copy in $DLIB_FACE_MODELS (compressed and decompressed)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const e = registryEntry(NAME)!;
  const bz = new Uint8Array(readFileSync(fixture("models", e.file)));
  const { bytes: plain } = await readSource(bz);
  const dir = tmp("models");
  const cache = tmp("cache");
  const saved = process.env.DLIB_FACE_MODELS;
  process.env.DLIB_FACE_MODELS = dir;
  try {
    const load = () => resolveModel(NAME, { cacheDir: cache, download: false });
    // a clean .bz2 loads and gives the decompressed bytes
    writeFileSync(join(dir, e.file), bz);
    assert.deepEqual((await load()).bytes, plain);
    // one byte changed in the middle of the .bz2
    writeFileSync(join(dir, e.file), flip(bz, bz.length >> 1));
    await assert.rejects(load(), (err: unknown) => err instanceof ModelIntegrityError && /SHA-1 [0-9a-f]{40} != 8a0aff4b8c3f10ff441949e68dd8259ab8cdf4eb pinned by the registry/.test((err as Error).message));
    // truncated: refused on its size before hashing
    writeFileSync(join(dir, e.file), bz.subarray(0, 1000));
    await assert.rejects(load(), (err: unknown) => err instanceof ModelIntegrityError && /size 1000 bytes != 516312/.test((err as Error).message));
    // verify: false reads it anyway (and the bzip2 reader then fails in its own way)
    await assert.rejects(resolveModel(NAME, { cacheDir: cache, download: false, verify: false }), (err: unknown) => !(err instanceof ModelIntegrityError));
    rmSync(join(dir, e.file));
    // a decompressed copy: checked against the decompressed pin
    writeFileSync(join(dir, "dnn_gender_classifier_v1.dat"), plain);
    assert.deepEqual((await load()).bytes, plain);
    writeFileSync(join(dir, "dnn_gender_classifier_v1.dat"), flip(plain, 1234));
    await assert.rejects(load(), (err: unknown) => err instanceof ModelIntegrityError && /dnn_gender_classifier_v1\.dat: SHA-1 .* pinned by the registry \(decompressed form\)/.test((err as Error).message));
  } finally {
    if (saved === undefined) delete process.env.DLIB_FACE_MODELS;
    else process.env.DLIB_FACE_MODELS = saved;
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});

test("`dlib-face models verify` fails on a tampered copy and names it", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const e = registryEntry(NAME)!;
  const dir = tmp("cli");
  const cache = tmp("clicache");
  try {
    const bz = new Uint8Array(readFileSync(fixture("models", e.file)));
    writeFileSync(join(dir, e.file), flip(bz, 100));
    writeFileSync(join(dir, "mmod_human_face_detector.dat.bz2"), readFileSync(fixture("models", "mmod_human_face_detector.dat.bz2")));
    const run = () => spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "models", "verify"], {
      cwd: repoRoot, encoding: "utf8", env: { ...process.env, DLIB_FACE_MODELS: dir, XDG_CACHE_HOME: cache }, timeout: 60_000,
    });
    const r = run();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`${NAME}: .*${e.file}: SHA-1 [0-9a-f]{40} != ${e.sha1}`));
    assert.match(r.stdout, /mmod_human_face_detector: .*: SHA-1 ok/);
    assert.match(r.stderr, /1 model file\(s\) do not match the registry/);
    writeFileSync(join(dir, e.file), bz);
    const ok = run();
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});

interface Served { server: Server; url: string; sentHalf: Promise<void>; release: () => void }

/** A server on 127.0.0.1 answering every request with `body`, in the given way. */
async function serve(body: Uint8Array, mode: "whole" | "pause" | "cut" = "whole"): Promise<Served> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let sentHalfResolve!: () => void;
  const sentHalf = new Promise<void>((r) => (sentHalfResolve = r));
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(body.length) });
    if (mode === "whole") return void res.end(body);
    const half = body.length >> 1;
    res.write(body.subarray(0, half), () => {
      sentHalfResolve();
      if (mode === "cut") return void setTimeout(() => res.destroy(), 20);
      void released.then(() => res.end(body.subarray(half)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/${NAME}.dat.bz2`, sentHalf, release };
}

const leftovers = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.includes(".part")) : []);

test("download from a local server: verified, decompressed, written atomically with its record; later loads check it", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const base = registryEntry(NAME)!;
  const bz = new Uint8Array(readFileSync(fixture("models", base.file)));
  const { bytes: plain } = await readSource(bz);
  const cache = tmp("dl");
  const s = await serve(bz, "pause");
  try {
    // no decompressed pin in this entry: the download record is what later loads check
    const registry: RegistryEntry[] = [{ ...base, urls: [s.url], decompressedSha1: null, decompressedSize: null }];
    const target = join(cache, "dnn_gender_classifier_v1.dat");
    const p = fetchModel(NAME, { registry, cacheDir: cache });
    await s.sentHalf;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(target), false, "nothing at the final path while the download is incomplete");
    s.release();
    assert.equal(await p, target);
    assert.deepEqual(new Uint8Array(readFileSync(target)), plain);
    const rec = JSON.parse(readFileSync(`${target}.sha1.json`, "utf8"));
    assert.equal(rec.sha1, await gitBlobSha1(plain));
    assert.equal(rec.sourceSha1, base.sha1);
    assert.deepEqual(leftovers(cache), []);
    // loading by name from the cache: verified against the record
    const saved = process.env.DLIB_FACE_MODELS;
    delete process.env.DLIB_FACE_MODELS;
    try {
      assert.deepEqual((await resolveModel(NAME, { registry, cacheDir: cache, download: false })).bytes, plain);
      writeFileSync(target, flip(plain, 4000));
      await assert.rejects(resolveModel(NAME, { registry, cacheDir: cache, download: false }), (err: unknown) => err instanceof ModelIntegrityError && /pinned by the record of its download/.test((err as Error).message));
      const v = await verifyModelFile(target, registry[0]);
      assert.equal(v.ok, false);
    } finally {
      if (saved !== undefined) process.env.DLIB_FACE_MODELS = saved;
    }
  } finally {
    s.server.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test("download of wrong bytes, a cut connection or an oversized answer leaves nothing in the cache", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const base = registryEntry(NAME)!;
  const bz = new Uint8Array(readFileSync(fixture("models", base.file)));
  for (const [label, body, mode, re] of [
    ["tampered", flip(bz, 5000), "whole", /SHA-1 [0-9a-f]{40} != 8a0aff4b/],
    ["cut", bz, "cut", /could not download/],
    ["oversized", new Uint8Array(bz.length + 10), "whole", /announced|more than/],
  ] as const) {
    const cache = tmp(label);
    mkdirSync(cache, { recursive: true });
    const s = await serve(body, mode);
    try {
      const registry: RegistryEntry[] = [{ ...base, urls: [s.url] }];
      await assert.rejects(fetchModel(NAME, { registry, cacheDir: cache }), (err: unknown) => re.test((err as Error).message), label);
      assert.deepEqual(readdirSync(cache), [], `${label}: cache stays empty`);
    } finally {
      s.server.close();
      rmSync(cache, { recursive: true, force: true });
    }
  }
});

test("supply chain: lockfile committed, no runtime dependencies (as the README says), nothing in src/ imports a package", () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; extraneous?: boolean; hasInstallScript?: boolean; version?: string }> };
  const runtime = Object.entries(lock.packages).filter(([k, v]) => k.startsWith("node_modules/") && !v.dev && !v.devOptional && !v.extraneous);
  assert.deepEqual(runtime.map(([k]) => k), [], "runtime dependency tree");
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  assert.ok(readme.slice(readme.indexOf("## Dependencies")).includes("None at run time"), "README Dependencies says there are none");
  // every import in src/ is relative or a node: builtin
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".ts") ? [join(d, e.name)] : []);
  for (const f of walk(join(repoRoot, "src"))) {
    for (const m of readFileSync(f, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"|import\("([^"]+)"\)/g)) {
      const spec = m[1] ?? m[2];
      assert.ok(spec.startsWith(".") || spec.startsWith("node:") || spec.startsWith("tsx/"), `${f} imports ${spec}`);
    }
  }
  const git = spawnSync("git", ["ls-files", "--error-unmatch", "package-lock.json"], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(git.status, 0, "package-lock.json is committed");
});
