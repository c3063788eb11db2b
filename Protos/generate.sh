#!/usr/bin/env bash
# Regenerates every protoc-c (C) and protoc-gen-plugboard (Swift) output from the .proto files.
# Usage: Protos/generate.sh PROTOC_GEN_PLUGBOARD   (run from the package root; `make protos` does this)
#        Protos/generate.sh --outputs               (lists the folders it writes, for `make check-protos`)
set -euo pipefail

plugin=${1:?usage: Protos/generate.sh PATH_TO_protoc-gen-plugboard | --outputs}
system_include=/usr/include

# One line per proto package: its files, the C target that holds protoc-c output, and the Swift
# target that holds the generated Swift ("-" for C only). Files are relative to Protos/ or, for
# google/*, to the system include directory (libprotoc-dev, protobuf-compiler).
sets=(
  "google/protobuf/descriptor.proto google/protobuf/empty.proto|Sources/CGoogleProtobuf|-"
  "google/protobuf/empty.proto|-|Sources/GoPluginProtos"
  "google/protobuf/compiler/plugin.proto|Sources/CGoogleProtobufCompiler|-"
  "grpc/health/v1/health.proto|Sources/CGrpcHealthV1|Sources/GoPluginProtos"
  "plugin/grpc_controller.proto plugin/grpc_broker.proto plugin/grpc_stdio.proto|Sources/CPlugin|Sources/GoPluginProtos"
  "ratelimit/v1/ratelimit.proto|Sources/CRatelimitV1|Sources/RateLimitServiceSet"
  "stream/v1/stream.proto|Sources/CStreamV1|Sources/StreamServiceSet"
  "plugboard/test/v1/shared.proto plugboard/test/v1/kitchen_sink.proto plugboard/test/v1/legacy.proto plugboard/test/v1/echo.proto|Tests/Generated/CPlugboardTestV1|Tests/Generated/PlugboardTestV1"
)

if [ "$plugin" = "--outputs" ]; then
  for set in "${sets[@]}"; do
    IFS='|' read -r _ c_dir swift_dir <<< "$set"
    for dir in "$c_dir" "$swift_dir"; do [ "$dir" != "-" ] && echo "$dir"; done
  done | sort -u
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for set in "${sets[@]}"; do
  IFS='|' read -r files c_dir swift_dir <<< "$set"
  read -r -a protos <<< "$files"
  if [ "$c_dir" != "-" ]; then
    rm -rf "$scratch/c" && mkdir -p "$scratch/c"
    protoc-c --c_out="$scratch/c" -IProtos -I"$system_include" "${protos[@]}"
    mkdir -p "$c_dir" && rm -rf "$c_dir/include" && find "$c_dir" -name '*.pb-c.c' -delete
    (cd "$scratch/c" && find . -name '*.pb-c.h') | while read -r header; do
      mkdir -p "$c_dir/include/$(dirname "$header")"
      cp "$scratch/c/$header" "$c_dir/include/$header"
    done
    (cd "$scratch/c" && find . -name '*.pb-c.c') | while read -r source; do
      mkdir -p "$c_dir/$(dirname "$source")"
      cp "$scratch/c/$source" "$c_dir/$source"
    done
  fi
  if [ "$swift_dir" != "-" ]; then
    mkdir -p "$swift_dir"
    for proto in "${protos[@]}"; do
      rm -f "$swift_dir/$(basename "$proto" .proto).pb.swift" "$swift_dir/$(basename "$proto" .proto).grpc.swift"
    done
    protoc --plugin=protoc-gen-plugboard="$plugin" --plugboard_out="$swift_dir" \
      -IProtos -I"$system_include" "${protos[@]}"
  fi
done
