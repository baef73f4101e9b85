/**
 * Fused steps of a compiled plan that must not change a single bit: relu over add_prev (the end of every residual
 * block) runs as one kernel, `add_prev_relu` (convOptions.addPrevRelu). Checked on the face ResNet (its 14
 * residual blocks end that way) at batch 1 and 2 against plans compiled without the fusion, and in traces (which
 * compile unfused and keep each layer's own output).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { needFixture, readPngRgb } from "./fixtures.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { convOptions } from "../src/nn/runtime.ts";
import { createKernels } from "../src/nn/wasm.ts";
import { readSource } from "../src/dlib/source.ts";

test("face ResNet: relu(add_prev) fused into add_prev_relu gives the same bits as the two steps, at batch 1 and 2", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const c0 = needFixture(t, "golden", "chips", "bald_guys_0.png");
  const c1 = needFixture(t, "golden", "chips", "HiranoShow_0.png");
  if (!path || !c0 || !c1) return;
  const bytes = (await readSource(path)).bytes;
  const chips = [await readPngRgb(c0), await readPngRgb(c1)];
  const run = async (fused: boolean) => {
    const was = convOptions.addPrevRelu;
    convOptions.addPrevRelu = fused;
    try {
      const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1", kernels: await createKernels() });
      const one = net.forwardSync([chips[0]]).outputs;
      const two = net.forwardSync(chips).outputs;
      const fusedSteps = [...(net as unknown as { plans: Map<string, { steps: { type: string; op: unknown }[] }> }).plans.values()][0].steps
        .filter((s) => s.type === "relu" && s.op === null).length;
      net.dispose();
      return { outs: [...one, ...two], fusedSteps };
    } finally {
      convOptions.addPrevRelu = was;
    }
  };
  const on = await run(true), off = await run(false);
  assert.ok(on.fusedSteps >= 14 + off.fusedSteps, `relu steps folded into a previous kernel: ${on.fusedSteps} fused vs ${off.fusedSteps} unfused`);
  assert.equal(on.outs.length, 3);
  for (let i = 0; i < on.outs.length; i++) {
    for (let j = 0; j < on.outs[i].length; j++) {
      if (!Object.is(on.outs[i][j], off.outs[i][j])) assert.fail(`output ${i}[${j}]: ${on.outs[i][j]} fused vs ${off.outs[i][j]}`);
    }
  }
  t.diagnostic(`relu steps folded: ${on.fusedSteps} (without add_prev_relu: ${off.fusedSteps}, the con+affine+relu ones)`);
});
