#!/usr/bin/env bash
# Publishes the Producer and the Consumer as Native AOT executables, the form the Docker images and the benchmark run:
#   scripts/publish-native.sh [OUT]     ->  OUT/Producer/Producer and OUT/Consumer/Consumer (default OUT: artifacts/native)
# Each sits beside its appsettings.json and needs no .NET runtime. Installs clang with apt when it is missing (the
# AOT compiler links with it). The builds go to their own intermediate folders, so the `dotnet build` output that the
# tests and `dotnet run` use is left as it is.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$(realpath -m "${1:-artifacts/native}")

if ! command -v clang >/dev/null; then
  echo "clang is not installed; installing it with apt (the Native AOT compiler links with it)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends clang zlib1g-dev >/dev/null
fi

for service in Producer Consumer; do
  dotnet publish "src/$service/$service.csproj" -c Release -p:Native=true \
    --artifacts-path "$PWD/artifacts/native-build" \
    -o "$out/$service" -v q -nologo
done
echo "native executables in $out/Producer and $out/Consumer"
