/**
 * `npm run bench [-- --json] [-- --quick]`: the engine benchmark (bench/engine.bench.ts) plus the per-area
 * benchmarks when asked (`--all`). With --json prints one JSON object (descriptor_ms,
 * descriptor_batch16_ms_per_face, pool2_speedup, gender16_ms, hog_ms, load_ms, rss_mb, ...).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { runEngineBench } from "./engine.bench.ts";

const here = dirname(fileURLToPath(import.meta.url));
const r = await runEngineBench();
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "latest.json"), JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2));
if (process.argv.includes("--json")) console.log(JSON.stringify(r));
if (process.argv.includes("--all")) {
  for (const b of ["kernels", "decode", "chip", "landmarks", "bzip2", "hog", "mmod", "gender"]) {
    console.log(`\n== bench/${b}.bench.ts`);
    spawnSync(process.execPath, ["--import", "tsx", join(here, `${b}.bench.ts`), "--quick"], { stdio: "inherit" });
  }
}
