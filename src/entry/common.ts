/**
 * What every runtime entry shares: the kernel-URL override, compiling the kernel module from a fetch
 * Response, `ready()`, and loading the HOG detector from any model source. The entries (node.ts, web.ts,
 * workerd.ts) differ only in how `kernels.wasm` is obtained.
 */
import { kernelModule } from "../nn/wasm.js";
import { hogWasmAvailable, initHogWasm, loadHogDetector, type HogDetector } from "../face/hog.js";
import { readSource, type ModelSource } from "../dlib/source.js";

let kernelUrl: string | URL | null = null;

/**
 * Where to fetch `kernels.wasm` from (e.g. when a bundler moved the entry away from `dist/`). Must be called
 * before the first model is loaded: the module is compiled once per realm and cached.
 */
export function setKernelUrl(url: string | URL): void {
  kernelUrl = url;
}

/** The URL given to `setKernelUrl`, or null. */
export function kernelUrlOverride(): string | URL | null {
  return kernelUrl;
}

/** Compiles a fetched `.wasm`: streaming when served as application/wasm, else from the bytes. */
export async function compileResponse(res: Response, what: string): Promise<WebAssembly.Module> {
  if (!res.ok) throw new Error(`cannot load kernels.wasm from ${what}: HTTP ${res.status} ${res.statusText}`);
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("application/wasm") && typeof WebAssembly.compileStreaming === "function") {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

let readyPromise: Promise<void> | null = null;

/**
 * Compiles the kernel module and prepares the HOG detector's kernels. Optional (everything async awaits
 * what it needs), but call it once before the synchronous `detectFacesHog`/`detectFaces` outside Node so
 * that they run on the wasm kernels instead of the (identical, slower) JavaScript reference.
 * Resolves once per realm; a failure is reported to every caller and retried on the next call.
 */
export function ready(): Promise<void> {
  if (!readyPromise) {
    readyPromise = (async () => {
      await kernelModule();
      if (!hogWasmAvailable()) await initHogWasm();
    })();
    readyPromise.catch(() => { readyPromise = null; });
  }
  return readyPromise;
}

/**
 * A HOG detector (serialized `object_detector<scan_fhog_pyramid<pyramid_down<6>>>`, e.g. dlib's
 * frontal_face_detector.dat) from bytes, a path, a URL, a Response or a ReadableStream; waits for `ready()`.
 */
export async function loadHogDetectorFrom(src: ModelSource, opts: { name?: string; pyramidN?: number } = {}): Promise<HogDetector> {
  const [{ bytes, name }] = await Promise.all([readSource(src, { name: opts.name }), ready()]);
  return loadHogDetector(bytes, name, opts.pyramidN ?? 6);
}
