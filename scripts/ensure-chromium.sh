#!/bin/sh
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (tests/test_web_e2e.py).
# Playwright drives this system browser; it never downloads one of its own.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "ensure-chromium: $CHROMIUM is installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-chromium: $CHROMIUM is missing and this is not root, so it cannot be installed here." >&2
    echo "ensure-chromium: install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
    echo "ensure-chromium: the browser tests will be skipped until then." >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available; install Chromium by hand." >&2
    echo "ensure-chromium: the browser tests will be skipped until then." >&2
    exit 0
fi

echo "ensure-chromium: installing Debian's chromium (apt-get update, then apt-get install -y chromium)"
if ! apt-get update || ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; then
    echo "ensure-chromium: installing chromium failed (see apt-get's output above);" \
         "the browser tests will be skipped." >&2
    exit 0
fi
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
