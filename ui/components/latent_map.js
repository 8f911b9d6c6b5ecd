// The latent map, computed in the browser: the decoded image follows the cursor, a click selects,
// and the interpolation path's points can be dragged, its frames following as they move.
// data: {key, noun, height, x: [], y: [], label: [], classes: [], colours: [],  (point i: test item i)
//        tiles: null | {mode: "grid", url, cols, size, n, x0, x1, y0, y1}
//                    | {mode: "points", url, cols, size},   (one tile per point, in order)
//        marks: [{x, y, label}], path: null | {points: [[x, y], ...], method, perLeg, draggable}}
// Events: trigger "clicked" {x, y, index|null}; state "points" [[x, y], ...] after a drag.
// window.__genCoreLatency collects ms from each pointer event to the frame after its image.

const NEAR_PX = 7; // a click this close to a point selects it

function latencies() {
  window.__genCoreLatency = window.__genCoreLatency || [];
  return window.__genCoreLatency;
}

function element(tag, className, parent) {
  const el = document.createElement(tag);
  el.className = className;
  parent.append(el);
  return el;
}

function bounds(data) {
  const xs = data.x.concat((data.path?.points ?? []).map((p) => p[0]));
  const ys = data.y.concat((data.path?.points ?? []).map((p) => p[1]));
  if (data.tiles?.mode === "grid") {
    xs.push(data.tiles.x0, data.tiles.x1);
    ys.push(data.tiles.y0, data.tiles.y1);
  }
  const lo = [Math.min(...xs), Math.min(...ys)];
  const hi = [Math.max(...xs), Math.max(...ys)];
  const pad = [(hi[0] - lo[0]) * 0.04 || 1, (hi[1] - lo[1]) * 0.04 || 1];
  return [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]];
}

// Points along the path through `points`, `perLeg` per leg, straight or on the sphere: the same
// walks the server decodes exactly once the drag ends (gen_core.analysis.latent.path).
function walk(points, perLeg, method) {
  const out = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k], points[k + 1]];
    for (let i = 0; i < perLeg; i++) out.push(step(a, b, i / perLeg, method));
  }
  if (points.length) out.push(points[points.length - 1]);
  return out;
}

function step(a, b, t, method) {
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  const cos = (a[0] * b[0] + a[1] * b[1]) / (na * nb || 1);
  const omega = Math.acos(Math.max(-1, Math.min(1, cos)));
  if (method !== "slerp" || Math.sin(omega) < 1e-6) {
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  }
  const [wa, wb] = [Math.sin((1 - t) * omega), Math.sin(t * omega)].map((w) => w / Math.sin(omega));
  return [wa * a[0] + wb * b[0], wa * a[1] + wb * b[1]];
}

export default function ({ data, parentElement, setTriggerValue, setStateValue }) {
  parentElement.querySelector(".latent-map")?.remove(); // a rerun's: the styles stay
  const root = element("div", "latent-map", parentElement);
  const stage = element("div", "stage", root);
  const canvas = element("canvas", "map", stage);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `latent map of the test ${data.noun}s`);
  const side = element("div", "side", stage);
  const preview = element("canvas", "preview", side);
  preview.width = preview.height = 140;
  const said = element("div", "said", side);
  const strip = element("canvas", "strip", side);
  const legend = element("div", "legend", root);

  const tiles = data.tiles ? Object.assign(new Image(), { src: data.tiles.url }) : null;
  const hidden = new Set();
  const path = data.path ? data.path.points.map((p) => p.slice()) : [];
  const [x0, x1, y0, y1] = bounds(data);
  let width = 0;
  let dragging = -1;
  let moved = false;
  let hover = null;

  data.classes.forEach((name, c) => {
    const chip = element("button", "chip", legend);
    chip.type = "button";
    chip.innerHTML = `<i style="background:${data.colours[c]}"></i>${name}`;
    chip.addEventListener("click", () => {
      hidden.has(c) ? hidden.delete(c) : hidden.add(c);
      chip.classList.toggle("off", hidden.has(c));
      drawDots();
    });
  });

  const toPx = (x, y) => [((x - x0) / (x1 - x0)) * width, ((y1 - y) / (y1 - y0)) * data.height];
  const toLatent = (px, py) => [x0 + (px / width) * (x1 - x0), y1 - (py / data.height) * (y1 - y0)];

  function nearestPoint(px, py, within) {
    let best = -1;
    let bestD = within * within;
    for (let i = 0; i < data.x.length; i++) {
      if (hidden.has(data.label[i])) continue;
      const [qx, qy] = toPx(data.x[i], data.y[i]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    return best;
  }

  // The tile (sx, sy) in the sprite holding the image decoded at or nearest to (x, y).
  function tileAt(x, y, px, py) {
    const t = data.tiles;
    if (!t) return null;
    let cell;
    if (t.mode === "grid") {
      const col = Math.round(((x - t.x0) / (t.x1 - t.x0)) * (t.n - 1));
      const row = Math.round(((t.y1 - y) / (t.y1 - t.y0)) * (t.n - 1));
      if (col < 0 || row < 0 || col >= t.n || row >= t.n) return null;
      cell = row * t.n + col;
      const at = [t.x0 + (col / (t.n - 1)) * (t.x1 - t.x0), t.y1 - (row / (t.n - 1)) * (t.y1 - t.y0)];
      return { cell, text: `decoded at (${at[0].toFixed(2)}, ${at[1].toFixed(2)})` };
    }
    const i = nearestPoint(px, py, 40);
    if (i < 0) return null;
    const name = data.classes[data.label[i]];
    return { cell: i, text: `test ${data.noun} #${i} (${name}), decoded from its μ` };
  }

  function blit(ctx, cell, dx, dy, dSide) {
    const t = data.tiles;
    const sx = (cell % t.cols) * t.size;
    const sy = Math.floor(cell / t.cols) * t.size;
    ctx.drawImage(tiles, sx, sy, t.size, t.size, dx, dy, dSide, dSide);
  }

  function showPreview() {
    const ctx = preview.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 140, 140);
    const found = hover && tiles ? tileAt(hover[0], hover[1], hover[2], hover[3]) : null;
    if (found) blit(ctx, found.cell, 0, 0, 140);
    said.textContent = found
      ? found.text
      : tiles
        ? `Move over the map to decode`
        : `No decode here: a projection has no inverse`;
  }

  function showStrip() {
    if (!path.length || data.tiles?.mode !== "grid") {
      strip.width = strip.height = 0;
      return;
    }
    const frames = walk(path, data.path.perLeg, data.path.method);
    const n = Math.min(frames.length, 12);
    const cell = 36; // four to a row: the side panel's width
    strip.width = 4 * cell;
    strip.height = Math.ceil(n / 4) * cell;
    const ctx = strip.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    for (let k = 0; k < n; k++) {
      const [x, y] = frames[Math.round((k * (frames.length - 1)) / Math.max(1, n - 1))];
      const found = tileAt(x, y, 0, 0);
      if (found) blit(ctx, found.cell, (k % 4) * cell, Math.floor(k / 4) * cell, cell);
    }
  }

  // The dots change only with the size and the legend, so they are drawn once to a layer and
  // each pointer move repaints that layer, the path and the cursor: one frame, a few draws.
  const dots = document.createElement("canvas");
  let dpr = 1;

  function layout() {
    dpr = window.devicePixelRatio || 1;
    width = Math.max(200, stage.clientWidth - 156);
    for (const c of [canvas, dots]) {
      c.width = width * dpr;
      c.height = data.height * dpr;
    }
    canvas.style.width = `${width}px`;
    canvas.style.height = `${data.height}px`;
    drawDots();
  }

  function drawDots() {
    const ctx = dots.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, data.height);
    ctx.globalAlpha = 0.75;
    for (let i = 0; i < data.x.length; i++) {
      if (hidden.has(data.label[i])) continue;
      const [px, py] = toPx(data.x[i], data.y[i]);
      ctx.fillStyle = data.colours[data.label[i]];
      ctx.fillRect(px - 2, py - 2, 4, 4);
    }
    draw();
  }

  function draw() {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(dots, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.globalAlpha = 1;
    if (path.length) {
      const line = walk(path, 24, data.path.method).map(([x, y]) => toPx(x, y));
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      line.forEach(([px, py], k) => (k ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
      ctx.stroke();
      path.forEach(([x, y], k) => {
        const [px, py] = toPx(x, y);
        ctx.fillStyle = k === dragging ? "#d62728" : "#000";
        ctx.beginPath();
        ctx.arc(px, py, 7, 0, 2 * Math.PI);
        ctx.fill();
        ctx.fillStyle = "#fff";
        ctx.font = "bold 10px sans-serif";
        ctx.fillText(String(k + 1), px - 3, py + 3.5);
      });
    }
    for (const m of data.marks) {
      const [px, py] = toPx(m.x, m.y);
      ctx.fillStyle = "#000";
      ctx.font = "20px sans-serif";
      ctx.fillText("★", px - 8, py + 7);
      ctx.font = "12px sans-serif";
      ctx.fillText(m.label, px + 10, py - 6);
    }
    if (hover) {
      ctx.strokeStyle = "#d62728";
      ctx.strokeRect(hover[2] - 6, hover[3] - 6, 12, 12);
    }
  }

  function local(event) {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  function handleAt(px, py) {
    if (!data.path?.draggable) return -1;
    return path.findIndex(([x, y]) => {
      const [qx, qy] = toPx(x, y);
      return (qx - px) ** 2 + (qy - py) ** 2 <= 100;
    });
  }

  canvas.addEventListener("pointerdown", (event) => {
    const [px, py] = local(event);
    dragging = handleAt(px, py);
    moved = false;
    if (dragging >= 0) canvas.setPointerCapture(event.pointerId);
  });
  let frame = null;
  const waiting = []; // timestamps of the pointer events the next frame answers
  canvas.addEventListener("pointermove", (event) => {
    const [px, py] = local(event);
    const [x, y] = toLatent(px, py);
    hover = [x, y, px, py];
    if (dragging >= 0) {
      path[dragging] = [x, y];
      moved = true;
    }
    canvas.style.cursor = dragging >= 0 || handleAt(px, py) >= 0 ? "grab" : "crosshair";
    waiting.push(event.timeStamp);
    frame ??= requestAnimationFrame(() => {
      frame = null;
      draw();
      showPreview();
      if (dragging >= 0) showStrip();
      const starts = waiting.splice(0);
      requestAnimationFrame(() => latencies().push(...starts.map((t) => performance.now() - t)));
    });
  });
  canvas.addEventListener("pointerleave", () => {
    hover = null;
    draw();
    showPreview();
  });
  canvas.addEventListener("pointerup", (event) => {
    const [px, py] = local(event);
    if (dragging >= 0 && moved) {
      setStateValue("points", path.map((p) => p.slice()));
    } else if (dragging < 0) {
      const i = nearestPoint(px, py, NEAR_PX);
      const [x, y] = i >= 0 ? [data.x[i], data.y[i]] : toLatent(px, py);
      setTriggerValue("clicked", { x, y, index: i >= 0 ? i : null });
    }
    dragging = -1;
    draw();
  });

  // Where a latent point is drawn, in CSS pixels of the canvas: the browser tests aim with it.
  canvas.toPixel = (x, y) => toPx(x, y);
  canvas.pointPixel = (i) => toPx(data.x[i], data.y[i]);
  canvas.pathPoints = () => path.map((p) => p.slice());

  const resize = new ResizeObserver(() => layout());
  resize.observe(stage);
  if (tiles) tiles.decode().then(() => (showPreview(), showStrip()), showPreview);
  showPreview();
  return () => resize.disconnect();
}
