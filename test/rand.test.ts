import { test } from "node:test";
import assert from "node:assert/strict";
import { DlibRand, dlibSeedHash } from "../src/face/rand.js";
import { needFixture, readJson } from "./fixtures.js";

function makeGen(g: { name: string; seed_string: string }): DlibRand {
  if (g.name === "int_seed_12345") return new DlibRand(12345);
  return g.seed_string === "" ? new DlibRand() : new DlibRand(g.seed_string);
}

/** Exact comparison; doubles printed %.17g parse back to the same double. */
function eqList(name: string, got: (number | string)[], want: (number | string)[]): void {
  assert.equal(got.length, want.length, `${name}: length`);
  for (let i = 0; i < want.length; ++i) {
    const w = typeof want[i] === "string" ? want[i] : Number(want[i]);
    if (got[i] !== w) assert.fail(`${name}[${i}]: got ${got[i]} want ${want[i]}`);
  }
}

test("seed hash matches dlib's (checks in rand_sequences.json)", (t) => {
  const p = needFixture(t, "golden", "random", "rand_sequences.json");
  if (!p) return;
  const d = readJson(p);
  assert.equal(dlibSeedHash("dlib-face"), d.checks["set_seed_dlib-face_hash"]);
  assert.equal(dlibSeedHash("12345"), d.checks["set_seed_12345_hash"]);
  assert.equal(dlibSeedHash("x"), d.checks["set_seed_x_hash"]);
  // signed char: bytes >= 0x80 count as negative
  assert.equal(dlibSeedHash("\u00e9"), (((0xc3 - 256) * 37 + (0xa9 - 256)) >>> 0));
});

test("every sequence of rand_sequences.json, bit exact", (t) => {
  const p = needFixture(t, "golden", "random", "rand_sequences.json");
  if (!p) return;
  const d = readJson(p);
  assert.equal(d.generators.length, 3);
  for (const g of d.generators) {
    const n = g.name as string;
    eqList(`${n}.u32`, Array.from({ length: g.u32.length }, ((r) => () => r.getRandom32bitNumber())(makeGen(g))), g.u32);
    eqList(`${n}.double`, Array.from({ length: g.double.length }, ((r) => () => r.getRandomDouble())(makeGen(g))), g.double);
    eqList(`${n}.float`, Array.from({ length: g.float.length }, ((r) => () => r.getRandomFloat())(makeGen(g))),
      g.float.map((v: number) => Math.fround(v)));
    eqList(`${n}.gaussian`, Array.from({ length: g.gaussian.length }, ((r) => () => r.getRandomGaussian())(makeGen(g))), g.gaussian);
    eqList(`${n}.u64`, Array.from({ length: g.u64.length }, ((r) => () => r.getRandom64bitNumber().toString())(makeGen(g))), g.u64);
    eqList(`${n}.u8`, Array.from({ length: g.u8.length }, ((r) => () => r.getRandom8bitNumber())(makeGen(g))), g.u8);
    eqList(`${n}.u16`, Array.from({ length: g.u16.length }, ((r) => () => r.getRandom16bitNumber())(makeGen(g))), g.u16);

    const il = g.interleaved;
    const r = makeGen(g);
    const got: (number | string)[] = [];
    for (const op of il.ops as string[]) {
      switch (op) {
        case "u32": got.push(r.getRandom32bitNumber()); break;
        case "u64": got.push(r.getRandom64bitNumber().toString()); break;
        case "u8": got.push(r.getRandom8bitNumber()); break;
        case "u16": got.push(r.getRandom16bitNumber()); break;
        case "double": got.push(r.getRandomDouble()); break;
        case "float": got.push(r.getRandomFloat()); break;
        case "gaussian": got.push(r.getRandomGaussian()); break;
        case "double_in_range": got.push(r.getDoubleInRange(-0.02, 0.02)); break;
        case "integer_in_range": got.push(r.getIntegerInRange(0, 37)); break;
        default: assert.fail(`unknown op ${op}`);
      }
    }
    assert.equal(il.ops.length, il.pattern.length * il.rounds);
    eqList(`${n}.interleaved`, got, il.values.map((v: number | string, i: number) => (il.ops[i] === "float" ? Math.fround(v as number) : v)));
    assert.equal(r.wordsDrawn, il.words_drawn_total, `${n}: words drawn`);
  }
});

test("constructors and setSeed semantics", () => {
  const a = new DlibRand(12345);
  const b = new DlibRand("12345");
  for (let i = 0; i < 10; ++i) assert.equal(a.getRandom32bitNumber(), b.getRandom32bitNumber());
  const c = new DlibRand();
  const x0 = c.getRandom32bitNumber();
  c.getRandomGaussian(); // leaves a cached value
  c.setSeed("");
  assert.equal(c.wordsDrawn, 0);
  assert.equal(c.getRandom32bitNumber(), x0);
  // 64-bit modulo helper equals the bigint path
  const d1 = new DlibRand("m");
  const d2 = new DlibRand("m");
  for (let i = 0; i < 200; ++i) {
    const n = 1 + (i * 7919) % 100000;
    assert.equal(d1.getRandom64bitNumberMod(n), Number(d2.getRandom64bitNumber() % BigInt(n)));
  }
  // integer range with bigints and equal bounds
  const e = new DlibRand();
  assert.equal(e.getIntegerInRange(5, 5), 5);
  assert.equal(e.wordsDrawn, 0);
  const big = e.getIntegerInRange(-(2n ** 62n), 2n ** 62n);
  assert.equal(typeof big, "bigint");
  assert.ok(big >= -(2n ** 62n) && big < 2n ** 62n);
  assert.throws(() => e.getIntegerInRange(3, 2), RangeError);
});
