/**
 * bzip2 decompression speed (MB/s of output, 1 MB = 1e6 bytes; wall clock and, for the in-process decoders,
 * CPU time of this process, which is less disturbed by other load) on the big fixture models: the wasm decoder
 * (whole-file `bunzip2` into a JS array, and streaming straight into a wasm arena block), the pure-JS
 * @ledgerhq/compressjs, and native `bzip2 -dc` when installed.
 *   node --import tsx bench/bzip2.bench.ts          (add --quick to skip compressjs on the 85 MB model)
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { bunzip2, Bunzip2Stream } from "../src/dlib/bzip2.ts";
import { createKernels } from "../src/nn/wasm.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const quick = process.argv.includes("--quick");
const require = createRequire(import.meta.url);
const CJ = require("@ledgerhq/compressjs/src/lib/Bzip2.js") as { decompressFile(d: Uint8Array): Uint8Array };

const files = ["resnet_v1_faceapi_q8.dat.bz2", "gender_resnet34_random.dnn.bz2"];
const mbps = (bytes: number, ms: number) => Number((bytes / 1e6 / (ms / 1000)).toFixed(1));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
/** Runs `f`, returns [wall ms, cpu ms]. */
async function timed(f: () => unknown): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1000];
}
const row = (file: string, decoder: string, size: number, runs: [number, number][]) => ({
  file,
  decoder,
  "MB out": mbps(size, 1000),
  "best MB/s (wall)": mbps(size, Math.min(...runs.map((r) => r[0]))),
  "median MB/s (wall)": mbps(size, median(runs.map((r) => r[0]))),
  "best MB/s (cpu)": runs[0][1] > 0 ? mbps(size, Math.min(...runs.map((r) => r[1]))) : "-",
});

const k = await createKernels();
const rows: Record<string, unknown>[] = [];
for (const name of files) {
  const path = join(fixtures, "models", name);
  if (!existsSync(path)) {
    console.warn(`skipping ${name}: not found under ${fixtures}`);
    continue;
  }
  const bytes = new Uint8Array(readFileSync(path));
  // warm-up (lets the engine tier up the wasm)
  const size = (await bunzip2(bytes, { kernels: k })).length;

  const whole: [number, number][] = [];
  for (let i = 0; i < 3; i++) whole.push(await timed(() => bunzip2(bytes, { kernels: k })));
  rows.push(row(name, "wasm bunzip2 → Uint8Array", size, whole));

  const arena: [number, number][] = [];
  const dst = k.arena.alloc(size);
  for (let i = 0; i < 3; i++) {
    arena.push(
      await timed(() => {
        const s = new Bunzip2Stream(k);
        s.push(bytes);
        s.end();
        let n = 0;
        while (!s.done) n += s.decodeInto(dst + n, size - n);
        s.close();
        if (n !== size) throw new Error("size mismatch");
      }),
    );
  }
  k.arena.release(dst);
  rows.push(row(name, "wasm Bunzip2Stream → arena block", size, arena));

  if (!(quick && size > 50e6)) {
    const r = await timed(() => {
      if (CJ.decompressFile(bytes).length !== size) throw new Error("compressjs size mismatch");
    });
    rows.push(row(name, "@ledgerhq/compressjs (1 run)", size, [r]));
  }

  if (spawnSync("bzip2", ["--help"]).status === 0) {
    const nat: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      // bash's `time` reports the child's user+sys CPU seconds on stderr
      const r = spawnSync("bash", ["-c", `TIMEFORMAT='%U %S'; time bzip2 -dc '${path}' > /dev/null`], { encoding: "utf8" });
      const wall = performance.now() - t0;
      if (r.status !== 0) throw new Error("bzip2 failed");
      const [u, sy] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
      nat.push([wall, Number.isFinite(u + sy) ? (u + sy) * 1000 : 0]);
    }
    rows.push(row(name, "native bzip2 -dc (wall incl. process start)", size, nat));
  }
}
console.table(rows);
