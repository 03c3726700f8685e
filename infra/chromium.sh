#!/usr/bin/env bash
# Debian's Chromium, ChromeDriver and a CJK font for the dashboard's browser test (idempotent; prints two paths).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
    echo "chromium.sh: installing chromium and chromium-driver from Debian's packages" >&2
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >&2
    else
        sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >&2
    fi
fi
command -v chromium
command -v chromedriver
