// Harness for Node, Deno and Bun: `<runtime> run-cli.mjs <config.json>`; prints one line `RESULT <json>`.
// Config: { runtime, image, hog, model (a path), modelAs: "bytes" | "path" | "url", landmarks }.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import * as lib from "dlib-face-wasm";
import { runPipeline, runPool } from "./pipeline.mjs";

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const cfg = JSON.parse(await readFile(args[0], "utf8"));
const model = cfg.modelAs === "bytes" ? new Uint8Array(await readFile(cfg.model))
  : cfg.modelAs === "url" ? pathToFileURL(cfg.model) : cfg.model;
const res = await runPipeline(lib, {
  runtime: cfg.runtime,
  image: new Uint8Array(await readFile(cfg.image)),
  hog: new Uint8Array(await readFile(cfg.hog)),
  model,
  landmarks: cfg.landmarks,
});
// worker pool: worker_threads in Node and Bun, Web Workers in Deno
if (cfg.pool) res.pool = await runPool(lib, { model, net: res.keptNet, chip: res.keptChip });
console.log("RESULT " + JSON.stringify(res));
