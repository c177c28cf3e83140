#!/bin/sh
# Rebuild plotly-explorer-<version>.min.js from the pinned plotly.js and esbuild (package-lock.json).
# Needs Node.js and npm; the app itself does not (the built file is committed). See README.md.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
version=$(node -p "require('plotly.js/package.json').version")
rm -f plotly-explorer-*.min.js
# The same settings as plotly.js's own esbuild-config.js; CSS imports (MapLibre's, never reached
# without its map traces) are left out.
./node_modules/.bin/esbuild index.js --bundle --minify --format=iife --global-name=Plotly \
  --target=es2016 --define:global=window --define:define.amd=false \
  --define:process.env.NODE_DEBUG=false --loader:.css=empty --legal-comments=eof \
  "--banner:js=/** plotly.js v$version, custom bundle (scatter, bar, choropleth). Copyright 2012-2026, Plotly, Inc. Licensed under the MIT license: https://github.com/plotly/plotly.js/blob/master/LICENSE */" \
  --outfile="plotly-explorer-$version.min.js"
rm -rf node_modules
echo "built plotly-explorer-$version.min.js"
