#!/usr/bin/env bash
# Builds the Go interop peers, echo-plugin and echo-host, against Debian's go-plugin v1.0.1 and
# grpc-go 1.33, offline, in GOPATH mode (no modules, no network).
#
# Usage: Tests/Interop/go/build.sh OUTDIR
#   Writes OUTDIR/echo-plugin and OUTDIR/echo-host; the Go build cache lives in OUTDIR/gocache,
#   so a second run with nothing changed takes about a second.
set -euo pipefail

out=${1:?usage: Tests/Interop/go/build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
gocode=/usr/share/gocode

if ! command -v go >/dev/null; then
  echo "build.sh: the go command is missing; install the Debian package golang-go" >&2
  exit 1
fi
for pkg in github.com/hashicorp/go-plugin:golang-github-hashicorp-go-plugin-dev \
           github.com/hashicorp/go-hclog:golang-github-hashicorp-go-hclog-dev \
           google.golang.org/grpc:golang-google-grpc-dev \
           github.com/golang/protobuf/proto:golang-github-golang-protobuf-1-3-dev; do
  if [ ! -d "$gocode/src/${pkg%%:*}" ]; then
    echo "build.sh: Go package ${pkg%%:*} not found under $gocode/src; install the Debian package ${pkg##*:}" \
      "(all of: golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-goprotobuf-dev)" >&2
    exit 1
  fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
export GO111MODULE=off GOPATH="$here:$gocode" GOCACHE="$out/gocache" GOPROXY=off GOFLAGS= CGO_ENABLED=0
for cmd in echo-plugin echo-host; do
  go build -o "$out/$cmd" "plugboardtest/cmd/$cmd"
done
