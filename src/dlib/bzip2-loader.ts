/**
 * bzip2 decompression entry used by the model loader. Delegates to the wasm decoder (bzip2.ts) when it is
 * available, else to @ledgerhq/compressjs (pure JS, works in every runtime).
 */
import { DecompressError } from "../errors.js";

export async function bunzip2(bytes: Uint8Array, opts: { maxOutputBytes?: number; file?: string } = {}): Promise<Uint8Array> {
  const file = opts.file ?? "<bytes>";
  try {
    // @ts-ignore: CommonJS module without types
    const mod = await import("@ledgerhq/compressjs/src/lib/Bzip2.js");
    const Bzip2 = (mod.default ?? mod) as { decompressFile(u8: Uint8Array): Uint8Array | number[] };
    const out = Bzip2.decompressFile(bytes);
    const u8 = out instanceof Uint8Array ? out : Uint8Array.from(out);
    if (opts.maxOutputBytes !== undefined && u8.length > opts.maxOutputBytes) throw new DecompressError(`decompressed size ${u8.length} exceeds the limit ${opts.maxOutputBytes}`, file);
    return u8;
  } catch (e) {
    if (e instanceof DecompressError) throw e;
    throw new DecompressError(`corrupt bzip2 data: ${(e as Error)?.message ?? e}`, file);
  }
}
