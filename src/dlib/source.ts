/**
 * Where model bytes come from: bytes, a file path (runtimes with a file system), a URL, a fetch Response or a
 * ReadableStream (R2, KV, fetch bodies). `.bz2` content (magic "BZh") is decompressed transparently.
 */
import { DecompressError } from "../errors.js";
import { bunzip2, bunzip2Chunks, isBzip2 } from "./bzip2.js";

export type ModelSource = Uint8Array | ArrayBuffer | string | URL | ReadableStream<Uint8Array> | Response;

export interface SourceOptions {
  /** Largest decompressed size accepted (bytes). Default 1 GiB. */
  maxBytes?: number;
  /** Name used in error messages (defaults to the path/URL, or "<bytes>"). */
  name?: string;
}

export { isBzip2 };

/** A growable byte buffer (doubling), so a stream is never held twice in full: chunks are appended as they come. */
class ByteSink {
  private buf: Uint8Array;
  length = 0;
  constructor(initial: number, private readonly max: number, private readonly name: string) {
    this.buf = new Uint8Array(Math.max(1024, Math.min(initial, max)));
  }
  append(c: Uint8Array): void {
    const need = this.length + c.length;
    if (need > this.max) throw new DecompressError(`stream is larger than the limit of ${this.max} bytes`, this.name);
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.min(this.max, Math.max(need, this.buf.length * 2)));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(c, this.length);
    this.length = need;
  }
  bytes(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.subarray(0, this.length);
  }
}

/**
 * Read a stream; bzip2 content (detected on the first bytes) is decompressed as it arrives, so the
 * compressed stream is never held in full. `sizeHint` (e.g. Content-Length of raw content) preallocates.
 */
async function readStream(stream: ReadableStream<Uint8Array>, max: number, name: string, sizeHint = 0): Promise<{ bytes: Uint8Array; decompressed: boolean }> {
  const reader = stream.getReader();
  const first: Uint8Array[] = [];
  let firstLen = 0;
  // gather enough to sniff the bzip2 header
  while (firstLen < 10) {
    const { done, value } = await reader.read();
    if (done) break;
    first.push(value);
    firstLen += value.length;
  }
  const head = new Uint8Array(Math.min(firstLen, 10));
  let o = 0;
  for (const c of first) {
    if (o >= head.length) break;
    const n = Math.min(c.length, head.length - o);
    head.set(c.subarray(0, n), o);
    o += n;
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    for (const c of first) yield c;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  if (isBzip2(head)) {
    const out = new ByteSink(Math.max(sizeHint * 5, 1 << 20), max, name);
    for await (const chunk of bunzip2Chunks(rest(), { file: name, maxOutputBytes: max })) out.append(chunk);
    return { bytes: out.bytes(), decompressed: true };
  }
  const out = new ByteSink(sizeHint || 1 << 20, max, name);
  try {
    for await (const chunk of rest()) out.append(chunk);
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
  return { bytes: out.bytes(), decompressed: false };
}

const isNodeLike = () => typeof process !== "undefined" && !!process.versions?.node;

/**
 * Bytes of a source and a name for messages. Streams and responses are decompressed on the fly when they
 * carry bzip2 (`decompressed` true); other sources are returned as they are.
 */
export async function fetchSourceBytes(src: ModelSource, opts: SourceOptions = {}): Promise<{ bytes: Uint8Array; name: string; decompressed?: boolean }> {
  const max = opts.maxBytes ?? 1 << 30;
  if (src instanceof Uint8Array) return { bytes: src, name: opts.name ?? "<bytes>" };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: opts.name ?? "<bytes>" };
  if (typeof ReadableStream !== "undefined" && src instanceof ReadableStream) {
    const r = await readStream(src, max, opts.name ?? "<stream>");
    return { ...r, name: opts.name ?? "<stream>" };
  }
  if (typeof Response !== "undefined" && src instanceof Response) {
    const name = opts.name ?? (src.url || "<response>");
    if (!src.ok) throw new DecompressError(`HTTP ${src.status} ${src.statusText}`, name);
    if (!src.body) return { bytes: new Uint8Array(await src.arrayBuffer()), name };
    const r = await readStream(src.body, max, name, Number(src.headers.get("content-length")) || 0);
    return { ...r, name };
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
  const { bytes, name, decompressed } = await fetchSourceBytes(src, opts);
  if (!decompressed && isBzip2(bytes)) return { bytes: await bunzip2(bytes, { maxOutputBytes: opts.maxBytes ?? 1 << 30, file: name }), name };
  return { bytes, name };
}
