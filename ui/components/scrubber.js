// Scrub or play a decoded latent walk in the browser: the frames arrive once, as one sprite per
// path, so moving the slider or playing never waits for the server.
// data: {key, titles: [..], sprites: [{url, cols, size}], count, perLeg, scale}
// window.__genCoreLatency collects ms from each input event to the frame after its image is drawn
// (the browser benchmark and test read it).

const positions = new Map(); // the frame each walk was left on, across reruns

function latencies() {
  window.__genCoreLatency = window.__genCoreLatency || [];
  return window.__genCoreLatency;
}

function panel(parent, title, scale, size) {
  const box = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size * scale;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", title);
  box.append(caption, canvas);
  parent.append(box);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  return ctx;
}

export default function ({ data, parentElement }) {
  parentElement.querySelector(".scrubber")?.remove(); // a rerun's: the styles stay
  const root = document.createElement("div");
  root.className = "scrubber";
  const row = document.createElement("div");
  row.className = "frames";
  root.append(row);
  const controls = document.createElement("div");
  controls.className = "controls";
  controls.innerHTML =
    '<button type="button" class="play" aria-label="Play">▶</button>' +
    '<input type="range" class="position" min="0" step="1" aria-label="Position along the path">' +
    '<span class="where"></span>' +
    '<label>speed <select class="speed"><option value="0.5">½×</option>' +
    '<option value="1" selected>1×</option><option value="2">2×</option>' +
    '<option value="4">4×</option></select></label>';
  root.append(controls);
  parentElement.append(root);

  const sheets = data.sprites.map((s) => Object.assign(new Image(), { src: s.url }));
  const views = data.sprites.map((s, i) => panel(row, data.titles[i], data.scale, s.size));
  const slider = controls.querySelector(".position");
  const where = controls.querySelector(".where");
  const play = controls.querySelector(".play");
  const speed = controls.querySelector(".speed");
  slider.max = String(data.count - 1);
  slider.value = String(Math.min(positions.get(data.key) ?? 0, data.count - 1));

  function draw() {
    const frame = Number(slider.value);
    positions.set(data.key, frame);
    data.sprites.forEach((s, i) => {
      const x = (frame % s.cols) * s.size;
      const y = Math.floor(frame / s.cols) * s.size;
      const side = s.size * data.scale;
      views[i].drawImage(sheets[i], x, y, s.size, s.size, 0, 0, side, side);
    });
    where.textContent = `position ${(frame / data.perLeg).toFixed(2)} · frame ${frame + 1} of ${data.count}`;
  }

  function timed(event) {
    draw();
    const start = event.timeStamp;
    requestAnimationFrame(() => latencies().push(performance.now() - start));
  }

  let timer = null;
  let last = 0;
  function tick(now) {
    const fps = 30 * Number(speed.value);
    if (now - last >= 1000 / fps) {
      last = now;
      slider.value = String((Number(slider.value) + 1) % data.count);
      draw();
    }
    timer = requestAnimationFrame(tick);
  }
  function toggle() {
    if (timer === null) {
      timer = requestAnimationFrame(tick);
      play.textContent = "⏸";
      play.setAttribute("aria-label", "Pause");
    } else {
      cancelAnimationFrame(timer);
      timer = null;
      play.textContent = "▶";
      play.setAttribute("aria-label", "Play");
    }
  }

  slider.addEventListener("input", timed);
  play.addEventListener("click", toggle);
  Promise.all(sheets.map((img) => img.decode())).then(draw, draw);
  return () => {
    if (timer !== null) cancelAnimationFrame(timer);
  };
}
