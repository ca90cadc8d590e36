#!/usr/bin/env bash
# Rebuilds templates/static/govuk-frontend.min.{css,js} from the govuk-frontend npm package.
# The stylesheet is compiled with this service's own typeface settings: the GOV.UK typeface
# (GDS Transport) and crown are reserved for government services, so no font files are vendored.
# Usage: templates/vendor/refresh-govuk-frontend.sh [VERSION]
set -euo pipefail
version="${1:-6.6.0}"
here="$(cd "$(dirname "$0")" && pwd)"
static="$here/../static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "govuk-frontend@$version" sass@1 >/dev/null
cp "$here/service.scss" ./service.scss
npx sass --no-source-map --style=compressed --quiet-deps --silence-deprecation=import \
  --load-path=node_modules service.scss "$static/govuk-frontend.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$static/govuk-frontend.min.js"
cp node_modules/govuk-frontend/LICENSE* "$static/govuk-frontend.LICENSE.txt" 2>/dev/null || true
echo "govuk-frontend $version" > "$static/govuk-frontend.VERSION"
echo "refreshed govuk-frontend $version into $static"
