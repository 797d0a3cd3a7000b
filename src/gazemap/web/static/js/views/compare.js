// Compare two slices, or two layout versions of a page: A and B side by side on one
// scale, the difference A − B on the same scale (±), and the similarity scores.
//
// URL: #/stimuli/7/compare?bandwidth=60&a.gender=female&b.gender=male&b.stimulus_id=9
import { getBinary, getJSON } from "../api.js";
import { loadCatalog } from "../catalog.js";
import { debounce, errorBox, field, formatNumber, h, objectUrl, replace, select } from "../dom.js";
import { estimateInto, get, set, sliceInto } from "../params.js";
import { href, replaceParams } from "../router.js";
import { createLegend } from "./legend.js";
import { filterOptions, showJob } from "./stimulus.js";

const SHARED = [
  ["kernel", "Kernel"],
  ["level", "Level of detail"],
  ["points", "Points"],
  ["weight", "Weighting"],
  ["normalize", "Normalisation"],
];

export async function compareView({ main, route, stimulusId, stillCurrent, setCrumbs }) {
  const stimulus = await getJSON(`stimuli/${stimulusId}`);
  const [study, catalog, siblings] = await Promise.all([
    getJSON(`studies/${stimulus.study_id}`),
    loadCatalog(),
    getJSON(`studies/${stimulus.study_id}/stimuli`, { query: { page_key: stimulus.page_key, limit: 500 } }),
  ]);
  const canResearch = study.role === "admin" || study.role === "researcher";
  const options = await filterOptions(study.id, stimulusId, canResearch);
  if (!stillCurrent()) return;
  setCrumbs([
    ["Studies", href("/studies")],
    [study.name, href(`/studies/${study.id}`)],
    [stimulus.name, href(`/stimuli/${stimulusId}`)],
    ["Compare", null],
  ]);
  const params = new URLSearchParams(route.params);
  const versions = siblings.items.filter((s) => s.id !== stimulusId && s.width === stimulus.width && s.height === stimulus.height);
  if (params.get("compare") === "versions" && !params.get("b.stimulus_id") && versions.length) {
    params.set("b.stimulus_id", String(versions[0].id));
  }
  params.delete("compare");
  replaceParams(params);

  const changed = () => {
    replaceParams(params);
    refreshSoon();
  };
  const choices = {
    kernel: catalog.kernels,
    level: ["0", "1", "2", "3", "4"],
    points: ["fixations", "samples"],
    weight: ["duration", "count"],
    normalize: ["pooled", "participant"],
  };
  const shared = SHARED.map(([key, label]) => {
    const control = select(key, choices[key], get(params, key));
    control.addEventListener("change", () => {
      set(params, key, control.value);
      changed();
    });
    return field(label, control);
  });
  const bandwidth = h("input", { type: "range", name: "bandwidth", min: "2", max: "200", step: "1", value: /^\d/.test(get(params, "bandwidth")) ? get(params, "bandwidth") : "40" });
  const bwOut = h("output", { text: `${bandwidth.value} px` });
  bandwidth.addEventListener("input", () => {
    bwOut.textContent = `${bandwidth.value} px`;
    set(params, "bandwidth", bandwidth.value);
    set(params, "bandwidth_unit", "");
    changed();
  });
  const diffMap = select("diff_colormap", catalog.diverging, get(params, "diff_colormap"));
  diffMap.addEventListener("change", () => {
    set(params, "diff_colormap", diffMap.value);
    changed();
  });
  // A − B is usually much smaller than either map: on A's and B's scale it can look
  // blank, so it may get a scale of its own (the largest |A − B|, read from the grid)
  const ownScale = h("input", { type: "checkbox", name: "diff_scale", checked: params.get("diff_scale") === "own" });
  ownScale.addEventListener("change", () => {
    set(params, "diff_scale", ownScale.checked ? "own" : "");
    changed();
  });

  const sideForm = (side) => {
    const group = h("fieldset", { class: "group", dataset: { side } }, h("legend", { text: `Slice ${side.toUpperCase()}` }));
    const key = (name) => `${side}.${name}`;
    if (side === "b" && versions.length) {
      const pick = select(key("stimulus_id"), [["", `This version (${stimulus.version})`], ...versions.map((v) => [String(v.id), `Version ${v.version}`])], params.get(key("stimulus_id")) || "");
      pick.addEventListener("change", () => {
        set(params, key("stimulus_id"), pick.value);
        changed();
      });
      group.append(field("Layout version", pick));
    }
    if (canResearch) {
      if (options.genders.length) {
        const boxes = h("fieldset", { class: "checks" }, h("legend", { text: "Gender" }), options.genders.map((g) =>
          h("label", { class: "check" }, h("input", { type: "checkbox", name: key("gender"), value: g, checked: params.getAll(key("gender")).includes(g) }), ` ${g}`)));
        boxes.addEventListener("change", () => {
          set(params, key("gender"), [...boxes.querySelectorAll("input:checked")].map((i) => i.value));
          changed();
        });
        group.append(boxes);
      }
      for (const [name, label] of [["age_min", "Age from"], ["age_max", "Age to"]]) {
        const input = h("input", { type: "number", name: key(name), min: "0", max: "150", value: params.get(key(name)) || "" });
        input.addEventListener("change", () => {
          set(params, key(name), input.value);
          changed();
        });
        group.append(field(label, input));
      }
    }
    if (options.devices.length) {
      const boxes = h("fieldset", { class: "checks" }, h("legend", { text: "Device" }), options.devices.map((d) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: key("device"), value: d, checked: params.getAll(key("device")).includes(d) }), ` ${d}`)));
      boxes.addEventListener("change", () => {
        set(params, key("device"), [...boxes.querySelectorAll("input:checked")].map((i) => i.value));
        changed();
      });
      group.append(boxes);
    }
    for (const [name, label] of [["recorded_from", "Recorded from (UTC date)"], ["recorded_to", "Recorded to (UTC date, inclusive)"]]) {
      const input = h("input", { type: "date", name: key(name), value: params.get(key(name)) || "" });
      input.addEventListener("change", () => {
        set(params, key(name), input.value);
        changed();
      });
      group.append(field(label, input));
    }
    return group;
  };

  const picture = (label) => h("figure", { class: "compare-map" }, h("img", { alt: label }), h("figcaption", { text: label }));
  const figA = picture("A");
  const figB = picture("B");
  const figD = picture("A − B");
  const legendSides = createLegend(catalog.colormaps);
  const legendDiff = createLegend(catalog.colormaps, { label: "Difference A − B (1/px²)" });
  const scores = h("div", { class: "scores", "aria-live": "polite" });
  const problem = h("div", { class: "messages", "aria-live": "assertive" });
  const jobArea = h("div", { class: "job" });

  let controller = null;
  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    const signal = mine.signal;
    const sideQuery = (side, extra) => {
      const q = estimateInto(new URLSearchParams(), params);
      sliceInto(q, params, { from: `${side}.`, allowDemographic: canResearch });
      for (const key of ["colormap", "opacity", "threshold"]) q.set(key, get(params, key));
      for (const [k, v] of Object.entries(extra)) q.set(k, v);
      return q;
    };
    const sideTarget = (side) => `stimuli/${side === "b" && params.get("b.stimulus_id") ? params.get("b.stimulus_id") : stimulusId}/heatmap`;
    const onJob = (job) => showJob(jobArea, job);
    replace(problem);
    scores.textContent = "Computing…";
    try {
      // first each side on its own maximum, then both (and the difference) on the larger one
      const first = await Promise.all(["a", "b"].map((s) => getBinary(sideTarget(s), { query: sideQuery(s, {}), signal, onJob })));
      const scale = Math.max(...first.map((r) => Number(r.headers.get("X-Gazemap-Scale")) || 0));
      const common = scale > 0 ? { scale: String(scale) } : {};
      const both = await Promise.all(["a", "b"].map((s) => getBinary(sideTarget(s), { query: sideQuery(s, common), signal, onJob })));
      const compareQuery = estimateInto(new URLSearchParams(), params);
      sliceInto(compareQuery, params, { from: "a.", to: "a.", allowDemographic: canResearch });
      sliceInto(compareQuery, params, { from: "b.", to: "b.", allowDemographic: canResearch });
      if (params.get("b.stimulus_id")) compareQuery.set("b.stimulus_id", params.get("b.stimulus_id"));
      const diffQuery = new URLSearchParams(compareQuery);
      diffQuery.set("colormap", get(params, "diff_colormap"));
      diffQuery.set("threshold", "0");
      compareQuery.set("format", "json");
      const own = params.get("diff_scale") === "own";
      if (own) compareQuery.set("include_grid", "true");
      const result = await getJSON(`stimuli/${stimulusId}/heatmap/compare`, { query: compareQuery, signal, cache: "no-cache" });
      const diffScale = own ? maxAbs(result.difference) : scale;
      if (diffScale > 0) diffQuery.set("scale", String(diffScale));
      const diff = await getBinary(`stimuli/${stimulusId}/heatmap/compare`, { query: diffQuery, signal });
      if (mine !== controller || !stillCurrent()) return;
      figA.querySelector("img").src = objectUrl(both[0].blob);
      figB.querySelector("img").src = objectUrl(both[1].blob);
      figD.querySelector("img").src = objectUrl(diff.blob);
      figA.querySelector("figcaption").textContent = `A: ${both[0].headers.get("X-Gazemap-Participants")} participants`;
      figB.querySelector("figcaption").textContent = `B: ${both[1].headers.get("X-Gazemap-Participants")} participants`;
      legendSides.update({ colormap: get(params, "colormap"), scale, threshold: Number(get(params, "threshold")) });
      legendDiff.update({ colormap: get(params, "diff_colormap"), scale: diffScale, signed: true });
      showScores(result);
    } catch (error) {
      if (error.name === "AbortError" || mine !== controller) return;
      scores.textContent = "";
      replace(problem, errorBox(error));
    } finally {
      if (mine === controller) replace(jobArea);
    }
  }
  const refreshSoon = debounce(refresh, 250);

  function showScores(result) {
    const s = result.scores;
    const row = (key, label, value, hint) =>
      h("tr", {}, h("th", { scope: "row", text: label }), h("td", { dataset: { score: key }, text: formatNumber(value, 4) }), h("td", { class: "hint", text: hint }));
    replace(
      scores,
      h(
        "table",
        { class: "metrics" },
        h("caption", { text: "Similarity of A and B" }),
        h(
          "tbody",
          {},
          row("cc", "CC", s.cc, "Pearson correlation, −1 to 1"),
          row("sim", "SIM", s.sim, "Histogram intersection, 0 to 1 (1: equal)"),
          row("kl", "KL(A‖B)", s.kl, "nats; 0 when equal"),
          row("kl_reverse", "KL(B‖A)", s.kl_reverse, "nats"),
        ),
      ),
    );
  }

  replace(
    main,
    h("h1", { text: `Compare on ${stimulus.name}` }),
    h(
      "div",
      { class: "viewer compare" },
      h(
        "form",
        { class: "controls", "aria-label": "Comparison settings", on: { submit: (e) => e.preventDefault() } },
        h("fieldset", { class: "group" }, h("legend", { text: "Shared" }), shared,
          h("div", { class: "field" }, h("label", { for: "cmp-bw", text: "Bandwidth" }), h("div", { class: "slider" }, Object.assign(bandwidth, { id: "cmp-bw" }), bwOut)),
          field("Difference colormap", diffMap),
          h("label", { class: "check" }, ownScale, " Difference on its own scale")),
        sideForm("a"),
        sideForm("b"),
        canResearch ? null : h("p", { class: "hint", text: "Viewers compare by recording date; demographic filters are for researchers." }),
      ),
      h("section", { class: "display", "aria-label": "Comparison" }, h("div", { class: "compare-grid" }, figA, figB, figD), jobArea, problem, legendSides, legendDiff, scores),
    ),
  );
  await refresh();
}

/** The largest absolute value of a grid (rows of numbers); 0 for an empty one. */
function maxAbs(grid) {
  let top = 0;
  for (const row of grid || []) for (const v of row) if (Math.abs(v) > top) top = Math.abs(v);
  return top;
}
