/**
 * Where model bytes come from: bytes, a file path (runtimes with a file system), a URL, a fetch Response or a
 * ReadableStream (R2, KV, fetch bodies). `.bz2` content (magic "BZh") is decompressed transparently.
 */
import { DecompressError } from "../errors.js";
import { bunzip2 } from "./bzip2.js";

export type ModelSource = Uint8Array | ArrayBuffer | string | URL | ReadableStream<Uint8Array> | Response;

export interface SourceOptions {
  /** Largest decompressed size accepted (bytes). Default 1 GiB. */
  maxBytes?: number;
  /** Name used in error messages (defaults to the path/URL, or "<bytes>"). */
  name?: string;
}

/** True when `b` starts with bzip2's "BZh1".."BZh9" header. */
export function isBzip2(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68 && b[3] >= 0x31 && b[3] <= 0x39;
}

async function readStream(stream: ReadableStream<Uint8Array>, max: number, name: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw new DecompressError(`stream is larger than the limit of ${max} bytes`, name);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const isNodeLike = () => typeof process !== "undefined" && !!process.versions?.node;

/** Raw bytes of a source (not decompressed) and a name for messages. */
export async function fetchSourceBytes(src: ModelSource, opts: SourceOptions = {}): Promise<{ bytes: Uint8Array; name: string }> {
  const max = opts.maxBytes ?? 1 << 30;
  if (src instanceof Uint8Array) return { bytes: src, name: opts.name ?? "<bytes>" };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: opts.name ?? "<bytes>" };
  if (typeof ReadableStream !== "undefined" && src instanceof ReadableStream) {
    return { bytes: await readStream(src, max, opts.name ?? "<stream>"), name: opts.name ?? "<stream>" };
  }
  if (typeof Response !== "undefined" && src instanceof Response) {
    const name = opts.name ?? (src.url || "<response>");
    if (!src.ok) throw new DecompressError(`HTTP ${src.status} ${src.statusText}`, name);
    if (!src.body) return { bytes: new Uint8Array(await src.arrayBuffer()), name };
    return { bytes: await readStream(src.body, max, name), name };
  }
  const s = typeof src === "string" ? src : (src as URL).href;
  const isUrl = src instanceof URL || /^(https?|file|data|blob):/i.test(s);
  if (isUrl && !(s.startsWith("file:") && isNodeLike())) {
    const res = await fetch(s);
    return fetchSourceBytes(res, { ...opts, name: opts.name ?? s });
  }
  if (!isNodeLike()) throw new Error(`cannot read the file '${s}' in this runtime: pass bytes, a URL or a stream`);
  const fs = await import("node:fs/promises");
  const path = s.startsWith("file:") ? new URL(s) : s;
  const st = await fs.stat(path);
  if (st.size > max) throw new DecompressError(`file is ${st.size} bytes, larger than the limit of ${max}`, String(s));
  const buf = await fs.readFile(path);
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name: opts.name ?? String(s) };
}

/** The decompressed bytes of a source. */
export async function readSource(src: ModelSource, opts: SourceOptions = {}): Promise<{ bytes: Uint8Array; name: string }> {
  const { bytes, name } = await fetchSourceBytes(src, opts);
  if (isBzip2(bytes)) return { bytes: await bunzip2(bytes, { maxOutputBytes: opts.maxBytes ?? 1 << 30, file: name }), name };
  return { bytes, name };
}
