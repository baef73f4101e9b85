/**
 * Where the shared fixtures (real dlib models, images, goldens) are, and how tests that need them
 * skip outside CI. Under CI=true a missing fixture is a failure, never a skip.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..");

/** `DLIB_FACE_FIXTURES` or `../shared/fixtures` beside the checkout. */
export const fixturesDir = resolve(process.env.DLIB_FACE_FIXTURES ?? join(repoRoot, "..", "shared", "fixtures"));
export const inCI = process.env.CI === "true" || process.env.CI === "1";

export function fixture(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}

/**
 * Returns the absolute path of a fixture, or null (after marking the test skipped) if it is absent
 * outside CI. Under CI a missing fixture throws.
 */
export function needFixture(t: TestContext, ...parts: string[]): string | null {
  const p = fixture(...parts);
  if (existsSync(p)) return p;
  if (inCI) throw new Error(`fixture missing under CI: ${p}`);
  t.skip(`fixture not found: ${p} (set DLIB_FACE_FIXTURES)`);
  return null;
}

export function hasFixtures(): boolean {
  if (existsSync(fixturesDir)) return true;
  if (inCI) throw new Error(`fixtures missing under CI: ${fixturesDir}`);
  return false;
}

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Read a PNG fixture as dlib rgb pixels (alpha dropped, grey replicated); 8-bit only. */
export async function readPngRgb(path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { decode } = await import("fast-png");
  const png = decode(readFileSync(path));
  const { width, height, channels } = png;
  const src = png.data as Uint8Array;
  if (png.depth !== 8) throw new Error(`readPngRgb: ${path} has bit depth ${png.depth}`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    if (channels >= 3) {
      data[3 * i] = src[channels * i];
      data[3 * i + 1] = src[channels * i + 1];
      data[3 * i + 2] = src[channels * i + 2];
    } else {
      data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = src[channels * i];
    }
  }
  return { width, height, data };
}
