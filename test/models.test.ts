/** The registry embedded for every runtime (src/face/registry-data.ts) is exactly models/registry.json. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./fixtures.ts";
import { REGISTRY_JSON } from "../src/face/registry-data.ts";

test("src/face/registry-data.ts embeds models/registry.json unchanged", () => {
  const file = JSON.parse(readFileSync(join(repoRoot, "models", "registry.json"), "utf8"));
  assert.deepEqual(JSON.parse(REGISTRY_JSON), file,
    "regenerate: node -e \"const fs=require('fs');const d=JSON.parse(fs.readFileSync('models/registry.json','utf8'));fs.writeFileSync('src/face/registry-data.ts','// Generated from models/registry.json (test/models.test.ts checks they are identical). Do not edit by hand.\\nexport const REGISTRY_JSON = '+JSON.stringify(JSON.stringify(d,null,2))+';\\n')\"");
  for (const e of file.models) assert.ok(e.name && e.file && e.license, `registry entry ${e.name}`);
});
