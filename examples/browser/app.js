// The page: photos → faces (HOG) → 5-point landmarks → 150×150 chips → 128-d descriptors → clusters
// (Chinese whispers, distance < 0.6), rendered as one row of face thumbnails per person.
// Models are fetched from ./models/ (see README.md); everything else happens in the page.
import {
  clusterFaces, decodeImage, detectFaces, faceChips, faceDescriptors, loadHogDetectorFrom, loadNetwork, loadShapePredictor,
  readSource, setKernelUrl,
} from "dlib-face-wasm";

setKernelUrl(new URL("dist/kernels.wasm", document.baseURI));
const $ = (id) => document.getElementById(id);
const status = (s) => { $("status").textContent = s; };
const faces = []; // { file, chip, descriptor }

const models = (async () => {
  const sp = await readSource(new URL("models/shape_predictor_5_face_landmarks.dat", document.baseURI));
  const [hog, predictor, net] = await Promise.all([
    loadHogDetectorFrom(new URL("models/frontal_face_detector.dat", document.baseURI)),
    loadShapePredictor(sp.bytes, sp.name),
    loadNetwork(new URL("models/dlib_face_recognition_resnet_model_v1.dat", document.baseURI)),
  ]);
  return { hog, predictor, net };
})();
models.then(() => { status("Ready: drop photos."); document.body.dataset.state = "ready"; },
  (e) => { status(`Could not load the models from ./models/: ${e.message}`); document.body.dataset.state = "error"; });

async function processFiles(files) {
  document.body.dataset.state = "busy";
  const { hog, predictor, net } = await models;
  const t0 = performance.now();
  for (const [i, file] of files.entries()) {
    status(`Photo ${i + 1} of ${files.length}: ${file.name}…`);
    await new Promise((r) => setTimeout(r, 0)); // let the status paint
    try {
      const img = decodeImage(new Uint8Array(await file.arrayBuffer()));
      const found = await detectFaces(img, { hog });
      const shapes = found.map((f) => predictor.predict(img, f));
      const chips = faceChips(img, shapes);
      const descriptors = await faceDescriptors(net, chips);
      chips.forEach((chip, j) => faces.push({ file: file.name, chip, descriptor: descriptors[j] }));
    } catch (e) {
      console.error(file.name, e);
    }
  }
  const { labels, numClusters } = clusterFaces(faces.map((f) => f.descriptor));
  render(labels, numClusters);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  status(`${faces.length} faces in ${new Set(faces.map((f) => f.file)).size} photos, ${numClusters} people (${secs} s for the last ${files.length} photos).`);
  window.__clusters = { labels, numClusters, faces: faces.map((f) => f.file) };
  document.body.dataset.state = "done";
}

function render(labels, numClusters) {
  const groups = Array.from({ length: numClusters }, () => []);
  labels.forEach((l, i) => groups[l].push(faces[i]));
  groups.sort((a, b) => b.length - a.length);
  const root = $("clusters");
  root.replaceChildren();
  groups.forEach((g, k) => {
    const box = document.createElement("div");
    box.className = "cluster";
    const h = document.createElement("h2");
    h.textContent = `Person ${k + 1} · ${g.length} face${g.length > 1 ? "s" : ""}`;
    const row = document.createElement("div");
    row.className = "faces";
    for (const f of g) {
      const fig = document.createElement("figure");
      fig.append(chipCanvas(f.chip));
      const cap = document.createElement("figcaption");
      cap.textContent = f.file.length > 16 ? f.file.slice(0, 15) + "…" : f.file;
      fig.append(cap);
      row.append(fig);
    }
    box.append(h, row);
    root.append(box);
  });
}

function chipCanvas(chip) {
  const c = document.createElement("canvas");
  c.width = chip.width; c.height = chip.height;
  const rgba = new Uint8ClampedArray(chip.width * chip.height * 4);
  for (let p = 0, q = 0; p < chip.data.length; p += 3, q += 4) {
    rgba[q] = chip.data[p]; rgba[q + 1] = chip.data[p + 1]; rgba[q + 2] = chip.data[p + 2]; rgba[q + 3] = 255;
  }
  c.getContext("2d").putImageData(new ImageData(rgba, chip.width, chip.height), 0, 0);
  return c;
}

$("files").addEventListener("change", (ev) => { if (ev.target.files.length) processFiles([...ev.target.files]); });
const drop = $("drop");
drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (ev) => {
  ev.preventDefault();
  drop.classList.remove("over");
  const files = [...ev.dataTransfer.files].filter((f) => /^image\/(jpeg|png)$/.test(f.type));
  if (files.length) processFiles(files);
});
