// Bundles the entries that runtimes load module by module (Node: dist/entry/node.js; Deno and Bun:
// dist/entry/web.js, as tsc wrote them) with everything they import into one module next to them
// (dist/entry/*.bundle.js, where package.json's exports point for those conditions). One module instead of ~40
// makes `import "dlib-face-wasm"` about 16 ms cheaper in a fresh Node process (ESM loads each file
// separately). Browsers and workerd get the unbundled entries: their bundlers do this anyway. Paths the code
// resolves from import.meta.url (../kernels.wasm, ../nn/pool-worker.js, ../../models/...) are the same from
// dist/entry/ as from the other dist/ folders.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entries = [
  { name: "node", platform: "node" },
  { name: "web", platform: "neutral" },
];
for (const e of entries) {
  await build({
    entryPoints: [join(root, "dist", "entry", `${e.name}.js`)],
    outfile: join(root, "dist", "entry", `${e.name}.bundle.js`),
    bundle: true,
    format: "esm",
    platform: e.platform,
    target: "es2022",
    external: ["node:*", "*.wasm"],
    mainFields: ["module", "main"],
    logLevel: "warning",
    legalComments: "none",
  });
}
