// Areas of interest: rectangles drawn on the picture or typed in, kept in the URL, and
// their fixation metrics from POST /stimuli/{id}/aoi-metrics.
import { send } from "../api.js";
import { errorBox, field, formatNumber, h, replace } from "../dom.js";
import { DEMOGRAPHIC_KEYS, formatAoi, get, parseAois, sliceInto } from "../params.js";

/** The slice of `params` as the JSON body's `slice` object. */
export function sliceBody(params, { allowDemographic }) {
  const flat = sliceInto(new URLSearchParams(), params, { allowDemographic });
  const body = {};
  for (const [key, value] of flat) {
    if (key === "gender" || key === "device") (body[key] ||= []).push(value);
    else if (key === "age_min" || key === "age_max") body[key] = Number(value);
    else body[key] = value;
  }
  if (!allowDemographic) for (const key of DEMOGRAPHIC_KEYS) delete body[key];
  return body;
}

const COLUMNS = [
  ["name", "AOI", (m) => m.name],
  ["entered", "Looked", (m) => `${m.participants_entered} / ${m.participants} (${Math.round(m.share_entered * 100)} %)`],
  ["ttff", "First fixation (median, ms)", (m) => formatNumber(m.ttff_median_ms, 4)],
  ["dwell", "Dwell per participant (ms)", (m) => formatNumber(m.dwell_ms_mean, 4)],
  ["fixations", "Fixations per participant", (m) => formatNumber(m.fixations_mean)],
  ["revisits", "Revisits (total)", (m) => String(m.revisits_total)],
];

export function createAoiPanel({ stimulus, params, canFilterPeople, onChange }) {
  let aois = parseAois(params);
  const list = h("ul", { class: "aoi-list" });
  const results = h("div", { class: "aoi-results", "aria-live": "polite" });
  const compute = h("button", { type: "button", class: "primary", text: "Compute AOI metrics" });

  const save = () => {
    params.delete("aoi");
    for (const aoi of aois) params.append("aoi", formatAoi(aoi));
    renderList();
    onChange(aois);
  };
  function renderList() {
    compute.disabled = aois.length === 0;
    replace(
      list,
      aois.map((aoi, i) => {
        const name = h("input", { value: aoi.name, "aria-label": `Name of area ${i + 1}`, maxlength: "100" });
        name.addEventListener("change", () => {
          aoi.name = name.value.trim() || aoi.name;
          save();
        });
        return h(
          "li",
          {},
          name,
          h("span", { class: "muted", text: ` ${aoi.rect.join(", ")}` }),
          h("button", {
            type: "button",
            class: "link",
            text: "Remove",
            "aria-label": `Remove ${aoi.name}`,
            on: { click: () => { aois.splice(i, 1); save(); } },
          }),
        );
      }),
    );
  }
  const freshName = () => {
    let n = aois.length + 1;
    while (aois.some((a) => a.name === `AOI ${n}`)) n += 1;
    return `AOI ${n}`;
  };

  // typing a rectangle is the keyboard path to the same result as drawing one
  const inputs = ["x", "y", "width", "height"].map((name) =>
    h("input", { type: "number", name: `aoi_${name}`, min: "0", step: "1", required: true, inputmode: "numeric" }),
  );
  const addForm = h(
    "form",
    {
      class: "aoi-add",
      "aria-label": "Add an area of interest",
      on: {
        submit: (event) => {
          event.preventDefault();
          add(inputs.map((i) => Number(i.value)));
          addForm.reset();
        },
      },
    },
    inputs.map((input, i) => field(["x", "y", "Width", "Height"][i], input)),
    h("button", { type: "submit", text: "Add AOI" }),
  );

  function add(rect) {
    aois.push({ name: freshName(), rect });
    save();
  }

  compute.addEventListener("click", async () => {
    replace(results, h("p", { class: "muted", text: "Computing…" }));
    const body = {
      aois: aois.map((a) => ({ name: a.name, rect: a.rect })),
      slice: sliceBody(params, { allowDemographic: canFilterPeople }),
      detector: get(params, "detector"),
    };
    const from = Number(params.get("t_from") || 0);
    const to = params.get("t_to");
    if (from > 0) body.t_from = from;
    if (to) body.t_to = Number(to);
    try {
      const response = await send(`stimuli/${stimulus.id}/aoi-metrics`, { method: "POST", json: body });
      const table = await response.json();
      replace(
        results,
        h(
          "table",
          { class: "metrics" },
          h("caption", { text: "AOI metrics over the slice's fixations" }),
          h("thead", {}, h("tr", {}, COLUMNS.map(([, label]) => h("th", { scope: "col", text: label })))),
          h(
            "tbody",
            {},
            table.items.map((m) => h("tr", {}, COLUMNS.map(([key, , value], i) => (i === 0 ? h("th", { scope: "row", text: value(m) }) : h("td", { dataset: { metric: key }, text: value(m) }))))),
          ),
        ),
      );
    } catch (error) {
      replace(results, errorBox(error));
    }
  });

  renderList();
  return {
    el: h(
      "section",
      { class: "card panel", "aria-labelledby": "aoi-title" },
      h("h2", { id: "aoi-title", text: "Areas of interest" }),
      h("p", { class: "hint", text: "Press “Draw AOI” and drag on the picture, or type a rectangle in stimulus pixels." }),
      list,
      addForm,
      compute,
      results,
    ),
    add,
    get aois() {
      return aois;
    },
  };
}
