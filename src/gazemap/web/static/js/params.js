// The heat-map state of a view and how it maps to API query parameters.
//
// The URL query of a stimulus view uses the API's own parameter names
// (`#/stimuli/7?kernel=epanechnikov&bandwidth=60&gender=female`), so a shared address
// is also a readable API request. Values equal to the default are left out.
// A few keys are the UI's own and never sent: `zoom`, `aoi`, `window_max`, `diff_colormap`,
// `diff_scale`.

export const DEFAULTS = {
  kernel: "gaussian",
  bandwidth: "40",
  bandwidth_unit: "px",
  level: "1",
  method: "auto",
  points: "fixations",
  detector: "ivt",
  weight: "duration",
  normalize: "pooled",
  t_from: "",
  t_to: "",
  colormap: "inferno",
  opacity: "0.6",
  threshold: "0.05",
  overlay: "true",
  mode: "heat",
  scale: "max",
  window_max: "10000",
  zoom: "1",
  diff_colormap: "RdBu_r",
};

/** Keys that are one value each (the filters below may repeat). */
export const ESTIMATE_KEYS = [
  "kernel", "bandwidth", "bandwidth_unit", "level", "method", "points", "detector",
  "weight", "normalize", "t_from", "t_to",
];
export const RENDER_KEYS = ["colormap", "opacity", "threshold", "overlay", "mode", "scale"];
export const SLICE_KEYS = ["gender", "age_min", "age_max", "device", "recorded_from", "recorded_to"];
/** Filters that select people by who they are: researchers only. */
export const DEMOGRAPHIC_KEYS = ["gender", "age_min", "age_max"];
export const MULTI_KEYS = ["gender", "device"];

/** The value of `key` in `params`, or its default. */
export function get(params, key) {
  const value = params.get(key);
  return value === null || value === "" ? (DEFAULTS[key] ?? "") : value;
}

/** Set `key` (a string, or an array for repeatable filters); defaults are removed. */
export function set(params, key, value) {
  params.delete(key);
  if (Array.isArray(value)) {
    for (const v of value) if (v !== "") params.append(key, v);
    return params;
  }
  if (value === null || value === undefined || value === "" || String(value) === DEFAULTS[key]) return params;
  params.set(key, String(value));
  return params;
}

// Dates in the UI are whole days (YYYY-MM-DD, UTC); the API wants instants, and
// `recorded_to` is exclusive, so "to 2024-03-01" means before 2024-03-02T00:00Z.
function dayStart(day) {
  return `${day}T00:00:00Z`;
}
function nextDayStart(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(".000Z", "Z");
}

/** Copy the slice filters of `params` (prefixed by `from`) into `out` (prefixed by `to`). */
export function sliceInto(out, params, { from = "", to = "", allowDemographic = true } = {}) {
  for (const key of SLICE_KEYS) {
    if (!allowDemographic && DEMOGRAPHIC_KEYS.includes(key)) continue;
    for (const value of params.getAll(from + key)) {
      if (value === "") continue;
      if (key === "recorded_from") out.append(to + key, dayStart(value));
      else if (key === "recorded_to") out.append(to + key, nextDayStart(value));
      else out.append(to + key, value);
    }
  }
  return out;
}

/** Estimate parameters of `params` into `out`, in the API's spelling. */
export function estimateInto(out, params) {
  for (const key of ESTIMATE_KEYS) {
    const value = params.get(key);
    if (value === null || value === "") continue;
    if (key === "detector" && get(params, "points") !== "fixations") continue;
    // the whole recording: a window ending at the slider's end means "to the end"
    if (key === "t_to" && value === get(params, "window_max")) continue;
    if (key === "t_from" && Number(value) === 0) continue;
    if (key === "bandwidth_unit" && ["scott", "silverman"].includes(get(params, "bandwidth"))) continue;
    out.set(key, value);
  }
  return out;
}

/**
 * The heat-map request of a view: estimate, slice and render parameters.
 * `overrides` replace single values (e.g. {format: "json"} or {overlay: "false"}).
 */
export function heatmapQuery(params, { allowDemographic = true, overrides = {} } = {}) {
  const out = estimateInto(new URLSearchParams(), params);
  sliceInto(out, params, { allowDemographic });
  for (const key of RENDER_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== "") out.set(key, value);
  }
  // `async=true` in the address asks for a job even when the map is cheap
  if (params.get("async") === "true") out.set("async", "true");
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) out.delete(key);
    else out.set(key, value);
  }
  return out;
}

/** Parse `X-Gazemap-Bandwidth` ("12.5,12.5" or "none") into numbers. */
export function parseBandwidth(header) {
  if (!header || header === "none") return null;
  return header.split(",").map(Number);
}

/** AOIs kept in the URL as repeated `aoi=name:x,y,w,h`. */
export function parseAois(params) {
  const out = [];
  for (const text of params.getAll("aoi")) {
    const cut = text.lastIndexOf(":");
    if (cut < 1) continue;
    const rect = text.slice(cut + 1).split(",").map(Number);
    if (rect.length === 4 && rect.every(Number.isFinite)) out.push({ name: text.slice(0, cut), rect });
  }
  return out;
}

export function formatAoi(aoi) {
  return `${aoi.name}:${aoi.rect.map((v) => Math.round(v)).join(",")}`;
}
