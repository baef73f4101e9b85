/**
 * bzip2 decompression speed (MB/s of output, 1 MB = 1e6 bytes) on the big fixture models: the wasm decoder
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

  const whole: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await bunzip2(bytes, { kernels: k });
    whole.push(performance.now() - t0);
  }
  rows.push({ file: name, decoder: "wasm bunzip2 → Uint8Array", "MB out": mbps(size, 1000), "best MB/s": mbps(size, Math.min(...whole)), "median MB/s": mbps(size, median(whole)) });

  const arena: number[] = [];
  const dst = k.arena.alloc(size);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const s = new Bunzip2Stream(k);
    s.push(bytes);
    s.end();
    let n = 0;
    while (!s.done) n += s.decodeInto(dst + n, size - n);
    s.close();
    arena.push(performance.now() - t0);
    if (n !== size) throw new Error("size mismatch");
  }
  k.arena.release(dst);
  rows.push({ file: name, decoder: "wasm Bunzip2Stream → arena", "MB out": mbps(size, 1000), "best MB/s": mbps(size, Math.min(...arena)), "median MB/s": mbps(size, median(arena)) });

  if (!(quick && size > 50e6)) {
    const t0 = performance.now();
    const out = CJ.decompressFile(bytes);
    const ms = performance.now() - t0;
    if (out.length !== size) throw new Error("compressjs size mismatch");
    rows.push({ file: name, decoder: "@ledgerhq/compressjs (1 run)", "MB out": mbps(size, 1000), "best MB/s": mbps(size, ms), "median MB/s": mbps(size, ms) });
  }

  if (spawnSync("bzip2", ["--help"]).status === 0) {
    const nat: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = spawnSync("sh", ["-c", `bzip2 -dc '${path}' > /dev/null`]);
      nat.push(performance.now() - t0);
      if (r.status !== 0) throw new Error("bzip2 failed");
    }
    rows.push({ file: name, decoder: "native bzip2 -dc (incl. process start)", "MB out": mbps(size, 1000), "best MB/s": mbps(size, Math.min(...nat)), "median MB/s": mbps(size, median(nat)) });
  }
}
console.table(rows);
