// One stimulus: the heat map with every parameter, legend, counts, downloads, AOIs and,
// for researchers, uploads and the recordings list.
import { getBinary, getJSON } from "../api.js";
import { loadCatalog } from "../catalog.js";
import { debounce, errorBox, formatNumber, h, objectUrl, progressBar, releaseObjectUrl, replace, saveBlob } from "../dom.js";
import { get, heatmapQuery, parseAois, parseBandwidth, set } from "../params.js";
import { href, replaceParams } from "../router.js";
import { createAoiPanel } from "./aoi.js";
import { createControls } from "./controls.js";
import { createLegend } from "./legend.js";
import { createStage } from "./stage.js";
import { createUploadPanel, recordingsPanel } from "./upload.js";

/** What the data offers to filter on: genders (researchers only) and devices. */
export async function filterOptions(studyId, stimulusId, canResearch) {
  if (!canResearch) return { genders: [], devices: [] };
  const [people, recordings] = await Promise.all([
    getJSON(`studies/${studyId}/participants`, { query: { limit: 500 } }),
    getJSON(`stimuli/${stimulusId}/recordings`, { query: { limit: 500 } }),
  ]);
  const distinct = (values) => [...new Set(values.filter((v) => v !== null && v !== undefined && v !== ""))].sort();
  return {
    genders: distinct(people.items.map((p) => p.gender)),
    devices: distinct(recordings.items.map((r) => r.device)),
    recordings: recordings.items,
  };
}

export async function stimulusView({ main, route, stimulusId, stillCurrent, setCrumbs, toast }) {
  const stimulus = await getJSON(`stimuli/${stimulusId}`);
  const [study, catalog] = await Promise.all([getJSON(`studies/${stimulus.study_id}`), loadCatalog()]);
  const canResearch = study.role === "admin" || study.role === "researcher";
  const options = await filterOptions(study.id, stimulusId, canResearch);
  if (!stillCurrent()) return;
  setCrumbs([["Studies", href("/studies")], [study.name, href(`/studies/${study.id}`)], [stimulus.name, null]]);

  const params = new URLSearchParams(route.params);
  const status = h("p", { class: "status", "aria-live": "polite" });
  const problem = h("div", { class: "messages", "aria-live": "assertive" });
  const jobArea = h("div", { class: "job" });
  const legend = createLegend(catalog.colormaps);
  const stage = createStage({
    width: stimulus.width,
    height: stimulus.height,
    zoom: Number(get(params, "zoom")),
    label: `Heat map of ${stimulus.name}`,
    onZoom: (z) => {
      set(params, "zoom", String(z));
      replaceParams(params);
    },
    onDraw: (rect) => aoiPanel.add(rect),
    loadPlain: async () => objectUrl((await getBinary(`stimuli/${stimulusId}/image`)).blob),
  });

  let controller = null;
  let shownUrl = null;
  async function refresh() {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    const query = heatmapQuery(params, { allowDemographic: canResearch });
    status.textContent = "Computing…";
    stage.el.classList.add("busy");
    try {
      const { blob, headers } = await getBinary(`stimuli/${stimulusId}/heatmap`, {
        query,
        signal: mine.signal,
        onJob: (job) => showJob(jobArea, job),
      });
      if (mine !== controller || !stillCurrent()) return;
      const next = objectUrl(blob);
      stage.setImage(next);
      releaseObjectUrl(shownUrl);
      shownUrl = next;
      replace(problem);
      stage.el.classList.remove("stale");
      showCounts(headers);
    } catch (error) {
      if (error.name === "AbortError" || mine !== controller) return;
      replace(jobArea);
      stage.el.classList.add("stale");
      status.textContent = "";
      replace(problem, errorBox(error, error.status === 403 ? h("p", { class: "hint", text: "The map was not drawn: change the filters and try again." }) : null));
    } finally {
      if (mine === controller) stage.el.classList.remove("busy");
    }
  }
  const refreshSoon = debounce(refresh, 250);

  function showCounts(headers) {
    const bandwidth = parseBandwidth(headers.get("X-Gazemap-Bandwidth"));
    controls.showBandwidth(bandwidth);
    const text = (name) => headers.get(name) ?? "–";
    status.replaceChildren(
      h("span", { dataset: { count: "participants" }, text: `${text("X-Gazemap-Participants")} participants` }),
      " · ",
      h("span", { dataset: { count: "recordings" }, text: `${text("X-Gazemap-Recordings")} recordings` }),
      " · ",
      h("span", { dataset: { count: "points" }, text: `${text("X-Gazemap-Points")} points` }),
      " · ",
      h("span", { text: `bandwidth ${bandwidth ? bandwidth.map((v) => formatNumber(v)).join(" × ") + " px" : "–"}` }),
      " · ",
      h("span", { class: "muted", text: `cache: ${text("X-Gazemap-Cache")}` }),
    );
    legend.update({
      colormap: get(params, "colormap"),
      scale: headers.get("X-Gazemap-Scale"),
      threshold: Number(get(params, "threshold")),
    });
  }

  const controls = createControls({
    params,
    catalog,
    canFilterPeople: canResearch,
    options,
    onChange: () => {
      replaceParams(params);
      refreshSoon();
    },
  });

  const aoiPanel = createAoiPanel({
    stimulus,
    params,
    canFilterPeople: canResearch,
    onChange: (aois) => {
      stage.setAois(aois);
      replaceParams(params);
    },
  });
  stage.setAois(parseAois(params));

  const download = async (overrides, filename) => {
    try {
      const { blob } = await getBinary(`stimuli/${stimulusId}/heatmap`, {
        query: heatmapQuery(params, { allowDemographic: canResearch, overrides }),
        onJob: (job) => showJob(jobArea, job),
      });
      saveBlob(blob, filename);
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  const base = `heatmap-${stimulus.page_key}-v${stimulus.version}`.replace(/[^\w.-]+/g, "_");
  const downloads = h(
    "div",
    { class: "downloads", role: "group", "aria-label": "Downloads" },
    h("button", { type: "button", text: "PNG with stimulus", on: { click: () => download({ overlay: "true" }, `${base}.png`) } }),
    h("button", { type: "button", text: "PNG map only", on: { click: () => download({ overlay: "false" }, `${base}-map.png`) } }),
    h("button", { type: "button", text: "Density JSON", on: { click: () => download({ format: "json" }, `${base}.json`) } }),
    h("button", { type: "button", text: "Density .npy", on: { click: () => download({ format: "npy" }, `${base}.npy`) } }),
    h("button", {
      type: "button",
      text: "Copy link",
      on: {
        click: async () => {
          try {
            await navigator.clipboard.writeText(location.href);
            toast("Link copied: anyone with access to the study sees this view.");
          } catch {
            toast(`Link: ${location.href}`);
          }
        },
      },
    }),
    h("a", { class: "button", href: href(`/stimuli/${stimulusId}/compare`, compareSeed(params)), text: "Compare…" }),
  );

  const side = [aoiPanel.el];
  if (canResearch) {
    let listing = recordingsPanel(options.recordings || []);
    const onUploaded = async () => {
      refresh();
      const fresh = await getJSON(`stimuli/${stimulusId}/recordings`, { query: { limit: 500 } });
      if (!stillCurrent()) return;
      const next = recordingsPanel(fresh.items);
      listing.replaceWith(next);
      listing = next;
    };
    side.push(createUploadPanel({ stimulus, catalog, onUploaded }), listing);
  }

  replace(
    main,
    h("h1", {}, stimulus.name, h("small", { class: "muted", text: ` page ${stimulus.page_key}, version ${stimulus.version}, ${stimulus.width}×${stimulus.height} px` })),
    h(
      "div",
      { class: "viewer" },
      controls.el,
      h("section", { class: "display", "aria-label": "Heat map" }, stage.toolbar, stage.el, status, jobArea, problem, legend, downloads),
      h("section", { class: "side", "aria-label": "Areas of interest and data" }, side),
    ),
  );
  legend.update({ colormap: get(params, "colormap"), scale: null, threshold: Number(get(params, "threshold")) });
  await refresh();
}

/** Comparison state seeded from the current view: shared parameters, no slice. */
function compareSeed(params) {
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    if (["gender", "age_min", "age_max", "device", "recorded_from", "recorded_to", "aoi"].includes(key)) continue;
    out.append(key, value);
  }
  return out;
}

/** Show a running job's progress, or clear it (job = null). */
export function showJob(area, job) {
  if (!job) {
    replace(area);
    return;
  }
  let bar = area.querySelector(".progress");
  if (!bar) {
    bar = progressBar("Job");
    replace(area, bar);
  }
  const fraction = typeof job.progress === "number" ? job.progress : null;
  bar.update(fraction, `Job ${job.status}${fraction === null ? "" : ` — ${Math.round(fraction * 100)} %`}`);
}
