#!/usr/bin/env bash
# install-web-libs.sh — the npm side of the web pages: ECharts for the
# dashboard (web/dashboard.html), installed from web/package-lock.json
# (npm ci), and only when missing or out of date, so a second run is silent
# and fast. node and npm are Debian's (scripts/install-deps.sh build).
# The server serves one file of it: /vendor/echarts.min.js →
# web/node_modules/echarts/dist/echarts.min.js (src/server/static.c).
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.kefu-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" &&
   [ -f node_modules/echarts/dist/echarts.min.js ]; then
    exit 0
fi
echo "install-web-libs: npm ci in web"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
