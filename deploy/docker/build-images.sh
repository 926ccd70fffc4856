#!/bin/sh
# Builds the images the compose deployment and the Docker tests run, here or anywhere:
#   puma-chatbot:latest   the app (every PUMA service, the front Envoy, the migration, the legacy
#                         server and a DynamoDB-compatible endpoint: moto server)
#   puma-postgres:15      PostgreSQL 15 (only when postgres:15 cannot be pulled)
# The app's base is the official python:3.11-slim when it can be pulled; otherwise an equivalent
# made offline from Debian's packages (mmdebstrap + docker import, ~20 s, once per machine).
# Every step is cached: a second run takes seconds, a code change rebuilds only the code layer.
#
#   sh deploy/docker/build-images.sh            # then: docker-compose up -d (or docker compose up -d)
#
# Environment: PUMA_APP_IMAGE (the app image's tag, default puma-chatbot:latest: the tests give one
# of their own, derived from the sources it packages, so two checkouts never rebuild each other's),
# PUMA_BASE_IMAGE (skip the base step and build FROM this image),
# PUMA_POSTGRES_IMAGE (the tag compose runs, default puma-postgres:15), PUMA_CA_BUNDLE (the CA
# bundle pip inside the build trusts; mounted as a BuildKit secret, never stored in a layer).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

started=$(date +%s)
base=${PUMA_BASE_IMAGE:-}
if [ -z "$base" ]; then
    base=$(pullable_or_built python:3.11-slim puma-base:bookworm build_debian_base)
fi
pg_image=${PUMA_POSTGRES_IMAGE:-puma-postgres:15}
if image_exists postgres:15 || $DOCKER pull -q postgres:15 >/dev/null 2>&1; then
    $DOCKER tag postgres:15 "$pg_image"
else
    build_debian_postgres "$pg_image"
fi
app_image=${PUMA_APP_IMAGE:-puma-chatbot:latest}
log "building $app_image FROM $base (dependencies are one cached layer, the code another)"
ca=${PUMA_CA_BUNDLE:-$(default_ca_bundle)}
DOCKER_BUILDKIT=1 $BUILD_DOCKER build --network host --secret "id=ca,src=$ca" \
    --build-arg "BASE_IMAGE=$base" -t "$app_image" "$root" >&2
log "images ready in $(( $(date +%s) - started )) s: $app_image, $pg_image"
