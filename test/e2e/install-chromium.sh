#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with playwright-core (never a downloaded browser).
# Installs it when missing; run by `npm test` (pretest), so a fresh machine needs nothing by hand.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: run 'sudo apt-get update && sudo apt-get install -y chromium' once" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests (once per machine)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
