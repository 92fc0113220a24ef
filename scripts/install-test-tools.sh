#!/usr/bin/env bash
# install-test-tools.sh — the npm side of `make test`: playwright-core for the
# browser tests, installed from tests/browser/package-lock.json (npm ci), and
# only when missing or out of date. Chromium itself is Debian's
# (scripts/install-deps.sh test); nothing is downloaded by playwright.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser"
stamp=node_modules/.kefu-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
echo "install-test-tools: npm ci in tests/browser"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
