// Researchers' data panels: upload recordings with progress and read the cleaning
// report; list the recordings with a raw export each.
import { send, upload } from "../api.js";
import { errorBox, field, h, progressBar, replace, saveBlob, select } from "../dom.js";

/** The merged cleaning report of an upload, as a definition list and a reasons table. */
export function cleaningReport(result) {
  const report = result.report || {};
  const reasons = (counts, label) => {
    const entries = Object.entries(counts || {});
    if (!entries.length) return null;
    return h(
      "table",
      { class: "reasons" },
      h("caption", { text: label }),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Reason" }), h("th", { scope: "col", text: "Rows" }))),
      h("tbody", {}, entries.map(([reason, n]) => h("tr", {}, h("th", { scope: "row", text: reason }), h("td", { text: String(n) })))),
    );
  };
  return h(
    "section",
    { class: "report", "aria-label": "Cleaning report" },
    h("h3", { text: "Cleaning report" }),
    h(
      "dl",
      { class: "facts" },
      h("dt", { text: "Recordings stored" }), h("dd", { dataset: { report: "recordings" }, text: String((result.recordings || []).length) }),
      h("dt", { text: "Rows read" }), h("dd", { dataset: { report: "rows_in" }, text: String(report.rows_in ?? "–") }),
      h("dt", { text: "Rows kept" }), h("dd", { dataset: { report: "rows_kept" }, text: String(report.rows_kept ?? "–") }),
      h("dt", { text: "Rows dropped" }), h("dd", { dataset: { report: "rows_dropped" }, text: String(report.rows_dropped ?? "–") }),
    ),
    reasons(report.dropped, "Dropped, by reason"),
    reasons(report.repaired, "Repaired, by reason"),
    (report.notes || []).length ? h("ul", { class: "notes" }, report.notes.map((n) => h("li", { text: n }))) : null,
  );
}

export function createUploadPanel({ stimulus, catalog, onUploaded }) {
  const file = h("input", { type: "file", name: "file", required: true });
  const format = select("format", catalog.formats, "auto");
  const participant = h("input", { name: "participant", maxlength: "200" });
  const gender = h("input", { name: "gender", maxlength: "32" });
  const age = h("input", { name: "age", type: "number", min: "0", max: "150", inputmode: "numeric" });
  const device = h("input", { name: "device", maxlength: "100" });
  const others = select("other_stimuli", [["reject", "Refuse the upload"], ["skip", "Skip those rows"]], "reject");
  const out = h("div", { class: "upload-result", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary", text: "Upload recordings" });
  const form = h(
    "form",
    {
      class: "card panel",
      "aria-labelledby": "upload-title",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const data = new FormData();
          data.append("file", file.files[0]);
          data.append("format", format.value);
          data.append("other_stimuli", others.value);
          for (const [name, input] of [["participant", participant], ["gender", gender], ["age", age], ["device", device]]) {
            if (input.value.trim()) data.append(name, input.value.trim());
          }
          const bar = progressBar("Uploading");
          replace(out, bar);
          button.disabled = true;
          try {
            const result = await upload(`stimuli/${stimulus.id}/recordings`, data, (f) =>
              bar.update(f, f < 1 ? `Uploading ${Math.round(f * 100)} %` : "Reading and cleaning…"),
            );
            replace(out, cleaningReport(result));
            onUploaded(result);
          } catch (error) {
            replace(out, errorBox(error));
          } finally {
            button.disabled = false;
          }
        },
      },
    },
    h("h2", { id: "upload-title", text: "Upload recordings" }),
    field("Gaze file", file, "CSV, TSV, JSON or a vendor export (Tobii, EyeLink, SMI, Gazepoint, Pupil, WebGazer, BIDS)."),
    field("Format", format),
    field("Rows naming another stimulus", others, "A file may hold several stimuli (or calibration screens)."),
    h(
      "details",
      {},
      h("summary", { text: "Participant details (override the file)" }),
      field("Participant id", participant),
      field("Gender", gender),
      field("Age", age),
      field("Device", device),
    ),
    button,
    out,
  );
  return form;
}

export function recordingsPanel(recordings) {
  const exportOne = async (id, format) => {
    const response = await send(`recordings/${id}/export`, { query: { format } });
    saveBlob(await response.blob(), `recording-${id}.${format}`);
  };
  return h(
    "section",
    { class: "card panel", "aria-labelledby": "rec-title" },
    h("h2", { id: "rec-title", text: `Recordings (${recordings.length})` }),
    recordings.length
      ? h(
          "table",
          { class: "recordings" },
          h("thead", {}, h("tr", {}, ["Id", "Kind", "Rows", "Device", "File", "Raw data"].map((t) => h("th", { scope: "col", text: t })))),
          h(
            "tbody",
            {},
            recordings.map((r) =>
              h(
                "tr",
                {},
                h("td", { text: String(r.id) }),
                h("td", { text: r.kind }),
                h("td", { text: String(r.sample_count) }),
                h("td", { text: r.device || "–" }),
                h("td", { text: r.source_name || "–" }),
                h("td", {}, h("button", { type: "button", class: "link", text: "CSV", "aria-label": `Export recording ${r.id} as CSV`, on: { click: () => exportOne(r.id, "csv").catch((e) => alertIn(e)) } })),
              ),
            ),
          ),
        )
      : h("p", { class: "muted", text: "No recordings yet." }),
  );
}

function alertIn(error) {
  document.getElementById("main").prepend(errorBox(error));
}
