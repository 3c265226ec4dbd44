#!/usr/bin/env bash
# Install the map's JavaScript and CSS from the npm registry into the folder Streamlit serves
# (static/, at /app/static/), so that the map works with no internet. Versions are pinned here;
# `npm pack` checks each tarball's integrity. Re-running with the same versions does nothing.
set -euo pipefail
dest=${1:-static}
packages=(leaflet@1.9.4 leaflet-draw@1.0.4 leaflet.sync@0.2.4 leaflet-snap@0.0.4
  leaflet-geometryutil@0.10.3 leaflet-side-by-side@2.2.0)
stamp="$dest/.assets"
[ "$(cat "$stamp" 2>/dev/null)" = "${packages[*]}" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in "${packages[@]}"; do
  (cd "$tmp" && npm pack --silent "$p" >/dev/null 2>&1)
done
for t in "$tmp"/*.tgz; do
  name=$(basename "$t" .tgz)
  mkdir -p "$tmp/$name" && tar -xzf "$t" -C "$tmp/$name" --strip-components=1
done
mkdir -p "$dest/images"
cp "$tmp"/leaflet-1.*/dist/leaflet.js "$tmp"/leaflet-1.*/dist/leaflet.css "$dest/"
cp "$tmp"/leaflet-1.*/dist/images/* "$dest/images/"
cp "$tmp"/leaflet-draw-*/dist/leaflet.draw.js "$tmp"/leaflet-draw-*/dist/leaflet.draw.css "$dest/"
cp "$tmp"/leaflet-draw-*/dist/images/* "$dest/images/"
cp "$tmp"/leaflet.sync-*/L.Map.Sync.js "$dest/"
cp "$tmp"/leaflet-snap-*/leaflet.snap.js "$dest/"
cp "$tmp"/leaflet-geometryutil-*/src/leaflet.geometryutil.js "$dest/"
# leaflet-side-by-side ships CommonJS source only: use the page's Leaflet, no bundler
side="$tmp"/leaflet-side-by-side-*
{
  echo "(function (module) {"
  tr -d '\r' < $side/index.js |
    sed -e "s/^var L = require('leaflet')$/var L = window.L/" -e "/^require('\.\/.*\.css')$/d"
  echo "})({});"
} > "$dest/leaflet-side-by-side.js"
cp $side/layout.css "$dest/leaflet-side-by-side.css"
cp $side/range.css "$dest/leaflet-side-by-side-range.css"
cp $side/range-icon.png "$dest/"
echo "${packages[*]}" > "$stamp"
echo "map assets installed in $dest/"
