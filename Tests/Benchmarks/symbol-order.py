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

The file also puts a host's and a plugin's shared code at the same addresses. A CPU predicts
branches by the code's address and keeps what it learned across a switch between processes; a
host and a plugin on one CPU switch twice per call, and when the two run the same framework code
at different addresses, each switch leaves the other process's predictions wrong (one CPU: both
spent 25-30% more CPU per call than with their shared code at one address). So the listed
functions that every Plugboard host and plugin binary defines, once and at the same size (the
same object code), come first, in the recorded order, then the rest; the release link also
starts the code at one fixed address (the Makefile's -Ttext), so each of those functions sits at
the same address in every one of them (`--check` counts them; a code change that drops one from a
single binary moves the rest of that binary's list: `--align` mends it, in a few links).

Usage: symbol-order.py BIN_DIR GO_DIR OUTPUT   (BIN_DIR holds the release plugin-bench and
       bench-echo-plugin, GO_DIR the Go echo-host and echo-plugin of Tests/Interop/go/build.sh).
       Needs valgrind and binutils.
       symbol-order.py --align OUTPUT PRODUCT... -- BUILD...   puts the functions every PRODUCT
       shares first in OUTPUT, linking each with BUILD (`swift build` and the release flags) until
       they sit at one address in all (the Makefile names the products) (`make symbol-order` runs it after recording; `make align-symbols` alone,
       after code changes that add or drop functions in one binary and not another).
       symbol-order.py --check ORDER BINARY BINARY... [--at-least PERCENT]   prints how many of
       ORDER's functions the binaries all define, and at the same address, and exits 1 when fewer
       than PERCENT of them are (`make test` checks the release host and plugins with 95, `make
       bench` reports its pair).
Python 3 standard library only.
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


def function_sizes(binary):
    """Each function symbol the binary defines exactly once: its (address, size)."""
    listing = subprocess.run(["nm", "--defined-only", "-S", binary], capture_output=True, text=True, check=True)
    found, seen = {}, collections.Counter()
    for line in listing.stdout.splitlines():
        fields = line.split(maxsplit=3)
        if len(fields) == 4 and fields[2] in "tT":
            found[fields[3]] = (int(fields[0], 16), int(fields[1], 16))
            seen[fields[3]] += 1
    return {name: place for name, place in found.items() if seen[name] == 1}


def link(products, build, again):
    """Builds each product, linking it `again` with the current list (the list alone does not make
    SwiftPM relink, so the binary is removed first); returns each one's functions."""
    bin_dir = subprocess.run(build + ["--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip()
    tables = []
    for name in products:
        path = os.path.join(bin_dir, name)
        if again and os.path.exists(path):
            os.remove(path)
        done = subprocess.run(build + ["--product", name], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"symbol-order: {shlex.join(build)} --product {name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        tables.append(function_sizes(path))
    return tables


def misplaced(first, tables):
    """Functions of `first` that do not sit at one address in every binary, to move out of it: those
    a binary placed out of the list's order (their code shares a section with other functions, as in
    the toolchain's static libraries, or comes from another copy), else the first whose addresses
    differ and the one before it."""
    out_of_order = set()
    for table in tables:
        last = 0
        for name in first:
            if table[name][0] < last:
                out_of_order.add(name)
            last = max(last, table[name][0])
    if out_of_order:
        return out_of_order
    for index, name in enumerate(first):
        if len({table[name][0] for table in tables}) > 1:
            return set(first[max(index - 1, 0):index + 1])
    return set()


def align(path, products, build):
    """Puts the listed functions every product defines once, at one size, first, then drops from
    that group, link by link, those that still land at different addresses."""
    with open(path) as file:
        listed = file.read().split()
    tables = link(products, build, again=False)  # which functions each has, and their sizes: any order tells
    first = [name for name in listed
             if all(name in table for table in tables) and len({table[name][1] for table in tables}) == 1]
    for _ in range(20):
        placed = set(first)
        write(first + [name for name in listed if name not in placed], path)
        moved = misplaced(first, link(products, build, again=True))
        if not moved:
            print(f"symbol-order: {len(first)} of {len(listed)} listed functions at one address in "
                  f"{', '.join(products)}; wrote {path}")
            return
        first = [name for name in first if name not in moved]
    sys.exit("symbol-order: the shared functions still move after 20 links")


def same_address(order, binaries):
    """How many of `order`'s functions every binary defines, and how many of those at one address."""
    tables = [function_sizes(binary) for binary in binaries]
    shared = [name for name in order if all(name in table for table in tables)]
    return sum(len({table[name][0] for table in tables}) == 1 for name in shared), len(shared)


def check(arguments):
    """`--check ORDER BINARY BINARY... [--at-least PERCENT]`: prints how many of the listed functions
    the binaries all define sit at one address in each; exits 1 below PERCENT."""
    at_least = None
    if "--at-least" in arguments:
        index = arguments.index("--at-least")
        at_least = float(arguments[index + 1])
        arguments = arguments[:index] + arguments[index + 2:]
    order, binaries = arguments[0], arguments[1:]
    with open(order) as file:
        aligned, shared = same_address(file.read().split(), binaries)
    names = ", ".join(os.path.basename(binary) for binary in binaries)
    print(f"{aligned} of the {shared} listed functions that {names} all define are at one address")
    if at_least is not None and aligned < shared * at_least / 100:
        sys.exit(f"symbol-order: fewer than {at_least:g}% of them: a code change moved what a host and its plugins "
                 f"share apart. Run `make align-symbols` and commit {order}.")


def write(symbols, output):
    with open(output, "w") as file:
        file.write("".join(symbol + "\n" for symbol in symbols))


def main():
    if len(sys.argv) > 4 and sys.argv[1] == "--align" and "--" in sys.argv[3:]:
        separator = sys.argv.index("--", 3)
        align(sys.argv[2], sys.argv[3:separator], sys.argv[separator + 1:])
        return
    if len(sys.argv) >= 5 and sys.argv[1] == "--check":
        check(sys.argv[2:])
        return
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
    write(symbols, output)


if __name__ == "__main__":
    main()
