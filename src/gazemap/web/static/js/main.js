// Entry point: session bar, routing to views, and the toast for short messages.
import { getJSON, isSignedIn, onSessionChange, signOut } from "./api.js";
import { h, replace, errorBox, releaseObjectUrls } from "./dom.js";
import { href, navigate, onRoute } from "./router.js";
import { loginView } from "./views/login.js";
import { studiesView } from "./views/studies.js";
import { studyView } from "./views/study.js";
import { stimulusView } from "./views/stimulus.js";
import { compareView } from "./views/compare.js";

const main = document.getElementById("main");
const session = document.getElementById("session");
const crumbs = document.getElementById("crumbs");

/** The signed-in user ({id, username, role}), loaded once per session. */
let me = null;

export async function currentUser() {
  if (!me) me = await getJSON("auth/me");
  return me;
}

/** Show a short message that disappears by itself. */
export function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("shown"), 3000);
}

/** Set the breadcrumb trail: list of [label, hash or null]. */
export function setCrumbs(items) {
  // the tab's title names the view too (screen readers announce it on navigation)
  document.title = `${items[items.length - 1][0]} – gazemap`;
  replace(
    crumbs,
    h(
      "ol",
      {},
      items.map(([label, link], i) =>
        h("li", {}, link && i < items.length - 1 ? h("a", { href: link, text: label }) : h("span", { "aria-current": "page", text: label })),
      ),
    ),
  );
}

function renderSession() {
  if (!isSignedIn() || !me) {
    replace(session);
    return;
  }
  replace(
    session,
    h("span", { class: "who", text: `${me.username} (${me.role})` }),
    h("button", {
      type: "button",
      class: "link",
      text: "Sign out",
      on: {
        click: async () => {
          await signOut();
          navigate("/login");
        },
      },
    }),
  );
}

// Each navigation gets a token; a view that finishes loading after the user moved on
// must not paint over the newer view.
let generation = 0;

async function show(route) {
  generation += 1;
  const mine = generation;
  const stillCurrent = () => mine === generation;
  releaseObjectUrls();
  const [first, id, sub] = route.segments;
  if (!isSignedIn() && first !== "login") {
    navigate("/login", { next: route.path + (route.params.toString() ? `?${route.params}` : "") });
    return;
  }
  try {
    if (first === "login") {
      setCrumbs([["Sign in", null]]);
      replace(main, loginView(route));
      main.querySelector("[autofocus]")?.focus();
      return;
    }
    const user = await currentUser();
    renderSession();
    const context = { main, route, user, stillCurrent, setCrumbs, toast };
    if (!first || first === "studies") {
      if (id) await studyView({ ...context, studyId: Number(id) });
      else await studiesView(context);
    } else if (first === "stimuli" && id && sub === "compare") {
      await compareView({ ...context, stimulusId: Number(id) });
    } else if (first === "stimuli" && id) {
      await stimulusView({ ...context, stimulusId: Number(id) });
    } else {
      setCrumbs([["Not found", null]]);
      replace(main, h("p", {}, "No such page. ", h("a", { href: href("/studies"), text: "Back to your studies" })));
    }
  } catch (error) {
    if (!stillCurrent()) return;
    if (error && error.status === 401) {
      // the session ended (refresh refused): sign in again and come back here
      navigate("/login", { next: route.path + (route.params.toString() ? `?${route.params}` : "") });
      return;
    }
    replace(main, errorBox(error), h("p", {}, h("a", { href: href("/studies"), text: "Back to your studies" })));
  }
}

onSessionChange((signedIn) => {
  if (!signedIn) me = null;
  renderSession();
});

document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

onRoute((route) => {
  if (!route.segments.length) {
    navigate(isSignedIn() ? "/studies" : "/login");
    return;
  }
  show(route);
});
