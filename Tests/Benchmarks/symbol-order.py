#!/usr/bin/env python3
"""`make symbol-order`: the function order the release link uses (Tests/Benchmarks/symbol-order.txt).

A process's code is resident a window at a time: each first touch of a page of the executable
maps the pages around it too. Functions a host or plugin runs are spread over 20-odd MiB of text
(the Swift runtime and standard library, NIO, GRPCCore, Plugboard), so a plugin's resident code
was close to half of all its text. lld's --symbol-ordering-file places the functions named in
the file first, in its order, so the code that runs sits together and fewer windows are touched.

This script records which functions run: it runs every workload of `make bench` (start, calls,
streams, broker, stop) for each pair the bench measures, with one side under valgrind's callgrind,
and writes the functions a Swift process ran in tiers, each tier the most instructions first:
  1. the bench host (plugin-bench) and the bench plugin (bench-echo-plugin), plaintext;
  2. what only a Go peer adds: the bench host against go-plugin's plugin, go-plugin's host against
     the bench plugin (a host talking to a Go plugin runs some 300 functions more);
  3. what only AutoMTLS adds (the bench pair with -automtls).
Tiers keep the plaintext pair's code together, as `make bench`'s main table measures it. Then,
last, the functions the file listed before that this recording did not see: some paths run in one
recording and not the next (a plugin's server unwinding while the plugin exits after a stop: 41
functions). A listed function that no longer exists is skipped; a function not listed is placed
after the listed ones: the file goes stale gracefully, and is recorded again by running this.

Usage: symbol-order.py BIN_DIR GO_DIR OUTPUT   (BIN_DIR holds the release plugin-bench and
bench-echo-plugin, GO_DIR the Go echo-host and echo-plugin of Tests/Interop/go/build.sh). Needs
valgrind and binutils. Python 3 standard library only.
"""

import collections
import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HOST, PLUGIN = "plugin-bench", "bench-echo-plugin"
GO_HOST, GO_PLUGIN = "echo-host", "echo-plugin"
# Short figures: callgrind runs code about 50 times slower; every path runs at least once. A host
# under callgrind takes 4 to 7 minutes here: a long timeout keeps its watchdog from firing.
BENCH_ARGUMENTS = ["-mode", "bench", "-seconds", "0.05", "-warmup", "0.05", "-starts", "2", "-timeout", "1800s"]


def callgrind(output_pattern):
    return ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=no", "--compress-strings=no",
            "--compress-pos=no", f"--callgrind-out-file={output_pattern}"]


def copy_without_debug_info(binary, folder):
    """valgrind 3.19 cannot read the toolchain's DWARF 5; the symbol table is all it needs."""
    copy = os.path.join(folder, os.path.basename(binary))
    subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    return copy


def record(host, plugin, go_host, go_plugin, folder):
    """Runs the bench once per pair and profiled side, two at a time; returns each tier's profiles."""
    def plugin_under_callgrind(run):
        wrapper = os.path.join(folder, f"{run}-plugin")
        with open(wrapper, "w") as script:
            pattern = os.path.join(folder, f"{run}.%p.out")
            script.write("#!/bin/sh\nexec " + " ".join(callgrind(pattern)) + f' "{plugin}" "$@"\n')
        os.chmod(wrapper, 0o755)
        return wrapper

    def host_under_callgrind(run):
        return callgrind(os.path.join(folder, f"{run}.%p.out")) + [host]

    # (tier, run name, command)
    runs = [(0, "plugin", [host, "-plugin", plugin_under_callgrind("plugin")]),
            (0, "host", host_under_callgrind("host") + ["-plugin", plugin]),
            (1, "go-host", [go_host, "-plugin", plugin_under_callgrind("go-host")]),
            (1, "go-plugin", host_under_callgrind("go-plugin") + ["-plugin", go_plugin]),
            (2, "tls-plugin", [host, "-plugin", plugin_under_callgrind("tls-plugin"), "-automtls"]),
            (2, "tls-host", host_under_callgrind("tls-host") + ["-plugin", plugin, "-automtls"])]

    def run(command):
        return subprocess.run(command + BENCH_ARGUMENTS, capture_output=True, text=True)

    commands = [command for _, _, command in runs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, commands))
    for command, done in zip(commands, results):
        if done.returncode != 0:
            sys.exit(f"symbol-order: {shlex.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    tiers = collections.defaultdict(list)
    for tier, name, _ in runs:
        tiers[tier] += glob.glob(os.path.join(folder, f"{name}.*.out"))
    return [tiers[tier] for tier in sorted(tiers)]


def instructions_by_function(profiles, binaries):
    """Self cost (instructions) of every function the profiles saw in `binaries`, by its symbol
    (a recursion level's "'2" suffix dropped)."""
    cost = collections.Counter()
    names = {os.path.basename(binary) for binary in binaries}
    for path in profiles:
        current, in_binary = None, False
        with open(path, errors="replace") as profile:
            for line in profile:
                if line.startswith("ob="):
                    in_binary = os.path.basename(line[3:].strip()) in names
                elif line.startswith("fn="):
                    current = re.sub(r"'[0-9]+$", "", line[3:].strip()) if in_binary else None
                    if current:
                        cost[current] += 0
                elif current and line[:1].isdigit():
                    fields = line.split()
                    if len(fields) >= 2:
                        cost[current] += int(fields[1])
    return cost


def function_symbols(binaries):
    """Every function symbol the binaries define: callgrind names an address without one by its hex."""
    symbols = set()
    for binary in binaries:
        listing = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
        for line in listing.stdout.splitlines():
            fields = line.split(maxsplit=2)
            if len(fields) == 3 and fields[1] in "tTwW":
                symbols.add(fields[2])
    return symbols


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    bin_dir, go_dir, output = sys.argv[1:]
    for tool in ["valgrind", "objcopy", "nm"]:
        if shutil.which(tool) is None:
            sys.exit(f"symbol-order: {tool} is not installed (make symbol-order installs it)")
    with tempfile.TemporaryDirectory(prefix="plugboard-symbol-order-") as folder:
        binaries = [copy_without_debug_info(os.path.join(bin_dir, name), folder) for name in (HOST, PLUGIN)]
        go_binaries = [os.path.join(go_dir, name) for name in (GO_HOST, GO_PLUGIN)]
        tiers = [instructions_by_function(profiles, binaries) for profiles in record(*binaries, *go_binaries, folder)]
        known = function_symbols(binaries)
    # The entry point first: it runs in every process, and the kernel maps 64 KiB of code around
    # each first touch, so one function left out keeps its unrelated neighbours resident. Then each
    # tier; a function is listed in the first tier that ran it.
    ordered = ["_start"]
    for cost in tiers:
        ordered += [name for name, _ in sorted(cost.items(), key=lambda item: (-item[1], item[0]))]
    if os.path.exists(output):
        with open(output) as file:
            ordered += file.read().split()
    symbols = list(dict.fromkeys(name for name in ordered if name in known))
    ran = set().union(*tiers) | {"_start"}
    print(f"symbol-order: {len(ran)} functions ran, {len(symbols)} listed (with those listed before that still "
          f"exist, less those without a symbol); wrote {output}")
    with open(output, "w") as file:
        file.write("".join(symbol + "\n" for symbol in symbols))


if __name__ == "__main__":
    main()
