# Plugboard: `make` builds the plugins into assets/, `make test` runs every test.
# Every target first installs the Debian packages it needs when they are missing.

SWIFT ?= swift
# Plugboard's own builds fail on any Swift warning (Package.swift reads this); the example
# package's builds unset it, since it builds Plugboard as a dependency.
export PLUGBOARD_WARNINGS_AS_ERRORS := 1
EXAMPLE_SWIFT := env -u PLUGBOARD_WARNINGS_AS_ERRORS $(SWIFT)
ASSETS ?= assets
FUZZ_SECONDS ?= 60

# Release builds link the Swift runtime (and the Foundation they import) into each executable: a
# plugin then starts and stops about 20% faster (no shared libraries to load and bind) and runs on a
# machine with no Swift installed. They link with the toolchain's lld, export no symbols (the static
# runtime asks for -export-dynamic, which put 39,000 symbols in each plugin's dynamic table for its
# start-up dladdr to search), and link position-dependent executables, as Go does: a PIE's pointers in
# its data need 90,000 relocations at every start, each page of them copied on write: more than a
# quarter of a plugin's page faults, and start to ready 1.2x slower (the shared libraries, heap and
# stacks are still placed at random). Every module reaches concrete generic type metadata through its
# accessor functions instead of by mangled name: the runtime then neither demangles nor searches
# every protocol conformance in the binary for each such type on its first use, which was a third of
# a plugin's CPU from start to its first answered call (start to ready 0.87x). Every module is
# compiled with cross-module optimization, so that the generic code of grpc-swift, swift-nio and
# the standard library is specialized for the concrete types our code calls it with, instead of
# asking the runtime for generic type metadata on every call (unary p50 0.92x, calls/s 1.07x
# sequential and 1.17x with 16 callers, pipelined 1.02-1.06x; binaries 2-6% larger, peak RSS
# 5-8% higher). Public functions are not marked as used (-internalize-at-link: nothing outside an
# executable calls into it), so the linker drops those nothing calls (binaries 11% smaller). The
# functions a host and a plugin run are placed first, together ($(SYMBOL_ORDER), which
# `make symbol-order` records): a process maps its code a window of pages at a time, and that took
# peak RSS down by 3 to 5 MiB per process. The code starts at one fixed address (-Ttext), and the
# functions that a host and its plugins share are listed first (`make align-symbols`), so they sit
# at one address in each: a CPU's branch predictions, kept by address across a switch between
# processes, then serve both (one CPU: 23% less CPU per call in host and plugin). Swift's
# run-time exclusivity checks are off (-enforce-exclusivity=unchecked, as the standard library's
# core is compiled, and the Hummingbird and Vapor entries of a public web-framework benchmark): in
# alternating pairs, unary p50 0.92-0.93x, calls/s 1.09x sequential and 1.14-1.18x with 16
# callers, ping-pong 1.22x, start and stop unchanged. Debug builds, which `make test` runs the
# suite in (all but the demo's test), keep them, so a conflicting access on a tested path still
# traps there. Every release build uses these flags, and Tests/Benchmarks/side-by-side.py reads
# them from here: changing them recompiles; changing $(SYMBOL_ORDER) alone does not relink (touch
# a source file, or `make align-symbols`, which relinks).
SYMBOL_ORDER := Tests/Benchmarks/symbol-order.txt
RELEASE := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker --no-export-dynamic -Xlinker --no-pie \
	-Xlinker -Ttext=0x400000 \
	-Xswiftc -cross-module-optimization \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors \
	-Xswiftc -Xfrontend -Xswiftc -internalize-at-link -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xlinker --symbol-ordering-file=$(CURDIR)/$(SYMBOL_ORDER) -Xlinker --no-warn-symbol-ordering \
	-Xswiftc -enforce-exclusivity=unchecked

# Plugin executables (products in Package.swift) that `make` builds into $(ASSETS).
PLUGINS := ratelimit-plugin stream-plugin

BUILD_PACKAGES := libprotobuf-c-dev pkg-config
PROTO_PACKAGES := protobuf-c-compiler protobuf-compiler libprotoc-dev
GO_PACKAGES := golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev golang-goprotobuf-dev
TEST_PACKAGES := $(BUILD_PACKAGES) $(PROTO_PACKAGES) $(GO_PACKAGES) valgrind binutils git python3 python3-prometheus-client

# Installs the named Debian packages that are not installed yet (apt-get update once, first).
define install_packages
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
endef

.PHONY: all demo deps protos check-protos go-peers test lint format example leak-check fuzz fuzz-transport bench symbol-order align-symbols check-alignment clean-assets docs

# SwiftPM builds one --product per call.
all: deps
	@for p in plugboard $(PLUGINS); do $(SWIFT) build $(RELEASE) --product $$p || exit 1; done
	@mkdir -p $(ASSETS)
	@for p in $(PLUGINS); do cp "$$($(SWIFT) build $(RELEASE) --show-bin-path)/$$p" $(ASSETS)/ || exit 1; done
	@echo "plugins in $(ASSETS)/: $(PLUGINS); host: $$($(SWIFT) build $(RELEASE) --show-bin-path)/plugboard"

# The owner's demo: the host loads the plugins from assets/, runs rate-limit checks and a
# bidirectional stream.
demo: all
	"$$($(SWIFT) build $(RELEASE) --show-bin-path)/plugboard" demo --assets $(ASSETS)

deps:
	$(call install_packages,$(BUILD_PACKAGES))

# The package's command plugin, as any package that depends on Plugboard runs it (see
# Sources/GeneratePlugboardCode): Protos/plugboard-codegen.json lists the .proto sets and the targets
# they go to. It writes only changed files and removes only stale files it wrote itself.
GENERATE_CODE := $(SWIFT) package --allow-writing-to-package-directory generate-plugboard-code \
	--config Protos/plugboard-codegen.json

# Regenerates all protoc-c (C) and protoc-gen-plugboard (Swift) output from Protos/.
protos:
	$(call install_packages,$(BUILD_PACKAGES) $(PROTO_PACKAGES))
	$(GENERATE_CODE)

# Fails when the committed generated code (with each output folder's .plugboard-generated
# manifest) is not what `make protos` produces; the folders come from the config (--list-outputs).
check-protos: protos
	$(call install_packages,$(GO_PACKAGES))
	Tests/Interop/go/generate.sh --check
	@outputs="$$($(GENERATE_CODE) --list-outputs)" || exit 1; \
	if [ -n "$$(git status --porcelain -- $$outputs)" ]; then \
		git status --short -- $$outputs; \
		echo "generated code is stale: run 'make protos' and commit the result"; exit 1; \
	fi
	@echo "generated code is fresh"

# The Go peers on the real go-plugin (Debian's v1.0.1) for the interop tests and benchmarks.
go-peers:
	$(call install_packages,$(GO_PACKAGES))
	Tests/Interop/go/build.sh .build/go

test: lint check-protos go-peers all check-alignment
	$(call install_packages,$(TEST_PACKAGES))
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	"$$($(SWIFT) build --show-bin-path)/transport-fuzz"
	$(MAKE) leak-check
	$(MAKE) example

# swift-format (the toolchain's `swift format`) with .swift-format over every hand-written Swift
# file; the generated *.pb.swift and *.grpc.swift are the generator's. Any finding fails `make
# test`; `make format` rewrites the files (then check the README's examples: `make example`).
SWIFT_SOURCES = $(shell git ls-files '*.swift' | grep -v -E '\.(pb|grpc)\.swift$$')
lint:
	@$(SWIFT) format lint --strict --configuration .swift-format $(SWIFT_SOURCES)
	@echo "lint: swift format finds nothing in $(words $(SWIFT_SOURCES)) files"
format:
	$(SWIFT) format format -i --configuration .swift-format $(SWIFT_SOURCES)

# Tests/ExamplePackage, a package that depends on Plugboard by path, used as the README's "Use
# Plugboard in your package" says: it generates its own service set with the command plugin (and
# fails if the committed code is stale), builds a plugin and two hosts, runs its tests
# (PlugboardTesting), runs both hosts against the plugin, and has go-plugin's host load the plugin.
# First it checks that every Swift example in README.md is a verbatim part of a file it builds.
# It builds in its own .build folder, so its first build takes as long as Plugboard's.
EXAMPLE := Tests/ExamplePackage
example: go-peers
	$(call install_packages,$(BUILD_PACKAGES) $(PROTO_PACKAGES) python3)
	python3 $(EXAMPLE)/readme-check.py
	$(EXAMPLE_SWIFT) package --package-path $(EXAMPLE) --allow-writing-to-package-directory generate-plugboard-code
	@outputs="$$($(EXAMPLE_SWIFT) package --package-path $(EXAMPLE) --allow-writing-to-package-directory generate-plugboard-code --list-outputs)" || exit 1; \
	cd $(EXAMPLE) && if [ -n "$$(git status --porcelain -- $$outputs)" ]; then \
		git status --short -- $$outputs; \
		echo "the example's generated code is stale: commit what generate-plugboard-code wrote"; exit 1; \
	fi
	$(EXAMPLE_SWIFT) build --package-path $(EXAMPLE) --build-tests
	$(EXAMPLE_SWIFT) test --package-path $(EXAMPLE) --skip-build
	@bin="$$($(EXAMPLE_SWIFT) build --package-path $(EXAMPLE) --show-bin-path)"; set -e; \
	"$$bin/inventory-host" "$$bin/inventory-plugin" | tee .build/example-host.out; \
	grep -qx "unary: 3 apple left" .build/example-host.out; \
	grep -qx "stream: 7 pear left" .build/example-host.out; \
	grep -qx "callback: 12 plum left after the plugin reordered from the host" .build/example-host.out; \
	"$$bin/inventory-supervisor" "$$bin/inventory-plugin" | tee .build/example-supervisor.out; \
	grep -qx "supervised: 12 fig left, 0 restarts" .build/example-supervisor.out; \
	.build/go/echo-host -plugin "$$bin/inventory-plugin" -mode ping -cookie INVENTORY_PLUGIN=7d9f3c2a-inventory \
		2>.build/example-go-host.log | tee .build/example-go-host.out; \
	grep -q '"graceful":true' .build/example-go-host.out
	@echo "example package: generated, built, tested, loaded by its hosts and by go-plugin's"

# Encodes and decodes valid and malformed messages under valgrind; any definite or indirect leak
# fails. valgrind 3.19 cannot read the toolchain's DWARF 5, so it runs a copy without debug info.
leak-check:
	$(call install_packages,$(BUILD_PACKAGES) valgrind binutils)
	$(SWIFT) build --product protobuf-fuzz
	objcopy --strip-debug "$$($(SWIFT) build --show-bin-path)/protobuf-fuzz" .build/protobuf-fuzz.nodebug
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=3 .build/protobuf-fuzz.nodebug
	@echo "leak check: no leaks from encode/decode"

# Coverage-guided fuzzing of the decoder with libFuzzer, for FUZZ_SECONDS (crashes land in fuzz-corpus/).
fuzz:
	$(call install_packages,$(BUILD_PACKAGES))
	$(SWIFT) build --scratch-path .build-fuzz --product protobuf-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library
	@mkdir -p fuzz-corpus
	.build-fuzz/debug/protobuf-fuzz fuzz-corpus -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=fuzz-corpus/crash- -print_final_stats=1

# Coverage-guided fuzzing of the lean transport's connection handler (Tests/TransportFuzz) with
# libFuzzer, for FUZZ_SECONDS: random and mutated HTTP/2 frame sequences from either side, starting
# from the seeds the plain build writes. `make test` runs the plain build only (3000 generated
# inputs, a few seconds): this libFuzzer build compiles the dependency graph again in .build-fuzz
# with the sanitizers, which takes many minutes cold. Crashes land in fuzz-corpus-transport/.
fuzz-transport:
	$(call install_packages,$(BUILD_PACKAGES))
	$(SWIFT) build --product transport-fuzz
	@mkdir -p fuzz-corpus-transport
	"$$($(SWIFT) build --show-bin-path)/transport-fuzz" --write-seeds fuzz-corpus-transport
	$(SWIFT) build --scratch-path .build-fuzz --product transport-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library
	.build-fuzz/debug/transport-fuzz fuzz-corpus-transport -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-rss_limit_mb=2048 -artifact_prefix=fuzz-corpus-transport/crash- -print_final_stats=1

# Plugboard against go-plugin, side by side (Tests/Benchmarks/side-by-side.py): builds the Swift
# bench host and plugin, protobuf-bench and the Go peers in release, runs the four host/plugin
# pairs for BENCH_ROUNDS rounds (default 5) of BENCH_SECONDS per figure (default 2), then the same
# pairs with AutoMTLS for BENCH_TLS_ROUNDS rounds (default 3) in a second table, the four pairs on
# one CPU (taskset) for BENCH_ONE_CPU_ROUNDS rounds (default 3) in a third, then Swift -> Swift
# with the host's instrumentation off and into Prometheus for BENCH_METRICS_ROUNDS rounds (default
# 4) in a fourth, and writes Tests/Benchmarks/results/side-by-side.md and .json. Timings never fail it.
bench: deps
	$(call install_packages,$(GO_PACKAGES) binutils python3 util-linux)
	SWIFT="$(SWIFT)" python3 Tests/Benchmarks/side-by-side.py

# Records which functions the bench host and plugin run, under valgrind's callgrind, into
# $(SYMBOL_ORDER) (Tests/Benchmarks/symbol-order.py, with go-plugin's peers too; about 10 minutes),
# then aligns it. Stale entries are harmless: the linker skips names it no longer finds and places
# unlisted functions after the listed ones.
symbol-order: deps go-peers
	$(call install_packages,valgrind binutils python3)
	@for p in plugin-bench bench-echo-plugin; do $(SWIFT) build $(RELEASE) --product $$p || exit 1; done
	python3 Tests/Benchmarks/symbol-order.py "$$($(SWIFT) build $(RELEASE) --show-bin-path)" .build/go $(SYMBOL_ORDER)
	$(MAKE) align-symbols

# Puts the listed functions that the release host, plugins and bench pair all define first in
# $(SYMBOL_ORDER), so that they sit at one address in each (see symbol-order.py), relinking them
# until they do (one to three minutes). `make bench` reports how many are aligned.
align-symbols: deps
	$(call install_packages,binutils python3)
	python3 Tests/Benchmarks/symbol-order.py --align $(SYMBOL_ORDER) plugin-bench bench-echo-plugin plugboard \
		$(PLUGINS) -- $(SWIFT) build $(RELEASE)

# Fails when the release host and plugins no longer have the code they share at one address
# (fewer than 95% of the listed functions all three define): run `make align-symbols`.
check-alignment: all
	$(call install_packages,binutils python3)
	@bin="$$($(SWIFT) build $(RELEASE) --show-bin-path)"; python3 Tests/Benchmarks/symbol-order.py --check \
		$(SYMBOL_ORDER) "$$bin/plugboard" $(foreach p,$(PLUGINS),"$$bin/$(p)") --at-least 95

clean-assets:
	rm -rf $(ASSETS)

# DocC archives (swift-docc-plugin) for the library products' modules, into
# .build/plugins/Swift-DocC/outputs/; any DocC warning fails it.
DOC_TARGETS := PlugboardCore PlugboardBroker PlugboardObservability PlugboardPlugin PlugboardHost PlugboardConfig PlugboardTesting ProtobufC RateLimitServiceSet StreamServiceSet
docs: deps
	$(SWIFT) package generate-documentation $(addprefix --target ,$(DOC_TARGETS)) --warnings-as-errors
