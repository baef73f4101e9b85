/**
 * Native dlib 19.24 in the same run: runs `../shared/tools/dlib-bench` (C++, Debian's libdlib + OpenBLAS) when it
 * has been built, and returns its timings. Nothing here is committed output: the binary lives outside the repo.
 *
 * Build once (see ../shared/tools/dlib-bench/README.md):
 *   apt-get install -y g++ pkg-config libdlib-dev libopenblas-dev libdlib-data
 *   OUT=/tmp/dlib-native ../shared/tools/dlib-bench/build.sh        (or OUT=bench/.native-build)
 * Looked up in: $DLIB_BENCH_BIN, bench/.native-build/bench, /tmp/dlib-native/bench.
 * The models it needs (decompressed fixture .bz2 files) are written next to the binary, once.
 *   npx tsx bench/native.ts [--json]
 */
import { existsSync, mkdirSync, writeFileSync, copyFileSync, readdirSync, statSync } from "node:fs";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

export interface NativeStat { median_ms: number; min_ms: number; max_ms: number; runs: number; process_cpu_median_ms: number }

export interface NativeResult {
  binary: string;
  /** OpenBLAS kernel set: the OPENBLAS_CORETYPE the run had ("default" = OpenBLAS's own detection, AVX-512 here). */
  openblas_coretype: string;
  /** dlib-bench's JSON: per measure {median_ms, min_ms, max_ms, runs, process_cpu_median_ms} and a few counts. */
  timings: Record<string, NativeStat | unknown>;
  /** Peak RSS (MiB) of a process loading the q8 ResNet and embedding one chip. */
  rss_mb: number | null;
}

/** Path of a built dlib-bench binary, or null. */
export function findNativeBench(): string | null {
  const cands = [process.env.DLIB_BENCH_BIN, join(here, ".native-build", "bench"), "/tmp/dlib-native/bench"].filter(Boolean) as string[];
  return cands.find((p) => existsSync(p)) ?? null;
}

/** Decompress the fixture models dlib-bench reads into `dir` (once). */
async function prepareModels(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { readSource } = await import("../src/dlib/source.ts");
  const models = join(fixtures, "models");
  for (const f of readdirSync(models)) {
    if (f.endsWith(".bz2")) {
      const out = join(dir, f.slice(0, -4));
      if (!existsSync(out)) writeFileSync(out, (await readSource(join(models, f))).bytes);
    }
  }
  const hog = join(dir, "frontal_face_detector.dat");
  if (!existsSync(hog)) copyFileSync(join(models, "frontal_face_detector.dat"), hog);
}

/**
 * Run native dlib's timings (one BLAS thread, `repeats` runs per measure after a warm-up) and its RSS probe.
 * Returns null when the binary is not built or the fixtures are missing.
 */
export async function runNativeBench(opts: { repeats?: number; coretype?: string | null } = {}): Promise<NativeResult | null> {
  const bin = findNativeBench();
  if (!bin || !existsSync(join(fixtures, "models"))) return null;
  const modelsDir = join(dirname(bin), "models");
  await prepareModels(modelsDir);
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", REPEATS: String(opts.repeats ?? 9) };
  if (opts.coretype === null) delete env.OPENBLAS_CORETYPE;
  else if (opts.coretype) env.OPENBLAS_CORETYPE = opts.coretype;
  const sp68 = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  const args = [modelsDir, sp68, join(fixtures, "images", "bald_guys.jpg"), join(fixtures, "golden", "mmod_inputs", "bald_guys.png"), join(fixtures, "images", "HiranoShow.png")];
  const r = spawnSync(bin, args, { env, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`dlib-bench failed (${r.status}): ${r.stderr}`);
  const timings = JSON.parse(r.stdout) as Record<string, unknown>;
  // through sh (which forks the binary): getrusage's peak RSS of a process execed straight from this (large)
  // node process would start from node's own peak
  const rr = spawnSync("/bin/sh", ["-c", '"$0" "$@"; true', bin, "rss", modelsDir, join(fixtures, "golden", "chips", "bald_guys_0.png")], { env, encoding: "utf8" });
  let rss: number | null = null;
  try {
    rss = (JSON.parse(rr.stdout.trim()) as { peak_rss_kib: number }).peak_rss_kib / 1024;
  } catch {
    rss = null;
  }
  return { binary: bin, openblas_coretype: env.OPENBLAS_CORETYPE ?? "default", timings, rss_mb: rss };
}

/**
 * Native dlib's face descriptor on demand (bench/native-pair.cpp in a child process, one BLAS thread, the same
 * OpenBLAS kernels as runNativeBench), for rounds that alternate with ours: a ratio of rounds run back to back is
 * not skewed by the machine's speed drifting during the run (a one-off native measurement lasts 0.13 s).
 */
export class NativePair {
  private lines: AsyncIterator<string>;
  private constructor(private child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /**
   * Builds the helper next to the dlib-bench binary when missing or older than its source (g++ and libdlib-dev,
   * the flags of dlib-bench's build.sh), starts it on the q8 ResNet and a golden chip, and waits for its warm-up.
   * Null when dlib-bench is not built, the fixtures are missing or the build fails.
   */
  static async start(opts: { coretype?: string | null } = {}): Promise<NativePair | null> {
    const bin = findNativeBench();
    if (!bin || !existsSync(join(fixtures, "models"))) return null;
    const modelsDir = join(dirname(bin), "models");
    await prepareModels(modelsDir);
    const src = join(here, "native-pair.cpp");
    const exe = join(dirname(bin), "native-pair");
    if (!existsSync(exe) || statSync(exe).mtimeMs < statSync(src).mtimeMs) {
      const flags = spawnSync("pkg-config", ["--cflags", "--libs", "dlib-1"], { encoding: "utf8" });
      if (flags.status !== 0) return null;
      const inc = [resolve(fixtures, "..", "tools", "dlib-bench"), resolve(here, "..", "..", "shared", "tools", "dlib-bench")].find((d) => existsSync(join(d, "nets.h")));
      if (!inc) return null;
      const cc = spawnSync("g++", ["-O3", "-march=native", "-ffp-contract=off", "-std=c++17", `-I${inc}`, src, "-o", exe, ...flags.stdout.trim().split(/\s+/)], { encoding: "utf8" });
      if (cc.status !== 0) throw new Error(`building ${exe} failed: ${cc.stderr}`);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" };
    if (opts.coretype === null) delete env.OPENBLAS_CORETYPE;
    else if (opts.coretype) env.OPENBLAS_CORETYPE = opts.coretype;
    const child = spawn(exe, [join(modelsDir, "resnet_v1_faceapi_q8.dat"), join(fixtures, "golden", "chips", "bald_guys_0.png")], { env, stdio: ["pipe", "pipe", "pipe"] });
    const pair = new NativePair(child);
    const first = await pair.lines.next();
    if (first.done || first.value !== "ready") {
      child.kill();
      throw new Error(`native-pair did not start: ${first.value ?? "no output"}`);
    }
    return pair;
  }

  /** Runs `n` native descriptors; their process-CPU times in ms. */
  async run(n: number): Promise<number[]> {
    this.child.stdin.write(`${n}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error("native-pair exited");
    return r.value.trim().split(" ").map(Number);
  }

  close(): void {
    this.child.stdin.end("0\n");
  }
}

/** One measure of a native result (undefined when absent). */
export function nativeStat(n: NativeResult | null, key: string): NativeStat | undefined {
  const v = n?.timings[key] as NativeStat | undefined;
  return v && typeof v === "object" && "median_ms" in v ? v : undefined;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await runNativeBench();
  if (!r) {
    console.log("native dlib-bench not built: see the header of bench/native.ts");
  } else if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
  } else {
    console.log(`native dlib (${r.binary}, OPENBLAS_CORETYPE=${r.openblas_coretype}, 1 BLAS thread)`);
    for (const [k, v] of Object.entries(r.timings)) {
      if (v && typeof v === "object" && "median_ms" in v) {
        const s = v as NativeStat;
        console.log(`  ${k.padEnd(48)} median ${s.median_ms.toFixed(2)} ms, CPU median ${s.process_cpu_median_ms.toFixed(2)} ms`);
      }
    }
    console.log(`  peak RSS load ResNet + one descriptor: ${r.rss_mb?.toFixed(1)} MiB`);
  }
}
