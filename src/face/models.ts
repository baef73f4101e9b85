/**
 * The model registry (models/registry.json) and where model files are found:
 * 1. an explicit path or URL; 2. `$DLIB_FACE_MODELS/<file>` (or the file without .bz2); 3. the user cache
 * (`$XDG_CACHE_HOME/dlib-face-wasm` or `~/.cache/dlib-face-wasm`, decompressed copies); 4. download from the
 * registry's URLs (Node only), verified against the pinned size and git blob SHA-1, written atomically.
 * Files found locally for a registry name are verified too (ModelIntegrityError on a mismatch).
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
  /** size in bytes of the published file, or null when unknown */
  size: number | null;
  /** git blob SHA-1 and size of the decompressed file (for .bz2 entries), when known */
  decompressedSha1?: string | null;
  decompressedSize?: number | null;
  urls: string[];
  manual?: string;
  license: string;
  commercial: boolean;
  description: string;
}

export class ModelNotFoundError extends Error {
  override name = "ModelNotFoundError";
}
/** A model file whose size or git blob SHA-1 does not match the registry (or the record of its download). */
export class ModelIntegrityError extends Error {
  override name = "ModelIntegrityError";
}

/**
 * Decompressed-form pins, computed from .bz2 files whose own SHA-1 matched the registry: a cached or
 * $DLIB_FACE_MODELS copy that was decompressed beforehand is checked against these.
 */
const DECOMPRESSED_PINS: Record<string, { sha1: string; size: number }> = {
  mmod_human_face_detector: { sha1: "f1f73a56fd393d565f73dbe737f11626d66d3db2", size: 729940 },
  dnn_gender_classifier_v1: { sha1: "5f6ff08b149b1c58e9a6fbb3a3ef2700d7413016", size: 530926 },
  face_recognition_densenet_model_v1: { sha1: "ed9fd7fb4f33f58c51de7836f49b5e74e6e8556e", size: 2607131 },
};

export const REGISTRY: readonly RegistryEntry[] = (JSON.parse(REGISTRY_JSON) as { models: RegistryEntry[] }).models.map((e) => {
  const pin = DECOMPRESSED_PINS[e.name];
  return pin && e.decompressedSha1 === undefined ? { ...e, decompressedSha1: pin.sha1, decompressedSize: pin.size } : e;
});

/** Options shared by the registry functions (all optional; the defaults are the shipped registry and the user cache). */
export interface RegistryOptions {
  /** Registry entries to use instead of the shipped ones (tests, mirrors, private models). */
  registry?: readonly RegistryEntry[];
  /** Cache folder instead of `$XDG_CACHE_HOME/dlib-face-wasm` / `~/.cache/dlib-face-wasm`. */
  cacheDir?: string;
}

/** The registry entry for a name (with or without extension), or undefined. */
export function registryEntry(name: string, registry: readonly RegistryEntry[] = REGISTRY): RegistryEntry | undefined {
  const base = name.replace(/\.bz2$/, "").replace(/\.(dat|dnn)$/, "");
  return registry.find((e) => e.name === base || e.file === name || e.file.replace(/\.bz2$/, "") === name);
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
export async function cacheDir(opts: RegistryOptions = {}): Promise<string> {
  if (opts.cacheDir) return opts.cacheDir;
  const os = await import("node:os");
  const path = await import("node:path");
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "dlib-face-wasm");
}

/** Candidate local files for an entry: $DLIB_FACE_MODELS first, then the cache. */
async function localCandidates(e: RegistryEntry, opts: RegistryOptions = {}): Promise<string[]> {
  const path = await import("node:path");
  const names = [e.file, e.file.replace(/\.bz2$/, ""), `${e.name}.dat`, `${e.name}.dnn`, `${e.name}.dat.bz2`];
  const dirs: string[] = [];
  if (process.env.DLIB_FACE_MODELS) dirs.push(...process.env.DLIB_FACE_MODELS.split(path.delimiter).filter(Boolean));
  if (e.name === "shape_predictor_68_face_landmarks" && !opts.registry) dirs.push("/usr/share/dlib");
  dirs.push(await cacheDir(opts));
  const out: string[] = [];
  for (const d of dirs) for (const n of new Set(names)) out.push(path.join(d, n));
  return out;
}

export interface FetchProgress {
  (received: number, total: number | null): void;
}

/** What a file's bytes are checked against: size first (cheap), then the git blob SHA-1. */
interface Pin { sha1: string | null; size: number | null; what: string }

/** The record fetchModel writes beside a decompressed copy (`<file>.sha1.json`). */
interface DownloadRecord { sha1: string; size: number; sourceSha1: string | null; url: string }

const recordPath = (p: string) => `${p}.sha1.json`;

async function readRecord(p: string): Promise<DownloadRecord | null> {
  if (!isNode()) return null;
  const fs = await import("node:fs/promises");
  try {
    return JSON.parse(await fs.readFile(recordPath(p), "utf8")) as DownloadRecord;
  } catch {
    return null;
  }
}

/** The pin that applies to these bytes of an entry (compressed or decompressed form), or null if none is known. */
function pinFor(raw: Uint8Array, e: RegistryEntry, record: DownloadRecord | null): Pin | null {
  if (isBzip2(raw) || !e.file.endsWith(".bz2")) {
    if (!e.sha1 && e.size == null) return null;
    return { sha1: e.sha1, size: e.size, what: "the registry" };
  }
  if (e.decompressedSha1 || e.decompressedSize != null) return { sha1: e.decompressedSha1 ?? null, size: e.decompressedSize ?? null, what: "the registry (decompressed form)" };
  if (record) return { sha1: record.sha1, size: record.size, what: "the record of its download" };
  return null;
}

/**
 * Check the bytes of a model file against what is pinned for `entry`. Returns ok = false with a message on a
 * size or SHA-1 mismatch; ok = true with verified = false when nothing is pinned for this form of the file.
 */
export async function verifyModelBytes(raw: Uint8Array, entry: RegistryEntry, record: DownloadRecord | null = null): Promise<{ ok: boolean; verified: boolean; detail: string }> {
  const pin = pinFor(raw, entry, record);
  if (!pin) return { ok: true, verified: false, detail: isBzip2(raw) || !entry.file.endsWith(".bz2") ? "no pinned SHA-1 (present, not verified)" : "decompressed copy with no pinned SHA-1 (present, not verified)" };
  return checkPin(raw, pin);
}

async function checkPin(raw: Uint8Array, pin: Pin): Promise<{ ok: boolean; verified: boolean; detail: string }> {
  if (pin.sha1 == null && pin.size == null) return { ok: true, verified: false, detail: `nothing pinned by ${pin.what} (not verified)` };
  if (pin.size != null && raw.length !== pin.size) return { ok: false, verified: true, detail: `size ${raw.length} bytes != ${pin.size} pinned by ${pin.what}` };
  if (pin.sha1) {
    const h = await gitBlobSha1(raw);
    if (h !== pin.sha1) return { ok: false, verified: true, detail: `SHA-1 ${h} != ${pin.sha1} pinned by ${pin.what}` };
    return { ok: true, verified: true, detail: `SHA-1 ok (${pin.what})` };
  }
  return { ok: true, verified: true, detail: `size ok (${pin.what})` };
}

/**
 * Download a registry model into the cache (Node): tries each URL, checks the size and git blob SHA-1 of
 * what arrived, decompresses, checks the decompressed pin if the registry has one, and writes the file
 * atomically (temp file in the same folder + rename; a failed attempt leaves nothing behind), with a record
 * of its SHA-1 beside it (`<file>.sha1.json`) that later loads check. Returns the cached path.
 */
export async function fetchModel(name: string, opts: { progress?: FetchProgress; force?: boolean; maxBytes?: number } & RegistryOptions = {}): Promise<string> {
  const reg = opts.registry ?? REGISTRY;
  const e = registryEntry(name, reg);
  if (!e) throw new ModelNotFoundError(`unknown model '${name}' (known: ${reg.map((r) => r.name).join(", ")})`);
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  const dir = await cacheDir(opts);
  const target = path.join(dir, e.file.replace(/\.bz2$/, ""));
  if (!opts.force) {
    try {
      await fs.access(target);
      return target;
    } catch { /* not cached */ }
  }
  if (e.urls.length === 0) throw new ModelNotFoundError(`${e.name} cannot be downloaded automatically. ${e.manual ?? ""}`);
  const max = e.size ?? opts.maxBytes ?? 1 << 30;
  const errors: string[] = [];
  for (const url of e.urls) {
    let tmp: string | null = null;
    try {
      const res = await fetch(url);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const total = Number(res.headers.get("content-length")) || null;
      if (total !== null && total > max) throw new ModelIntegrityError(`${url}: ${total} bytes announced, the registry's file has ${max}`);
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let got = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.length;
        if (got > max) {
          await reader.cancel();
          throw new ModelIntegrityError(`${url}: more than the ${max} bytes expected`);
        }
        chunks.push(value);
        opts.progress?.(got, total);
      }
      const raw = new Uint8Array(got);
      let o = 0;
      for (const c of chunks) { raw.set(c, o); o += c.length; }
      // what was downloaded must be the published file itself, whatever its form
      const check = await checkPin(raw, { sha1: e.sha1, size: e.size, what: "the registry" });
      if (!check.ok) throw new ModelIntegrityError(`${url}: ${check.detail}`);
      const bytes = isBzip2(raw) ? await bunzip2(raw, { file: url, maxOutputBytes: opts.maxBytes ?? 1 << 30 }) : raw;
      if (bytes !== raw && (e.decompressedSha1 || e.decompressedSize != null)) {
        const d = await verifyModelBytes(bytes, e);
        if (!d.ok) throw new ModelIntegrityError(`${url} (decompressed): ${d.detail}`);
      }
      await fs.mkdir(dir, { recursive: true });
      tmp = `${target}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.part`;
      const record: DownloadRecord = { sha1: await gitBlobSha1(bytes), size: bytes.length, sourceSha1: e.sha1, url };
      await fs.writeFile(`${tmp}.sha1.json`, JSON.stringify(record) + "\n");
      await fs.writeFile(tmp, bytes);
      // the record first: a reader never sees the model without the record that vouches for it
      await fs.rename(`${tmp}.sha1.json`, recordPath(target));
      await fs.rename(tmp, target);
      tmp = null;
      return target;
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    } finally {
      if (tmp) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        await fs.rm(`${tmp}.sha1.json`, { force: true }).catch(() => {});
      }
    }
  }
  const integrity = errors.some((m) => /SHA-1|size|bytes expected|announced/.test(m));
  const msg = `could not download ${e.name}:\n  ${errors.join("\n  ")}`;
  throw integrity ? new ModelIntegrityError(msg) : new ModelNotFoundError(msg);
}

/** Read a local file of a registry entry, verify it, decompress it. */
async function readVerified(p: string, e: RegistryEntry, verify: boolean): Promise<{ bytes: Uint8Array; name: string }> {
  const { fetchSourceBytes } = await import("../dlib/source.js");
  const { bytes: raw, name } = await fetchSourceBytes(p);
  if (verify) {
    const r = await verifyModelBytes(raw, e, await readRecord(p));
    if (!r.ok) throw new ModelIntegrityError(`${p}: ${r.detail} (a damaged or different file: delete it, or fetch it again with \`dlib-face models fetch ${e.name}\`)`);
  }
  return readSource(raw, { name });
}

/**
 * Find a model by registry name or path and return its (decompressed) bytes. A registry name is looked up in
 * $DLIB_FACE_MODELS, then the cache, then downloaded (unless `download` is false); the file found is checked
 * against the registry's pins (size, git blob SHA-1, compressed or decompressed form) or the record of its
 * download, and a mismatch throws ModelIntegrityError (`verify: false` skips the check). Explicit paths and
 * URLs are read as they are.
 */
export async function resolveModel(nameOrPath: string, opts: { download?: boolean; progress?: FetchProgress; verify?: boolean } & RegistryOptions = {}): Promise<{ bytes: Uint8Array; name: string; entry?: RegistryEntry }> {
  const reg = opts.registry ?? REGISTRY;
  const verify = opts.verify ?? true;
  const e = registryEntry(nameOrPath, reg);
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
    throw new ModelNotFoundError(`model '${nameOrPath}' is neither a registry name (${reg.map((r) => r.name).join(", ")}) nor a file here or in $DLIB_FACE_MODELS`);
  }
  if (!e || looksLikePath) {
    if (!isNode() && !/^(https?|file|data|blob):/.test(nameOrPath)) throw new ModelNotFoundError(`unknown model '${nameOrPath}'`);
    const { bytes, name } = await readSource(nameOrPath);
    return { bytes, name, entry: e };
  }
  if (!isNode()) {
    if (!e.urls.length) throw new ModelNotFoundError(`${e.name}: ${e.manual}`);
    const { fetchSourceBytes } = await import("../dlib/source.js");
    const { bytes: raw, name } = await fetchSourceBytes(e.urls[0], { maxBytes: e.size ?? undefined });
    if (verify) {
      const r = await verifyModelBytes(raw, e);
      if (!r.ok) throw new ModelIntegrityError(`${e.urls[0]}: ${r.detail}`);
    }
    const { bytes } = await readSource(raw, { name });
    return { bytes, name, entry: e };
  }
  const fs = await import("node:fs/promises");
  for (const p of await localCandidates(e, opts)) {
    try {
      await fs.access(p);
    } catch {
      continue;
    }
    const { bytes, name } = await readVerified(p, e, verify);
    return { bytes, name, entry: e };
  }
  if (opts.download === false) throw new ModelNotFoundError(`${e.name} not found in $DLIB_FACE_MODELS or the cache (run: dlib-face models fetch ${e.name})`);
  const p = await fetchModel(e.name, { progress: opts.progress, registry: opts.registry, cacheDir: opts.cacheDir });
  const { bytes, name } = await readVerified(p, e, verify);
  return { bytes, name, entry: e };
}

/**
 * Verify a local file against the registry: size and git blob SHA-1 of the compressed form, of the
 * decompressed form when pinned, or against the record written when it was downloaded. `ok` is false on
 * any mismatch; `verified` is false when nothing is pinned for the file (present but unchecked).
 */
export async function verifyModelFile(path: string, entry: RegistryEntry): Promise<{ ok: boolean; verified: boolean; detail: string }> {
  const fs = await import("node:fs/promises");
  const raw = new Uint8Array(await fs.readFile(path));
  return verifyModelBytes(raw, entry, await readRecord(path));
}

/** The first local file of an entry ($DLIB_FACE_MODELS, then the cache), or null. */
export async function localModelPath(e: RegistryEntry, opts: RegistryOptions = {}): Promise<string | null> {
  const fs = await import("node:fs/promises");
  for (const p of await localCandidates(e, opts)) {
    try {
      await fs.access(p);
      return p;
    } catch { /* next */ }
  }
  return null;
}
