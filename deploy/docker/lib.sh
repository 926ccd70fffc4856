# Helpers for build-images.sh (sourced). POSIX sh.
DOCKER=${DOCKER:-docker}

log() { echo "build-images: $*" >&2; }

image_exists() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

# The CLI that builds with BuildKit (--secret): Debian's 20.10 CLI does with DOCKER_BUILDKIT=1;
# a newer CLI without the buildx plugin does not, so prefer one that lists --secret.
pick_build_docker() {
    for cli in "$DOCKER" /usr/bin/docker; do
        if DOCKER_BUILDKIT=1 "$cli" build --help 2>/dev/null | grep -q -- '--secret'; then
            echo "$cli"; return 0
        fi
    done
    log "no docker CLI here builds with BuildKit (--secret): install the buildx plugin"; return 1
}
BUILD_DOCKER=${BUILD_DOCKER:-$(pick_build_docker)}

default_ca_bundle() {
    for f in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
        if [ -n "$f" ] && [ -f "$f" ]; then echo "$f"; return 0; fi
    done
    log "no CA bundle found: set PUMA_CA_BUNDLE"; return 1
}

# pullable_or_built OFFICIAL LOCAL BUILDER: the official image if present or pullable, else LOCAL
# (built by BUILDER once, then reused).
pullable_or_built() {
    if image_exists "$1" || $DOCKER pull -q "$1" >/dev/null 2>&1; then echo "$1"; return 0; fi
    if ! image_exists "$2"; then
        log "$1 cannot be pulled: building $2 from Debian's packages"
        "$3" "$2"
    fi
    echo "$2"
}

ensure_mmdebstrap() {
    command -v mmdebstrap >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then log "mmdebstrap missing: sudo apt-get install mmdebstrap"; return 1; fi
    log "installing mmdebstrap"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >&2
}

# debian_rootfs TAR PACKAGES [HOOK...]: a minimal Debian bookworm root file system as a tarball.
debian_rootfs() {
    tar=$1; packages=$2; shift 2
    ensure_mmdebstrap
    mmdebstrap --quiet --variant=minbase --include="$packages" \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' "$@" bookworm "$tar" >&2
}

build_debian_base() {
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    debian_rootfs "$tmp/base.tar" python3,python3-venv,ca-certificates
    $DOCKER import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$tmp/base.tar" "$1" >/dev/null
    rm -rf "$tmp"; trap - EXIT
    log "built $1"
}

build_debian_postgres() {
    # The root file system once per machine; the image on top of it (entrypoint) on every run, cached.
    if ! image_exists puma-postgres-rootfs:15; then
        tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
        # Debian's package creates a cluster "main" on install; the entrypoint makes its own.
        debian_rootfs "$tmp/pg.tar" postgresql-15 \
            --customize-hook='rm -rf "$1"/var/lib/postgresql/15 "$1"/etc/postgresql/15'
        $DOCKER import "$tmp/pg.tar" puma-postgres-rootfs:15 >/dev/null
        rm -rf "$tmp"; trap - EXIT
    fi
    DOCKER_BUILDKIT=1 $BUILD_DOCKER build -q -t "$1" -f "$here/postgres.Dockerfile" "$here" >/dev/null
}
