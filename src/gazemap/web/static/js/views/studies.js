// The signed-in user's studies; researchers and admins can create one.
import { getJSON, send } from "../api.js";
import { errorBox, field, h, replace } from "../dom.js";
import { href, navigate } from "../router.js";

export async function studiesView({ main, user, stillCurrent, setCrumbs }) {
  setCrumbs([["Studies", null]]);
  const page = await getJSON("studies", { query: { limit: 200 } });
  if (!stillCurrent()) return;
  const list = page.items.length
    ? h(
        "ul",
        { class: "cards", "aria-label": "Studies" },
        page.items.map((study) =>
          h(
            "li",
            { class: "card study" },
            h("h2", {}, h("a", { href: href(`/studies/${study.id}`), text: study.name })),
            study.description ? h("p", { text: study.description }) : null,
            h("p", { class: "muted", text: `Your role: ${study.role ?? user.role}` }),
          ),
        ),
      )
    : h("p", { class: "muted", text: "No studies are shared with you yet." });
  replace(
    main,
    h("h1", { text: "Studies" }),
    list,
    user.role === "viewer" ? null : createStudyForm(),
  );
}

function createStudyForm() {
  const name = h("input", { name: "name", required: true, maxlength: "200" });
  const description = h("textarea", { name: "description", rows: "2", maxlength: "10000" });
  const message = h("div", { class: "messages" });
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "new-study",
      on: {
        submit: async (event) => {
          event.preventDefault();
          try {
            const response = await send("studies", {
              method: "POST",
              json: { name: name.value.trim(), description: description.value },
            });
            const study = await response.json();
            navigate(`/studies/${study.id}`);
          } catch (error) {
            replace(message, errorBox(error));
          }
        },
      },
    },
    h("h2", { id: "new-study", text: "New study" }),
    field("Name", name),
    field("Description", description),
    message,
    h("button", { type: "submit", text: "Create study" }),
  );
}
