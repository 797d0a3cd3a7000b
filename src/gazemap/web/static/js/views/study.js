// One study: its stimuli as thumbnails with counts; researchers can add a stimulus.
import { getBinary, getJSON, upload } from "../api.js";
import { errorBox, field, h, objectUrl, progressBar, replace } from "../dom.js";
import { href, navigate } from "../router.js";

export async function studyView({ main, studyId, stillCurrent, setCrumbs }) {
  const study = await getJSON(`studies/${studyId}`);
  const page = await getJSON(`studies/${studyId}/stimuli`, { query: { limit: 500 } });
  if (!stillCurrent()) return;
  setCrumbs([["Studies", href("/studies")], [study.name, null]]);
  const canResearch = study.role === "admin" || study.role === "researcher";
  const versions = new Map();
  for (const s of page.items) versions.set(s.page_key, (versions.get(s.page_key) || 0) + 1);

  const grid = h(
    "ul",
    { class: "thumbs", "aria-label": "Stimuli" },
    page.items.map((stimulus) => thumbnail(stimulus, versions.get(stimulus.page_key) > 1)),
  );
  replace(
    main,
    h("h1", { text: study.name }),
    study.description ? h("p", { text: study.description }) : null,
    h("p", { class: "muted", text: `Your role: ${study.role}. ${page.total} stimuli.` }),
    page.items.length ? grid : h("p", { class: "muted", text: "No stimuli yet." }),
    canResearch ? addStimulusForm(studyId) : null,
  );
  // thumbnails need the bearer token, so they are fetched and shown as blob: URLs
  for (const img of grid.querySelectorAll("img[data-stimulus]")) {
    if (!stillCurrent()) return;
    getBinary(`stimuli/${img.dataset.stimulus}/image`)
      .then(({ blob }) => {
        img.src = objectUrl(blob);
      })
      .catch(() => img.replaceWith(h("span", { class: "muted", text: "image unavailable" })));
  }
}

function thumbnail(stimulus, hasVersions) {
  const link = href(`/stimuli/${stimulus.id}`);
  return h(
    "li",
    { class: "card thumb" },
    h(
      "a",
      // the title below is the same link: keep one tab stop and one announcement
      { href: link, class: "thumb-link", tabindex: "-1", "aria-hidden": "true" },
      h("img", {
        alt: `Stimulus ${stimulus.name}`,
        width: String(stimulus.width),
        height: String(stimulus.height),
        dataset: { stimulus: String(stimulus.id) },
      }),
    ),
    h("h2", {}, h("a", { href: link, text: stimulus.name })),
    h(
      "dl",
      { class: "facts" },
      h("dt", { text: "Page" }), h("dd", { text: stimulus.page_key }),
      h("dt", { text: "Version" }), h("dd", { text: stimulus.version }),
      h("dt", { text: "Participants" }), h("dd", { text: String(stimulus.participant_count) }),
      h("dt", { text: "Recordings" }), h("dd", { text: String(stimulus.recording_count) }),
      h("dt", { text: "Size" }), h("dd", { text: `${stimulus.width}×${stimulus.height} px` }),
    ),
    hasVersions ? h("p", {}, h("a", { href: href(`/stimuli/${stimulus.id}/compare`, { compare: "versions" }), text: "Compare versions" })) : null,
  );
}

function addStimulusForm(studyId) {
  const image = h("input", { name: "image", type: "file", accept: "image/*", required: true });
  const name = h("input", { name: "name", required: true, maxlength: "255" });
  const pageKey = h("input", { name: "page_key", required: true, maxlength: "255" });
  const version = h("input", { name: "version", required: true, maxlength: "64", value: "1" });
  const status = h("div", { class: "messages" });
  const button = h("button", { type: "submit", text: "Add stimulus" });
  image.addEventListener("change", () => {
    const file = image.files[0];
    if (!file) return;
    const stem = file.name.replace(/\.[^.]+$/, "");
    if (!name.value) name.value = stem;
    if (!pageKey.value) pageKey.value = stem;
  });
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "add-stimulus",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const form = new FormData();
          form.append("image", image.files[0]);
          form.append("name", name.value.trim());
          form.append("page_key", pageKey.value.trim());
          form.append("version", version.value.trim());
          const bar = progressBar("Uploading image");
          replace(status, bar);
          button.disabled = true;
          try {
            const created = await upload(`studies/${studyId}/stimuli`, form, (f) => bar.update(f));
            navigate(`/stimuli/${created.id}`);
          } catch (error) {
            replace(status, errorBox(error));
          } finally {
            button.disabled = false;
          }
        },
      },
    },
    h("h2", { id: "add-stimulus", text: "Add a stimulus" }),
    field("Image", image, "PNG, JPEG, WebP, GIF or BMP."),
    field("Name", name),
    field("Page key", pageKey, "The same key for every layout version of a page."),
    field("Version", version),
    status,
    button,
  );
}
