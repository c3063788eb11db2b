#!/usr/bin/env bash
# Regenerates the Go code for the service sets the Go peers use, with Debian's protoc-gen-go
# (v1.3.x, package golang-github-golang-protobuf-1-3-dev), whose `plugins=grpc` option also writes
# the gRPC stubs: the echo test service (echo-plugin, echo-host's echo modes) and the ratelimit and
# stream sets (echo-host -mode services, against Plugboard's ratelimit-plugin and stream-plugin).
# Each file lands where its .proto's go_package puts it in GOPATH mode, under src/:
#   plugboard/test/v1/echo.proto           -> src/plugboard/test/v1/echo.pb.go
#   ratelimit/v1/ratelimit.proto           -> src/plugboard/ratelimit/v1/ratelimit.pb.go
#   stream/v1/stream.proto                 -> src/plugboard/stream/v1/stream.pb.go
#
# Usage: Tests/Interop/go/generate.sh [--check]
#   --check  regenerate into a scratch directory and fail if a committed file differs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
protos=$(cd "$here/../../../Protos" && pwd)
# Each entry: the .proto (relative to Protos/) and its output (relative to src/, from go_package).
outputs=(
  "plugboard/test/v1/echo.proto:plugboard/test/v1/echo.pb.go"
  "ratelimit/v1/ratelimit.proto:plugboard/ratelimit/v1/ratelimit.pb.go"
  "stream/v1/stream.proto:plugboard/stream/v1/stream.pb.go"
)

for tool in protoc protoc-gen-go; do
  command -v "$tool" >/dev/null || {
    echo "generate.sh: $tool not found; install the Debian packages protobuf-compiler and golang-goprotobuf-dev" >&2
    exit 1
  }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# One protoc run per file: the three sets share no imports, and separate runs keep each file's
# output independent of the others.
for entry in "${outputs[@]}"; do
  protoc -I"$protos" --go_out=plugins=grpc:"$scratch" "${entry%%:*}"
done

stale=0
for entry in "${outputs[@]}"; do
  generated="$scratch/${entry##*:}"
  target="$here/src/${entry##*:}"
  if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$target" "$generated"; then
      echo "generate.sh: $target is stale; run Tests/Interop/go/generate.sh" >&2
      stale=1
    fi
  else
    mkdir -p "$(dirname "$target")"
    cp "$generated" "$target"
  fi
done
exit "$stale"
