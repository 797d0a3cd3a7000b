// The settings form of a stimulus view. Every control writes one URL parameter (see
// params.js) and calls `onChange`; the view debounces the heat-map request.
import { field, h, select, uid } from "../dom.js";
import { get, set } from "../params.js";

const RULES = ["scott", "silverman"];
const BANDWIDTH_RANGE = { px: { min: 2, max: 200, step: 1 }, deg: { min: 0.1, max: 5, step: 0.1 } };
const LEVELS = [
  ["0", "0 — full resolution"],
  ["1", "1 — half"],
  ["2", "2 — quarter"],
  ["3", "3 — eighth"],
  ["4", "4 — sixteenth"],
];

/** A range slider with its number shown beside it; `write(value)` on input. */
function slider(name, { min, max, step, value, write, format = (v) => v }) {
  // a value from a shared address beyond the usual range widens the range, never clamps
  if (Number(value) > Number(max)) max = value;
  const out = h("output", { class: "slider-value" });
  const input = h("input", { type: "range", name, min: String(min), max: String(max), step: String(step), value: String(value) });
  out.htmlFor.add(input.id || (input.id = uid(name)));
  const show = () => {
    out.textContent = format(input.value);
    input.setAttribute("aria-valuetext", out.textContent);
  };
  input.addEventListener("input", () => {
    show();
    write(input.value);
  });
  show();
  const wrap = h("div", { class: "slider" }, input, out);
  wrap.input = input;
  wrap.output = out;
  wrap.refresh = show;
  return wrap;
}

/** Top of the colour scale: the map's maximum, a percentile, or a fixed density. */
function scaleChoice(params, change) {
  const current = get(params, "scale");
  const presets = [["max", "Maximum of this map"], ["p99", "99th percentile"], ["p95", "95th percentile"]];
  if (!presets.some(([v]) => v === current)) presets.push([current, `Fixed: ${current} /px²`]);
  const control = select("scale", presets, current);
  control.addEventListener("change", () => change("scale", control.value));
  return field("Top of the colour scale", control, "A fixed value (in the address, scale=…) puts several maps on one scale.");
}

function checkboxes(name, legend, options, chosen, write) {
  const boxes = options.map((value) => {
    const input = h("input", { type: "checkbox", name, value, checked: chosen.includes(value) });
    return h("label", { class: "check" }, input, ` ${value}`);
  });
  const group = h("fieldset", { class: "checks", dataset: { filter: name } }, h("legend", { text: legend }), boxes);
  group.addEventListener("change", () => {
    write([...group.querySelectorAll("input:checked")].map((i) => i.value));
  });
  return group;
}

/**
 * Build the settings form.
 *
 * `params` (URLSearchParams) is edited in place. `canFilterPeople`: demographic filters
 * (gender, age) are shown only when true. `options`: {genders, devices} seen in the data.
 * Returns {el, showBandwidth(px)} — the latter displays the resolved bandwidth.
 */
export function createControls({ params, catalog, canFilterPeople, options, onChange }) {
  const change = (key, value) => {
    set(params, key, value);
    onChange(key);
  };
  const choice = (name, label, values, hint = null) => {
    const control = select(name, values, get(params, name));
    control.addEventListener("change", () => change(name, control.value));
    return field(label, control, hint);
  };

  // bandwidth: a number in px or degrees, or a rule computed from the data
  const bwValue = get(params, "bandwidth");
  const isRule = RULES.includes(bwValue);
  let unit = isRule ? "px" : get(params, "bandwidth_unit");
  const bwMode = select(
    "bandwidth_mode",
    [["px", "Pixels"], ["deg", "Degrees of visual angle"], ["scott", "Scott's rule"], ["silverman", "Silverman's rule"]],
    isRule ? bwValue : unit,
  );
  const range = BANDWIDTH_RANGE[unit];
  const bw = slider("bandwidth", {
    ...range,
    value: isRule ? 40 : bwValue,
    format: (v) => `${v} ${unit === "deg" ? "°" : "px"}`,
    write: (v) => change("bandwidth", v),
  });
  bw.input.setAttribute("aria-label", "Bandwidth");
  bw.input.disabled = isRule;
  const resolved = h("output", { class: "resolved", "aria-live": "polite", text: "" });
  bwMode.addEventListener("change", () => {
    const mode = bwMode.value;
    if (RULES.includes(mode)) {
      bw.input.disabled = true;
      set(params, "bandwidth_unit", "");
      change("bandwidth", mode);
      return;
    }
    unit = mode;
    const r = BANDWIDTH_RANGE[unit];
    Object.assign(bw.input, { min: r.min, max: r.max, step: r.step });
    bw.input.value = unit === "deg" ? "1" : "40";
    bw.input.disabled = false;
    bw.refresh();
    set(params, "bandwidth_unit", unit);
    change("bandwidth", bw.input.value);
  });

  // time window inside each recording, ms; the sliders' range is a choice of its own
  let windowMax = Number(get(params, "window_max"));
  const tFrom = slider("t_from", {
    min: 0, max: windowMax, step: 100, value: get(params, "t_from") || 0,
    format: (v) => `${v} ms`,
    write: (v) => {
      if (Number(v) > Number(tTo.input.value)) {
        tTo.input.value = v;
        tTo.refresh();
        change("t_to", v);
      }
      change("t_from", v);
    },
  });
  const tTo = slider("t_to", {
    min: 0, max: windowMax, step: 100, value: get(params, "t_to") || windowMax,
    format: (v) => (Number(v) >= windowMax ? `${v} ms (end)` : `${v} ms`),
    write: (v) => {
      if (Number(v) < Number(tFrom.input.value)) {
        tFrom.input.value = v;
        tFrom.refresh();
        change("t_from", v);
      }
      change("t_to", Number(v) >= windowMax ? "" : v);
    },
  });
  tFrom.input.setAttribute("aria-label", "Window start");
  tTo.input.setAttribute("aria-label", "Window end");
  const ranges = [5000, 10000, 30000, 60000, 300000];
  if (!ranges.includes(windowMax)) ranges.push(windowMax);
  const windowRange = select("window_max", ranges.sort((a, b) => a - b).map((ms) => [String(ms), `0–${ms / 1000} s`]), String(windowMax));
  windowRange.addEventListener("change", () => {
    windowMax = Number(windowRange.value);
    for (const s of [tFrom, tTo]) s.input.max = String(windowMax);
    // a window that no longer fits is clipped to the new range
    if (Number(tFrom.input.value) > windowMax) tFrom.input.value = String(windowMax);
    if (!params.get("t_to") || Number(tTo.input.value) > windowMax) tTo.input.value = String(windowMax);
    tFrom.refresh();
    tTo.refresh();
    set(params, "window_max", windowRange.value);
    set(params, "t_from", Number(tFrom.input.value) > 0 ? tFrom.input.value : "");
    change("t_to", Number(tTo.input.value) >= windowMax ? "" : tTo.input.value);
  });

  const detector = choice("detector", "Fixation detector", [["ivt", "I-VT (velocity)"], ["idt", "I-DT (dispersion)"]]);
  detector.hidden = get(params, "points") !== "fixations";
  const points = choice("points", "Points", [["fixations", "Fixations"], ["samples", "Raw samples"]]);
  points.querySelector("select").addEventListener("change", (e) => {
    detector.hidden = e.target.value !== "fixations";
  });

  const estimate = h(
    "fieldset",
    { class: "group" },
    h("legend", { text: "Estimate" }),
    choice("kernel", "Kernel", catalog.kernels),
    field("Bandwidth unit or rule", bwMode),
    h("div", { class: "field" }, bw, h("small", { class: "hint" }, "Resolved: ", resolved)),
    choice("level", "Level of detail", LEVELS, "Grid cells per axis: image size ÷ 2^level."),
    choice("method", "Method", [["auto", "Automatic"], ["exact", "Exact sum"], ["fft", "Binned FFT"]]),
    points,
    detector,
    choice("weight", "Weighting", [["duration", "By duration"], ["count", "Each point once"]]),
    choice("normalize", "Normalisation", [["pooled", "Pooled"], ["participant", "Each participant equally"]]),
    h("fieldset", { class: "window" }, h("legend", { text: "Time window" }), tFrom, tTo, field("Slider range", windowRange)),
  );

  // slice filters
  const sliceGroup = h("fieldset", { class: "group" }, h("legend", { text: "Participants and recordings" }));
  if (canFilterPeople) {
    if (options.genders.length) {
      sliceGroup.append(checkboxes("gender", "Gender", options.genders, params.getAll("gender"), (v) => change("gender", v)));
    } else {
      sliceGroup.append(h("p", { class: "hint", text: "No genders recorded in this study." }));
    }
    for (const [key, label] of [["age_min", "Age from"], ["age_max", "Age to"]]) {
      const input = h("input", { type: "number", name: key, min: "0", max: "150", inputmode: "numeric", value: params.get(key) || "" });
      input.addEventListener("change", () => change(key, input.value));
      sliceGroup.append(field(label, input));
    }
  }
  if (options.devices.length) {
    sliceGroup.append(checkboxes("device", "Device", options.devices, params.getAll("device"), (v) => change("device", v)));
  }
  for (const [key, label] of [["recorded_from", "Recorded from (UTC date)"], ["recorded_to", "Recorded to (UTC date, inclusive)"]]) {
    const input = h("input", { type: "date", name: key, value: params.get(key) || "" });
    input.addEventListener("change", () => change(key, input.value));
    sliceGroup.append(field(label, input));
  }

  // rendering: recolouring never recomputes the density (separate cache entries)
  const opacity = slider("opacity", { min: 0.05, max: 1, step: 0.05, value: get(params, "opacity"), write: (v) => change("opacity", v) });
  opacity.input.setAttribute("aria-label", "Opacity");
  const threshold = slider("threshold", { min: 0, max: 0.5, step: 0.01, value: get(params, "threshold"), write: (v) => change("threshold", v) });
  threshold.input.setAttribute("aria-label", "Threshold");
  const overlay = h("input", { type: "checkbox", name: "overlay", checked: get(params, "overlay") !== "false" });
  overlay.addEventListener("change", () => change("overlay", overlay.checked ? "true" : "false"));
  const render = h(
    "fieldset",
    { class: "group" },
    h("legend", { text: "Picture" }),
    choice("colormap", "Colormap", Object.keys(catalog.colormaps).sort()),
    choice("mode", "Mode", [["heat", "Heat (colour where people looked)"], ["fog", "Fog (darken where they did not)"]]),
    scaleChoice(params, change),
    h("div", { class: "field" }, h("span", { class: "label", text: "Opacity" }), opacity),
    h("div", { class: "field" }, h("span", { class: "label", text: "Threshold (share of scale)" }), threshold),
    h("label", { class: "check" }, overlay, " Draw over the stimulus"),
  );

  const form = h(
    "form",
    { class: "controls", "aria-label": "Heat-map settings", on: { submit: (e) => e.preventDefault() } },
    estimate,
    sliceGroup,
    render,
  );
  return {
    el: form,
    showBandwidth(values) {
      resolved.textContent = values ? `${values.map((v) => Number(v.toPrecision(4))).join(" × ")} px` : "–";
    },
  };
}
