// The picture area of a stimulus view: the heat map at the image's natural size times
// a zoom factor, panned by dragging or scrolling, with an SVG layer for AOI rectangles.
import { h } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
export const ZOOM_MIN = 0.1;
export const ZOOM_MAX = 8;

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

/**
 * Build the stage for an image of `width`×`height` px. Options: `zoom` (initial),
 * `onZoom(z)` when the zoom changes, `onDraw(rect)` when an AOI rectangle is drawn
 * ([x, y, w, h] in stimulus px). Returns {el, toolbar, setImage, setZoom, setAois, setDrawing}.
 */
export function createStage({ width, height, zoom = 1, label, onZoom = () => {}, onDraw = () => {}, loadPlain = null }) {
  const img = h("img", { class: "map", alt: label, width: String(width), height: String(height), draggable: "false" });
  const layer = svg("svg", { class: "aoi-layer", viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  const frame = h("div", { class: "frame" }, img, layer);
  const viewport = h("div", {
    class: "stage",
    tabindex: "0",
    role: "region",
    "aria-label": `${label}; arrow keys pan, + and − zoom`,
  }, frame);
  let current = zoom;
  let drawing = false;

  const zoomText = h("output", { class: "zoom-level", "aria-live": "polite" });
  const setZoom = (z, { notify = true } = {}) => {
    current = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Number(z) || 1));
    frame.style.width = `${width * current}px`;
    frame.style.height = `${height * current}px`;
    zoomText.textContent = `${Math.round(current * 100)} %`;
    if (notify) onZoom(current);
  };
  const zoomBy = (factor) => setZoom(Math.round(current * factor * 100) / 100);
  const fit = () => setZoom(Math.floor(((viewport.clientWidth - 4) / width) * 100) / 100);
  const button = (text, title, fn) =>
    h("button", { type: "button", class: "tool", title, "aria-label": title, text, on: { click: fn } });
  const drawToggle = h("button", {
    type: "button",
    class: "tool",
    "aria-pressed": "false",
    text: "Draw AOI",
    title: "Drag on the picture to draw an area of interest",
    on: { click: () => setDrawing(!drawing) },
  });
  // "Hide map" shows the stimulus alone (fetched once, on first use)
  let heatUrl = null;
  let plainUrl = null;
  let hidden = false;
  const hideToggle = h("button", {
    type: "button",
    class: "tool",
    "aria-pressed": "false",
    text: "Hide map",
    title: "Show the stimulus without the heat map",
    on: {
      click: async () => {
        hidden = !hidden;
        hideToggle.setAttribute("aria-pressed", String(hidden));
        if (hidden && !plainUrl && loadPlain) plainUrl = await loadPlain();
        const next = hidden ? plainUrl : heatUrl;
        if (next) img.src = next;
      },
    },
  });
  const toolbar = h(
    "div",
    { class: "toolbar", role: "toolbar", "aria-label": "Zoom and areas of interest" },
    button("−", "Zoom out", () => zoomBy(1 / 1.25)),
    zoomText,
    button("+", "Zoom in", () => zoomBy(1.25)),
    button("1:1", "Natural size", () => setZoom(1)),
    button("Fit", "Fit to width", fit),
    drawToggle,
    loadPlain ? hideToggle : null,
  );

  function setDrawing(on) {
    drawing = Boolean(on);
    drawToggle.setAttribute("aria-pressed", String(drawing));
    viewport.classList.toggle("drawing", drawing);
  }

  // picture px of a pointer event
  const at = (event) => {
    const box = frame.getBoundingClientRect();
    return [
      Math.min(width, Math.max(0, ((event.clientX - box.left) / box.width) * width)),
      Math.min(height, Math.max(0, ((event.clientY - box.top) / box.height) * height)),
    ];
  };
  let drag = null;
  viewport.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    viewport.setPointerCapture(event.pointerId);
    if (drawing) {
      const [x, y] = at(event);
      const rect = svg("rect", { class: "aoi drawing", x, y, width: 0, height: 0 });
      layer.append(rect);
      drag = { kind: "draw", x, y, rect };
    } else {
      drag = { kind: "pan", x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
      viewport.classList.add("panning");
    }
  });
  viewport.addEventListener("pointermove", (event) => {
    if (!drag) return;
    if (drag.kind === "pan") {
      viewport.scrollLeft = drag.left - (event.clientX - drag.x);
      viewport.scrollTop = drag.top - (event.clientY - drag.y);
      return;
    }
    const [x, y] = at(event);
    drag.rect.setAttribute("x", Math.min(x, drag.x));
    drag.rect.setAttribute("y", Math.min(y, drag.y));
    drag.rect.setAttribute("width", Math.abs(x - drag.x));
    drag.rect.setAttribute("height", Math.abs(y - drag.y));
  });
  const end = (event) => {
    if (!drag) return;
    const done = drag;
    drag = null;
    viewport.classList.remove("panning");
    if (done.kind !== "draw") return;
    done.rect.remove();
    const [x, y] = at(event);
    const rect = [Math.min(x, done.x), Math.min(y, done.y), Math.abs(x - done.x), Math.abs(y - done.y)];
    if (rect[2] >= 4 && rect[3] >= 4) onDraw(rect.map(Math.round));
  };
  viewport.addEventListener("pointerup", end);
  viewport.addEventListener("pointercancel", () => {
    drag?.rect?.remove();
    drag = null;
  });
  viewport.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey) return; // plain wheel scrolls (pans); ctrl+wheel zooms
      event.preventDefault();
      zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1);
    },
    { passive: false },
  );
  viewport.addEventListener("keydown", (event) => {
    if (event.key === "+" || event.key === "=") zoomBy(1.25);
    else if (event.key === "-" || event.key === "_") zoomBy(1 / 1.25);
    else if (event.key === "0") setZoom(1);
    else return;
    event.preventDefault();
  });

  function setAois(aois) {
    layer.replaceChildren(
      ...aois.flatMap((aoi) => {
        const [x, y, w, hgt] = aoi.rect;
        const rect = svg("rect", { class: "aoi", x, y, width: w, height: hgt });
        const text = svg("text", { class: "aoi-label", x: x + 4, y: y + 16 });
        text.textContent = aoi.name;
        return [rect, text];
      }),
    );
  }

  setZoom(zoom, { notify: false });
  return {
    el: viewport,
    toolbar,
    img,
    setZoom,
    setAois,
    setDrawing,
    setImage(url) {
      heatUrl = url;
      if (!hidden) img.src = url;
    },
  };
}
