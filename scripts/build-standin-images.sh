#!/usr/bin/env bash
# Builds the local stand-ins for the images that cannot be pulled on a machine without registry access (CI here), and
# caches them: each image is labelled with the hash of what it is made from (its recipe under deploy/standins/, the
# base's hash, the host's SDK version and certificates), and a second run that finds every label current takes seconds.
#   scripts/build-standin-images.sh [--print-env]
# Starts a Docker engine when none answers (scripts/docker-engine.sh start). --print-env prints, as NAME=value lines,
# the build arguments and image names that docker-compose.standins.yml and the tests take.
#
#   streaming-standin/debian:bookworm            debootstrap --variant=minbase bookworm, imported (the base of the rest)
#   streaming-standin/dotnet-sdk:10.0            for mcr.microsoft.com/dotnet/sdk: the host's /usr/share/dotnet
#   streaming-standin/dotnet-runtime-deps:10.0   for mcr.microsoft.com/dotnet/runtime-deps: user app, uid 1654, APP_UID
#   streaming-standin/rabbitmq:3.10-management   for rabbitmq:*-management: Debian bookworm's rabbitmq-server (3.10.8)
#   streaming-standin/rabbitmq:4.0-management    the same from Debian trixie (4.0.5, Erlang 27)
#   streaming-standin/curl:latest                for curlimages/curl
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly recipes=deploy/standins
readonly label=org.streaming.standin.hash
readonly base=streaming-standin/debian:bookworm
readonly nice_cmd=(nice -n 10)

print_env=false
case "${1:-}" in
    "") ;;
    --print-env) print_env=true ;;
    *) echo "usage: scripts/build-standin-images.sh [--print-env]" >&2; exit 2 ;;
esac

log() { printf '==> build-standin-images: %s\n' "$*" >&2; }

hash_of() { sha256sum | cut -c1-16; }

current_hash() { docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true; }

scripts/docker-engine.sh start

started=$SECONDS
work=$(mktemp -d /tmp/standins.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- the Debian base --------------------------------------------------------------------------------------------------
base_hash=$(printf 'debootstrap --variant=minbase bookworm http://deb.debian.org/debian v1\n' | hash_of)
if [[ $(current_hash "$base") == "$base_hash" ]]; then
    log "$base is current ($base_hash)"
else
    command -v debootstrap >/dev/null || {
        log "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    log "debootstrap bookworm (about a minute)"
    t=$SECONDS
    "${nice_cmd[@]}" debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
    printf 'APT::Install-Recommends "false";\n' > "$work/rootfs/etc/apt/apt.conf.d/90standin"
    tar -C "$work/rootfs" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        --change "LABEL $label=$base_hash" - "$base" >/dev/null
    rm -rf "$work/rootfs"
    log "$base built in $((SECONDS - t)) s"
fi

# build NAME RECIPE_DIR EXTRA_HASH_INPUT CONTEXT_DIR [docker build args...]
build() {
    local name=$1 recipe=$2 extra=$3 context=$4
    shift 4
    local hash
    hash=$( { echo "$base_hash"; echo "$extra"; echo "$*"; cat "$recipe"/*; } | hash_of)
    if [[ $(current_hash "$name") == "$hash" ]]; then
        log "$name is current ($hash)"
        return 0
    fi
    log "building $name"
    local t=$SECONDS
    "${nice_cmd[@]}" docker build -q --build-arg "BASE_IMAGE=$base" --label "$label=$hash" -t "$name" \
        -f "$recipe/Dockerfile" "$@" "$context" >/dev/null
    log "$name built in $((SECONDS - t)) s"
}

build streaming-standin/dotnet-runtime-deps:10.0 "$recipes/runtime-deps" "" "$recipes/runtime-deps"
build streaming-standin/curl:latest "$recipes/curl" "" "$recipes/curl"
build streaming-standin/rabbitmq:3.10-management "$recipes/rabbitmq" "" "$recipes/rabbitmq" --build-arg SUITE=bookworm
build streaming-standin/rabbitmq:4.0-management "$recipes/rabbitmq" "" "$recipes/rabbitmq" --build-arg SUITE=trixie

# The SDK: the host's own, so its version and certificate store are part of the hash.
sdk_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
sdk_extra="$(dotnet --version) $(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -c1-16)"
sdk_hash_probe=$( { echo "$base_hash"; echo "$sdk_extra"; echo ""; cat "$recipes/sdk"/*; } | hash_of)
if [[ $(current_hash streaming-standin/dotnet-sdk:10.0) == "$sdk_hash_probe" ]]; then
    log "streaming-standin/dotnet-sdk:10.0 is current ($sdk_hash_probe)"
else
    mkdir -p "$work/sdk"
    cp "$recipes/sdk/Dockerfile" "$work/sdk/"
    # Hard links when the SDK is on the same file system (no 600 MB copy), else a copy.
    cp -al "$sdk_root" "$work/sdk/dotnet" 2>/dev/null || cp -a "$sdk_root" "$work/sdk/dotnet"
    cp -rL /etc/ssl/certs "$work/sdk/certs"
    build streaming-standin/dotnet-sdk:10.0 "$recipes/sdk" "$sdk_extra" "$work/sdk"
fi

# The versions the stand-ins carry, checked: the 4.0 image must be the 4.0 line the docs name.
rabbitmq4=$(docker run --rm --entrypoint dpkg-query streaming-standin/rabbitmq:4.0-management -W -f '${Version}' rabbitmq-server)
[[ $rabbitmq4 == 4.0.* ]] || { log "Debian trixie's rabbitmq-server is $rabbitmq4, not 4.0.x"; exit 1; }
log "done in $((SECONDS - started)) s (rabbitmq 4 stand-in: $rabbitmq4)"

if [[ $print_env == true ]]; then
    cat <<ENV
SDK_IMAGE=streaming-standin/dotnet-sdk:10.0
RUNTIME_IMAGE=streaming-standin/dotnet-runtime-deps:10.0
RABBITMQ_IMAGE=streaming-standin/rabbitmq:4.0-management
RABBITMQ_3_IMAGE=streaming-standin/rabbitmq:3.10-management
CURL_IMAGE=streaming-standin/curl:latest
ENV
fi
