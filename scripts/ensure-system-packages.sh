#!/bin/sh
# System packages the test suite needs, installed by the project itself (Debian):
#   chromium        - the browser the Playwright end-to-end tests drive (never a downloaded one)
#   npm             - installs axe-core (tests/a11y/), the accessibility checker those tests inject
#   docker-compose  - validates docker-compose.yml offline (`docker-compose config`) and runs it
#   docker.io       - the Docker engine the container tests run (`make test` starts it: scripts/dockerd.sh)
#   mmdebstrap      - builds the images' offline base from Debian's packages (deploy/docker/build-images.sh)
# Runs `apt-get update` once, and only when something is missing.
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"

if [ -z "$missing" ]; then
    echo "ensure-system-packages: chromium, npm, docker-compose, docker.io and mmdebstrap are installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-packages: missing:$missing; install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "ensure-system-packages: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
