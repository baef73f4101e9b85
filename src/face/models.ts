/**
 * The model registry (models/registry.json) and where model files are found:
 * 1. an explicit path or URL; 2. `$DLIB_FACE_MODELS/<file>` (or the file without .bz2); 3. the user cache
 * (`$XDG_CACHE_HOME/dlib-face-wasm` or `~/.cache/dlib-face-wasm`, decompressed copies); 4. download from the
 * registry's URLs (Node only), verified against the pinned git blob SHA-1, written atomically.
 */
import { REGISTRY_JSON } from "./registry-data.js";
import { readSource } from "../dlib/source.js";
import { isBzip2 } from "../dlib/source.js";
import { bunzip2 } from "../dlib/bzip2.js";

export interface RegistryEntry {
  name: string;
  file: string;
  kind: "network" | "shape_predictor" | "object_detector";
  /** network type id (models/<type>.txt) */
  type?: string;
  task: "descriptor" | "detector" | "landmarks" | "gender";
  threshold?: number;
  eerThreshold?: number;
  /** git blob SHA-1 of the published file (pins content and size), or null when unknown */
  sha1: string | null;
  size: number | null;
  urls: string[];
  manual?: string;
  license: string;
  commercial: boolean;
  description: string;
}

export class ModelNotFoundError extends Error {
  override name = "ModelNotFoundError";
}
export class ModelIntegrityError extends Error {
  override name = "ModelIntegrityError";
}

export const REGISTRY: readonly RegistryEntry[] = (JSON.parse(REGISTRY_JSON) as { models: RegistryEntry[] }).models;

/** The registry entry for a name (with or without extension), or undefined. */
export function registryEntry(name: string): RegistryEntry | undefined {
  const base = name.replace(/\.bz2$/, "").replace(/\.(dat|dnn)$/, "");
  return REGISTRY.find((e) => e.name === base || e.file === name || e.file.replace(/\.bz2$/, "") === name);
}

/** git's blob SHA-1 ("blob <size>\0" + bytes), hex. */
export async function gitBlobSha1(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  const d = await crypto.subtle.digest("SHA-1", all);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

const isNode = () => typeof process !== "undefined" && !!process.versions?.node;

/** The cache folder (Node), e.g. ~/.cache/dlib-face-wasm. */
export async function cacheDir(): Promise<string> {
  const os = await import("node:os");
  const path = await import("node:path");
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "dlib-face-wasm");
}

/** Candidate local files for an entry: $DLIB_FACE_MODELS first, then the cache. */
async function localCandidates(e: RegistryEntry): Promise<string[]> {
  const path = await import("node:path");
  const names = [e.file, e.file.replace(/\.bz2$/, ""), `${e.name}.dat`, `${e.name}.dnn`, `${e.name}.dat.bz2`];
  const dirs: string[] = [];
  if (process.env.DLIB_FACE_MODELS) dirs.push(...process.env.DLIB_FACE_MODELS.split(path.delimiter).filter(Boolean));
  if (e.name === "shape_predictor_68_face_landmarks") dirs.push("/usr/share/dlib");
  dirs.push(await cacheDir());
  const out: string[] = [];
  for (const d of dirs) for (const n of new Set(names)) out.push(path.join(d, n));
  return out;
}

export interface FetchProgress {
  (received: number, total: number | null): void;
}

/**
 * Download a registry model into the cache (Node): tries each URL, verifies the git blob SHA-1, writes the
 * decompressed file atomically (temp file + rename). Returns the cached path.
 */
export async function fetchModel(name: string, opts: { progress?: FetchProgress; force?: boolean } = {}): Promise<string> {
  const e = registryEntry(name);
  if (!e) throw new ModelNotFoundError(`unknown model '${name}' (known: ${REGISTRY.map((r) => r.name).join(", ")})`);
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  const dir = await cacheDir();
  const target = path.join(dir, e.file.replace(/\.bz2$/, ""));
  if (!opts.force) {
    try {
      await fs.access(target);
      return target;
    } catch { /* not cached */ }
  }
  if (e.urls.length === 0) throw new ModelNotFoundError(`${e.name} cannot be downloaded automatically. ${e.manual ?? ""}`);
  const errors: string[] = [];
  for (const url of e.urls) {
    try {
      const res = await fetch(url);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const total = Number(res.headers.get("content-length")) || null;
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let got = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        got += value.length;
        opts.progress?.(got, total);
      }
      const raw = new Uint8Array(got);
      let o = 0;
      for (const c of chunks) { raw.set(c, o); o += c.length; }
      if (e.sha1) {
        const h = await gitBlobSha1(raw);
        if (h !== e.sha1) throw new ModelIntegrityError(`${url}: SHA-1 ${h} does not match the registry's ${e.sha1}`);
      }
      const bytes = isBzip2(raw) ? await bunzip2(raw, { file: url }) : raw;
      await fs.mkdir(dir, { recursive: true });
      const tmp = `${target}.${process.pid}.${Date.now()}.part`;
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, target);
      return target;
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new ModelNotFoundError(`could not download ${e.name}:\n  ${errors.join("\n  ")}`);
}

/**
 * Find a model by registry name or path and return its (decompressed) bytes. A registry name is looked up in
 * $DLIB_FACE_MODELS, then the cache, then downloaded (unless `download` is false).
 */
export async function resolveModel(nameOrPath: string, opts: { download?: boolean; progress?: FetchProgress } = {}): Promise<{ bytes: Uint8Array; name: string; entry?: RegistryEntry }> {
  const e = registryEntry(nameOrPath);
  const looksLikePath = /[\\/]/.test(nameOrPath) || /^(https?|file):/.test(nameOrPath);
  if (!e && !looksLikePath && isNode()) {
    // a bare file name: look in $DLIB_FACE_MODELS, then the working directory
    const path = await import("node:path");
    const fs = await import("node:fs/promises");
    const dirs = (process.env.DLIB_FACE_MODELS ?? "").split(path.delimiter).filter(Boolean);
    for (const d of [...dirs, "."]) {
      for (const n of [nameOrPath, `${nameOrPath}.bz2`]) {
        const p = path.join(d, n);
        try {
          await fs.access(p);
          const { bytes, name } = await readSource(p);
          return { bytes, name };
        } catch { /* next */ }
      }
    }
    throw new ModelNotFoundError(`model '${nameOrPath}' is neither a registry name (${REGISTRY.map((r) => r.name).join(", ")}) nor a file here or in $DLIB_FACE_MODELS`);
  }
  if (!e || looksLikePath) {
    if (!isNode() && !/^(https?|file|data|blob):/.test(nameOrPath)) throw new ModelNotFoundError(`unknown model '${nameOrPath}'`);
    const { bytes, name } = await readSource(nameOrPath);
    return { bytes, name, entry: e };
  }
  if (!isNode()) {
    if (!e.urls.length) throw new ModelNotFoundError(`${e.name}: ${e.manual}`);
    const { bytes, name } = await readSource(e.urls[0]);
    return { bytes, name, entry: e };
  }
  const fs = await import("node:fs/promises");
  for (const p of await localCandidates(e)) {
    try {
      await fs.access(p);
    } catch {
      continue;
    }
    const { bytes, name } = await readSource(p);
    return { bytes, name, entry: e };
  }
  if (opts.download === false) throw new ModelNotFoundError(`${e.name} not found in $DLIB_FACE_MODELS or the cache (run: dlib-face models fetch ${e.name})`);
  const p = await fetchModel(e.name, { progress: opts.progress });
  const { bytes, name } = await readSource(p);
  return { bytes, name, entry: e };
}

/** Verify files against the registry: for each entry found locally, its SHA-1 (compressed form) or presence. */
export async function verifyModelFile(path: string, entry: RegistryEntry): Promise<{ ok: boolean; detail: string }> {
  const fs = await import("node:fs/promises");
  const raw = new Uint8Array(await fs.readFile(path));
  if (!entry.sha1) return { ok: true, detail: "no pinned SHA-1 (present)" };
  if (isBzip2(raw)) {
    const h = await gitBlobSha1(raw);
    return { ok: h === entry.sha1, detail: h === entry.sha1 ? "SHA-1 ok" : `SHA-1 ${h} != ${entry.sha1}` };
  }
  return { ok: true, detail: "decompressed copy (SHA-1 pins the .bz2; checked when downloaded)" };
}

export async function localModelPath(e: RegistryEntry): Promise<string | null> {
  const fs = await import("node:fs/promises");
  for (const p of await localCandidates(e)) {
    try {
      await fs.access(p);
      return p;
    } catch { /* next */ }
  }
  return null;
}
