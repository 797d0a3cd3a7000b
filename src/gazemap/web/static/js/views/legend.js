// The colour bar under a heat map: the colormap from 0 to the scale, with the
// threshold (below which nothing is drawn) hatched.
import { formatNumber, h } from "../dom.js";

/**
 * A legend element with `update({colormap, scale, threshold, signed})`; `stops` is the
 * catalogue's colour list per colormap. `scale` is the density at the top colour
 * (X-Gazemap-Scale), in 1/px²; a signed legend runs from −scale to +scale.
 */
export function createLegend(stops, { label = "Density (1/px²)" } = {}) {
  const bar = h("div", { class: "legend-bar", role: "img" });
  const cut = h("div", { class: "legend-cut" });
  bar.append(cut);
  const ticks = h("div", { class: "legend-ticks" });
  const el = h("figure", { class: "legend" }, bar, ticks, h("figcaption", { text: label }));
  el.update = ({ colormap, scale, threshold = 0, signed = false }) => {
    const colours = stops[colormap] || stops.inferno;
    bar.style.backgroundImage = `linear-gradient(to right, ${colours.join(", ")})`;
    cut.style.width = signed ? "0" : `${Math.max(0, Math.min(1, threshold)) * 100}%`;
    const top = Number(scale);
    const known = Number.isFinite(top);
    const values = signed ? [-1, -0.5, 0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1];
    ticks.replaceChildren(...values.map((f) => h("span", { text: known ? formatNumber(f * top) : "–" })));
    el.dataset.scale = known ? String(top) : "";
    bar.setAttribute(
      "aria-label",
      known
        ? `${colormap} colour scale from ${formatNumber(signed ? -top : 0)} to ${formatNumber(top)}${signed ? "" : `, nothing drawn below ${formatNumber(threshold * top)}`}`
        : `${colormap} colour scale`,
    );
  };
  return el;
}
