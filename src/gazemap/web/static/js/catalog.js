// The static catalogue of kernels, colormaps and formats (see gazemap/web/catalog.py).
let loaded = null;

export function loadCatalog() {
  if (!loaded) {
    loaded = fetch("static/catalog.json").then((response) => {
      if (!response.ok) throw new Error(`static/catalog.json: HTTP ${response.status}`);
      return response.json();
    });
  }
  return loaded;
}
