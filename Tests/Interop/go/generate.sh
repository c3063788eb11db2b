#!/usr/bin/env bash
# Regenerates the Go code for the echo test service with Debian's protoc-gen-go (v1.3.x, package
# golang-github-golang-protobuf-1-3-dev), whose `plugins=grpc` option also writes the gRPC stubs.
# The output lands where echo.proto's go_package ("plugboard/test/v1") puts it in GOPATH mode:
# src/plugboard/test/v1/echo.pb.go.
#
# Usage: Tests/Interop/go/generate.sh [--check]
#   --check  regenerate into a scratch directory and fail if the committed file differs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
protos=$(cd "$here/../../../Protos" && pwd)
proto=plugboard/test/v1/echo.proto
target="$here/src/plugboard/test/v1/echo.pb.go"

for tool in protoc protoc-gen-go; do
  command -v "$tool" >/dev/null || {
    echo "generate.sh: $tool not found; install the Debian packages protobuf-compiler and golang-goprotobuf-dev" >&2
    exit 1
  }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
protoc -I"$protos" --go_out=plugins=grpc:"$scratch" "$proto"
generated="$scratch/plugboard/test/v1/echo.pb.go"

if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$target" "$generated"; then
    echo "generate.sh: $target is stale; run Tests/Interop/go/generate.sh" >&2
    exit 1
  fi
  exit 0
fi

mkdir -p "$(dirname "$target")"
cp "$generated" "$target"
