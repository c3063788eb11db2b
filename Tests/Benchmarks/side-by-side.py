#!/usr/bin/env python3
"""`make bench`: Plugboard against go-plugin, side by side, in one run.

Builds the Swift bench host and plugin and the protobuf benchmark in release, and the Go peers on
Debian's go-plugin (Tests/Interop/go/build.sh); then runs the four host/plugin pairs one after the
other, round after round (Go→Go, Swift→Swift, Swift→Go, Go→Swift, then again from the next
pair, so that no pair always runs first), each host measuring
the same workloads over plugboard.test.v1.Echo (echo-host -mode bench and plugin-bench print the
same JSON keys), on the main connection and, for the brokered unary figures, over a connection
through go-plugin's broker (the plugin serves an Echo under a broker id, the host dials it). It reports the median of the rounds for every figure, the Plugboard/go-plugin
ratio (Swift→Swift over Go→Go), binary sizes and the protobuf-c encode/decode cost per message,
prints the table and writes it as markdown and JSON to Tests/Benchmarks/results/.

After each round, `cost-ladder` times the same echo round trip at each layer of a call (a raw
unix socket, bare swift-nio, own HTTP/2 ends paired with each other and with the transport's,
Plugboard's transport without GRPCCore, GRPCCore over it, GRPCCore's client with the server running
the method directly, GRPCCore in one process),
with CPU time and context switches per round trip, for the "cost ladder" table, whose top rungs
are the whole calls of the same rounds.

Then the same four pairs run again with AutoMTLS on both sides (echo-host and plugin-bench
-automtls: go-plugin's ClientConfig.AutoMTLS and PluginSpec.autoMTLS), for BENCH_TLS_ROUNDS rounds,
in a second table, "AutoMTLS", whose baseline is Go→Go with AutoMTLS: each other pair's ratio over it.

Then the four pairs again with each host and its plugin on one CPU (`taskset -c 0`; the plugin
inherits it), for BENCH_ONE_CPU_ROUNDS rounds, in the table "On one CPU": there no thread wakes
another on an idle CPU, so a sequential call's round trip is about the CPU both processes spend on
it, whatever waking costs on the machine (on a VM whose idle vCPUs halt, the largest part of both
stacks' unary times; the report's header says how idle CPUs wait), and the cross pairs show which
side, host or plugin, spends it. After each of those rounds `cost-ladder` runs on CPU 0 too, for
"The cost ladder on one CPU".

Then the Swift→Swift pair alone, with the host's instrumentation off (`plugin-bench -metrics off`:
no metrics, spans or request ids) and into a Prometheus registry (`-metrics prometheus`, as
`plugboard run --metrics` does), alternating (each first in every other round) for
BENCH_METRICS_ROUNDS rounds, in a third table,
"Instrumentation cost": the ratio of the two is what observing every call costs.

Timings never fail the run; it exits non-zero only when a build fails or a host reports a failed
check (a wrong echo, a plugin that had to be killed), after writing the report.

Environment:
  BENCH_ROUNDS        rounds of the four pairs (default 5; 0 skips the plaintext table)
  BENCH_TLS_ROUNDS    rounds of the four pairs with AutoMTLS (default 3, fewer than the plaintext
                      table's to keep the run short; 0 skips the AutoMTLS table)
  BENCH_METRICS_ROUNDS  rounds of the instrumentation pair (default 4, even so that each side runs
                      first as often; 0 skips that table)
  BENCH_ONE_CPU_ROUNDS  rounds of the one-CPU pairs (default 3; 0 skips that table)
  BENCH_SECONDS       seconds per figure in each run (default 2)
  BENCH_STARTS        start/stop cycles per run for start-to-ready and stop time (default 10)
  BENCH_PAYLOAD       payload bytes per message (default 0)
  BENCH_RESULTS       output folder (default Tests/Benchmarks/results)
  BENCH_SCRATCH_PATH  SwiftPM scratch path (default: SwiftPM's own, .build)
  BENCH_NO_BUILD      set to 1 to use the binaries already built
  SWIFT               the swift command (default swift)

Python 3 standard library only.
"""

import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SWIFT_PRODUCTS = ["bench-echo-plugin", "plugin-bench", "protobuf-bench", "cost-ladder"]

# The figures both hosts report: JSON key, label, unit, and whether lower is better.
FIGURES = [
    ("unary_p50_us", "unary p50", "µs", True),
    ("unary_p99_us", "unary p99", "µs", True),
    # The same sequential Gets over a brokered connection (go-plugin's broker): the plugin serves
    # an Echo under a broker id ("serve-back"), the host dials it.
    ("brokered_unary_p50_us", "brokered unary p50 (plugin serves, host dials)", "µs", True),
    ("brokered_unary_p99_us", "brokered unary p99 (plugin serves, host dials)", "µs", True),
    ("unary_calls_per_s", "unary calls/s, sequential", "calls/s", False),
    ("unary_concurrent_calls_per_s", "unary calls/s, 16 callers, one connection", "calls/s", False),
    ("pingpong_msgs_per_s", "ping-pong (bidi, one in flight)", "msgs/s", False),
    ("pipelined_host_to_plugin_msgs_per_s", "pipelined host → plugin (Collect)", "msgs/s", False),
    ("pipelined_plugin_to_host_msgs_per_s", "pipelined plugin → host (Expand)", "msgs/s", False),
    ("start_to_ready_ms", "start to ready (spawn → first call answered)", "ms", True),
    ("graceful_stop_ms", "graceful stop", "ms", True),
    ("host_peak_rss_kb", "host peak RSS", "MiB", True),
    ("plugin_peak_rss_kb", "plugin peak RSS", "MiB", True),
]

# CPU time (user and system) per call or message, each process, during the 16-caller and pipelined
# figures: only plugin-bench reports them (getrusage for itself, /proc/PID/stat for its plugin).
# CPU time is steadier than rates on a busy machine, so the instrumentation table shows them.
CPU_FIGURES = [
    ("unary_concurrent_cpu_us_per_call.host", "host CPU per call, 16 callers", "µs", True),
    ("unary_concurrent_cpu_us_per_call.plugin", "plugin CPU per call, 16 callers", "µs", True),
    ("pipelined_host_to_plugin_cpu_us_per_msg.host", "host CPU per message, pipelined host → plugin", "µs/msg", True),
    ("pipelined_host_to_plugin_cpu_us_per_msg.plugin", "plugin CPU per message, pipelined host → plugin", "µs/msg",
     True),
    ("pipelined_plugin_to_host_cpu_us_per_msg.host", "host CPU per message, pipelined plugin → host", "µs/msg", True),
    ("pipelined_plugin_to_host_cpu_us_per_msg.plugin", "plugin CPU per message, pipelined plugin → host", "µs/msg",
     True),
    ("instrumentation_cpu_us_per_call", "host CPU per call, the observer alone (no transport, 16 callers)", "µs/call",
     True),
    ("request_id_header_cpu_us_per_call", "CPU per call, the request id's header alone (host and plugin)", "µs/call",
     True),
]

# Plugboard's host only: the sequential unary figures again with the caller on the connection's
# event loop (RunningPlugin.withCallsOnConnectionLoop), a rung of the cost ladder.
LOOP_FIGURES = [
    ("loop_unary_p50_us", "unary p50, caller on the connection's loop", "µs", True),
    ("loop_unary_p99_us", "unary p99, caller on the connection's loop", "µs", True),
    ("loop_unary_calls_per_s", "unary calls/s, sequential, caller on the connection's loop", "calls/s", False),
]
# Measured with no call around them: their on/off ratios are over an empty loop, so the table
# gives their share of a whole call's CPU (host and plugin) instead.
ALONE = ["instrumentation_cpu_us_per_call", "request_id_header_cpu_us_per_call"]
CALL_CPU = ["unary_concurrent_cpu_us_per_call.host", "unary_concurrent_cpu_us_per_call.plugin"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def env_number(name, default, kind=int, zero_allowed=False):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        number = kind(value)
    except ValueError:
        sys.exit(f"side-by-side: {name} must be a number, not {value!r}")
    if number < 0 or (number == 0 and not zero_allowed):
        sys.exit(f"side-by-side: {name} must be {'zero or more' if zero_allowed else 'positive'}, not {value!r}")
    return number


class Settings:
    """What the environment asks for."""

    def __init__(self):
        self.rounds = env_number("BENCH_ROUNDS", 5, zero_allowed=True)
        self.tls_rounds = env_number("BENCH_TLS_ROUNDS", 3, zero_allowed=True)
        self.metrics_rounds = env_number("BENCH_METRICS_ROUNDS", 4, zero_allowed=True)
        self.one_cpu_rounds = env_number("BENCH_ONE_CPU_ROUNDS", 3, zero_allowed=True)
        self.seconds = env_number("BENCH_SECONDS", 2.0, float)
        self.starts = env_number("BENCH_STARTS", 10)
        self.payload = int(os.environ.get("BENCH_PAYLOAD", "0") or 0)
        self.results = os.path.abspath(os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "Tests", "Benchmarks", "results")))
        self.scratch = os.environ.get("BENCH_SCRATCH_PATH", "")
        self.build = os.environ.get("BENCH_NO_BUILD", "") not in ("1", "true", "yes")
        self.swift = os.environ.get("SWIFT", "swift")

    def swift_build(self, *arguments):
        command = [self.swift, "build"] + release_flags()  # as the Makefile builds
        if self.scratch:
            command += ["--scratch-path", self.scratch]
        return command + list(arguments)

    @property
    def go_out(self):
        return os.path.join(ROOT, self.scratch or ".build", "go")


def release_flags():
    """The Makefile's RELEASE flags (its one definition of a release build), continuation lines joined
    and the `:=` variables it names expanded."""
    with open(os.path.join(ROOT, "Makefile")) as makefile:
        text = makefile.read().replace("\\\n", " ")
    variables = {"CURDIR": ROOT}
    for line in text.splitlines():
        name, assigned, value = line.partition(" := ")
        if assigned and name.isidentifier():
            for variable, known in variables.items():
                value = value.replace(f"$({variable})", known)
            variables[name] = value
    if "RELEASE" not in variables:
        sys.exit("side-by-side: the Makefile defines no RELEASE flags")
    return shlex.split(variables["RELEASE"])


def run(command, **kwargs):
    return subprocess.run(command, cwd=ROOT, check=True, **kwargs)


def build(settings):
    """Builds every binary the benchmark runs; returns their paths by name."""
    if settings.build:
        for product in SWIFT_PRODUCTS:  # SwiftPM builds one --product per call
            log(f"building {product} (release)")
            run(settings.swift_build("--product", product))
        log("building the Go peers (go-plugin v1.0.1)")
        run([os.path.join(ROOT, "Tests", "Interop", "go", "build.sh"), settings.go_out])
    swift_bin = run(settings.swift_build("--show-bin-path"), capture_output=True, text=True).stdout.strip()
    binaries = {product: os.path.join(swift_bin, product) for product in SWIFT_PRODUCTS}
    binaries["echo-host"] = os.path.join(settings.go_out, "echo-host")
    binaries["echo-plugin"] = os.path.join(settings.go_out, "echo-plugin")
    for name, path in binaries.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"side-by-side: {name} is missing at {path}; run without BENCH_NO_BUILD")
    return binaries


def fresh_copies(binaries, directory):
    """Copies of `binaries` in `directory`, which the runs use. A binary read back from disk (after a
    reboot or a dropped page cache) is cached in smaller pieces than one just written, and was 6%
    slower to start and 20% slower to stop here: a fresh copy of each puts every pair on equal terms."""
    copies = {}
    for name, path in binaries.items():
        copies[name] = os.path.join(directory, name)
        shutil.copy2(path, copies[name])
    return copies


class Pair:
    """One host/plugin combination, plaintext or with AutoMTLS."""

    def __init__(self, key, label, host, plugin, auto_mtls, extra=(), launcher=(), starts=None):
        self.key, self.label, self.host, self.plugin, self.auto_mtls = key, label, host, plugin, auto_mtls
        self.extra = list(extra)  # further host flags
        self.launcher = list(launcher)  # a command the host runs under (`taskset -c 0`)
        self.starts = starts  # start/stop cycles, if not the settings'
        self.runs = []  # each run's JSON report
        self.failures = []  # each failed run's reason

    @property
    def name(self):
        """The label, marked when AutoMTLS is on (for the progress log)."""
        return f"{self.label}, AutoMTLS" if self.auto_mtls else self.label


def pairs_for(binaries, auto_mtls=False):
    go_host, go_plugin = binaries["echo-host"], binaries["echo-plugin"]
    swift_host, swift_plugin = binaries["plugin-bench"], binaries["bench-echo-plugin"]
    return [
        Pair("go_go", "go-plugin: Go host → Go plugin", go_host, go_plugin, auto_mtls),
        Pair("swift_swift", "Plugboard: Swift host → Swift plugin", swift_host, swift_plugin, auto_mtls),
        Pair("swift_go", "Swift host → Go plugin", swift_host, go_plugin, auto_mtls),
        Pair("go_swift", "Go host → Swift plugin", go_host, swift_plugin, auto_mtls),
    ]


def bench_command(pair, settings):
    """The host's command line; both hosts take the same flags (plugin-bench also spells -automtls)."""
    starts = settings.starts if pair.starts is None else pair.starts
    command = pair.launcher + [pair.host, "-plugin", pair.plugin, "-mode", "bench", "-seconds", str(settings.seconds),
                               "-starts", str(starts), "-payload", str(settings.payload)]
    return command + (["-automtls"] if pair.auto_mtls else []) + pair.extra


def bench_once(pair, settings):
    """Runs the pair's host once; returns its report, or None after noting the failure."""
    command = bench_command(pair, settings)
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pair.failures.append("the host did not finish within 600 s")
        return None
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        report = {}
    if done.returncode != 0 or "error" in report or not report:
        reason = report.get("error") or f"exit status {done.returncode}; stderr ends: {done.stderr[-2000:]}"
        if report.get("go_aways"):
            reason += f" (grpc-go received {report['go_aways']} GOAWAY ENHANCE_YOUR_CALM from the plugin)"
        pair.failures.append(reason)
        return None
    if pair.auto_mtls and report.get("autoMTLS") is not True:
        pair.failures.append('the host ran without AutoMTLS (no "autoMTLS": true in its report)')
        return None
    pair.runs.append(report)
    return report


def measure_pairs(pairs, settings, rounds, after_round=None):
    """Runs every pair once a round; each round starts one pair later than the round before, so no
    pair always runs first or last (a run was measurably slower in some positions than others).
    `after_round` runs at the end of each round."""
    for round_number in range(1, rounds + 1):
        start = (round_number - 1) % len(pairs)
        for pair in pairs[start:] + pairs[:start]:
            began = time.monotonic()
            report = bench_once(pair, settings)
            took = time.monotonic() - began
            if report is None:
                log(f"round {round_number}/{rounds}  {pair.name}: FAILED ({took:.0f} s): {pair.failures[-1]}")
            else:
                log(f"round {round_number}/{rounds}  {pair.name}: unary p50 {report['unary_p50_us']} µs "
                    f"(brokered {report['brokered_unary_p50_us']} µs), "
                    f"{report['unary_calls_per_s']:.0f} calls/s, pipelined {report['pipelined_host_to_plugin_msgs_per_s']:.0f}"
                    f"/{report['pipelined_plugin_to_host_msgs_per_s']:.0f} msgs/s ({took:.0f} s)")
        if after_round:
            after_round()


def medians(pair):
    """Each figure's median over the pair's successful runs (None without any)."""
    result = {}
    for key, _, unit, _ in FIGURES + CPU_FIGURES + LOOP_FIGURES:
        values = [value for value in (figure(run, key) for run in pair.runs) if value is not None]
        if not values:
            result[key] = None
            continue
        value = statistics.median(values)
        result[key] = value / 1024 if unit == "MiB" else value
    return result


def figure(run, key):
    """A run's figure under `key`; a dotted key names a field of a nested object."""
    value = run
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def binary_sizes(binaries):
    """Size of each executable as built and stripped, plus the Swift toolchain's shared libraries
    it loads (none, as `make` builds them: the Go binaries are static, the Swift ones carry the
    Swift runtime)."""
    sizes = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in ["echo-host", "echo-plugin", "plugin-bench", "bench-echo-plugin"]:
            path = binaries[name]
            copy = os.path.join(scratch, name)
            shutil.copyfile(path, copy)
            subprocess.run(["strip", "--strip-all", copy], check=True)
            sizes[name] = {
                "path": os.path.relpath(path, ROOT),
                "as_built_bytes": os.path.getsize(path),
                "stripped_bytes": os.path.getsize(copy),
                "toolchain_shared_libraries_bytes": toolchain_libraries_size(path),
            }
    return sizes


def code_alignment(binaries):
    """How many of the functions Tests/Benchmarks/symbol-order.txt lists sit at one address in the
    host and the plugin (symbol-order.py --check; `make align-symbols` puts them there)."""
    script = os.path.join(ROOT, "Tests", "Benchmarks", "symbol-order.py")
    order = os.path.join(ROOT, "Tests", "Benchmarks", "symbol-order.txt")
    command = ["python3", script, "--check", order, binaries["plugin-bench"], binaries["bench-echo-plugin"]]
    return run(command, capture_output=True, text=True).stdout.strip()


def toolchain_libraries_size(path):
    """Bytes of the shared libraries `ldd` resolves outside the system library folders (for a
    Swift binary: libswiftCore, Foundation, ICU data, dispatch, …); 0 for a static binary."""
    done = subprocess.run(["ldd", path], capture_output=True, text=True)
    total = 0
    for line in done.stdout.splitlines():
        if "=>" not in line:
            continue
        library = line.split("=>", 1)[1].strip().split(" (")[0]
        if not library or not os.path.exists(library):
            continue
        real = os.path.realpath(library)
        if not real.startswith(("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")):
            total += os.path.getsize(real)
    return total


def protobuf_costs(binaries):
    log("running protobuf-bench (Swift encode/decode against bare protobuf-c)")
    done = run([binaries["protobuf-bench"], "--json"], capture_output=True, text=True)
    return json.loads(done.stdout)


def machine():
    def first_line(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "uname": " ".join(part for part in platform.uname() if part),
        "cpu": cpu_model(),
        "swift": first_line([os.environ.get("SWIFT", "swift"), "--version"]),
        "go": first_line(["go", "version"]),
        "load_average_before": load_average(),
        "idle_cpus": idle_cpus(),
    }


def idle_cpus():
    """How an idle CPU waits (Linux's cpuidle driver; with `haltpoll`, a KVM guest's, how long a vCPU polls
    before it halts): what a wake-up of a thread on an idle CPU costs depends on it."""
    def read(path):
        try:
            with open(path) as file:
                return file.read().strip()
        except OSError:
            return None

    driver = read("/sys/devices/system/cpu/cpuidle/current_driver") or "unknown"
    poll = read("/sys/module/haltpoll/parameters/guest_halt_poll_ns")
    if driver == "haltpoll" and poll is not None:
        return f"cpuidle driver haltpoll, guest_halt_poll_ns {poll}" + (" (an idle vCPU halts at once)" if poll == "0" else "")
    return f"cpuidle driver {driver}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def load_average():
    try:
        with open("/proc/loadavg") as loadavg:
            return " ".join(loadavg.read().split()[:3])
    except OSError:
        return "unknown"


def number(value, unit):
    if value is None:
        return "—"
    if unit in ("calls/s", "msgs/s"):
        return f"{value:,.0f}"
    if unit in ("µs/msg", "µs/call", "ms"):
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def ratio(plugboard, go_plugin):
    if not plugboard or not go_plugin:
        return None
    return plugboard / go_plugin


PAIR_KEYS = ["go_go", "swift_swift", "swift_go", "go_swift"]
# The AutoMTLS table's ratio columns: each pair over Go→Go.
RATIO_HEADERS = {"swift_swift": "Plugboard/go-plugin", "swift_go": "Swift → Go / go-plugin",
                 "go_swift": "Go → Swift / go-plugin"}


def passed_row(pairs, keys, ratio_columns):
    """The table row counting each pair's runs that passed every check."""
    return ("| runs that passed every check (the medians are over these) | "
            + " | ".join(f"{len(pairs[k]['runs'])} of {len(pairs[k]['runs']) + len(pairs[k]['failures'])}" for k in keys)
            + " |" + " |" * ratio_columns)


def failure_lines(pairs, keys, suffix=""):
    """The list of failed runs under a table, if any."""
    failures = {k: pairs[k]["failures"] for k in keys if pairs[k]["failures"]}
    if not failures:
        return []
    lines = ["", "**Failed runs** (left out of the medians):", ""]
    for k, reasons in failures.items():
        for reason in reasons:
            lines.append(f"- {pairs[k]['label']}{suffix}: {reason}")
    return lines


def markdown(result):
    m = result["machine"]
    s = result["settings"]
    pairs = result["pairs"]
    keys = PAIR_KEYS
    lines = [
        "# Plugboard against go-plugin, side by side",
        "",
        f"`make bench`, {m['date']}: {m['nproc']} cores ({m['cpu']}), `{m['uname']}`; {m['swift']}; {m['go']}.",
        f"Load average before the run: {m['load_average_before']}, after: {m['load_average_after']}. "
        f"Idle CPUs: {m.get('idle_cpus', 'unknown')}.",
        f"Medians of {s['rounds']} rounds; in each round the four pairs run one after the other, from the next "
        "pair each round; each run "
        f"measures every figure for {s['seconds']:g} s after a warm-up, with {s['payload_bytes']}-byte payloads and "
        f"{s['starts']} start/stop cycles. Both hosts make the same calls over `plugboard.test.v1.Echo` "
        "(`echo-host -mode bench` on go-plugin v1.0.1 and grpc-go 1.33; Plugboard's `plugin-bench` on `PluginHost`). "
        "The brokered unary figures time the same sequential Gets as the unary ones, over a brokered connection: the "
        "plugin serves an Echo under a broker id (`serve-back`), the host dials it (go-plugin's `GRPCBroker.Dial`, "
        "Plugboard's `PluginBroker.withClient`). Every binary runs from a fresh copy, so that all of them have their "
        "pages cached the same way. "
        f"Code shared by host and plugin at one address (`make align-symbols`): {result['code_alignment']}.",
        "Ratio: Plugboard (Swift → Swift) over go-plugin (Go → Go); below 1 is better for times, sizes and memory, "
        "above 1 for rates.",
        "",
        "| figure | " + " | ".join(pairs[k]["label"] for k in keys) + " | Plugboard/go-plugin |",
        "|---|" + "---:|" * (len(keys) + 1),
    ]
    for key, label, unit, lower in FIGURES:
        values = [pairs[k]["median"][key] for k in keys]
        r = result["ratios"].get(key)
        better = "lower is better" if lower else "higher is better"
        lines.append(f"| {label}, {unit} ({better}) | " + " | ".join(number(v, unit) for v in values)
                     + f" | {'—' if r is None else f'{r:.2f}×'} |")
    sizes = result["binary_sizes"]
    for role, go_name, swift_name in [("host", "echo-host", "plugin-bench"), ("plugin", "echo-plugin", "bench-echo-plugin")]:
        by_pair = {"go_go": go_name, "swift_swift": swift_name,
                   "swift_go": "plugin-bench" if role == "host" else "echo-plugin",
                   "go_swift": "echo-host" if role == "host" else "bench-echo-plugin"}
        values = [sizes[by_pair[k]]["stripped_bytes"] / 1048576 for k in keys]
        lines.append(f"| {role} binary, stripped, MiB (lower is better) | " + " | ".join(f"{v:.1f}" for v in values)
                     + f" | {values[1] / values[0]:.2f}× |")
    lines.append(passed_row(pairs, keys, 1))
    lines += failure_lines(pairs, keys)
    lines += ladder_markdown(result)
    lines += one_cpu_markdown(result)
    lines += automtls_markdown(result)
    lines += metrics_markdown(result)
    lines += [
        "",
        "## Binary sizes",
        "",
        "Swift release binaries keep their debug info, so both the size as built and the size after "
        "`strip --strip-all` are shown. The Go binaries are static; the Swift ones, as `make` builds them, "
        "carry the Swift runtime and FoundationEssentials (`--static-swift-stdlib`). The last column is "
        "what a binary loads from the Swift toolchain as shared libraries beside it (none, built so).",
        "",
        "| binary | as built, MiB | stripped, MiB | toolchain shared libraries, MiB |",
        "|---|---:|---:|---:|",
    ]
    for name, size in sizes.items():
        lines.append(f"| `{name}` | {size['as_built_bytes'] / 1048576:.1f} | {size['stripped_bytes'] / 1048576:.1f} | "
                     f"{size['toolchain_shared_libraries_bytes'] / 1048576:.1f} |")
    lines += [
        "",
        "## protobuf-c encode/decode cost per message",
        "",
        "From `protobuf-bench` in the same run: Swift encode/decode (Swift values copied to and from "
        "protoc-c structs) against bare libprotobuf-c pack/unpack of the same message.",
        "",
        "| message | bytes | Swift encode ns | protobuf-c pack ns | ratio | Swift decode ns | protobuf-c unpack ns | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["protobuf"]:
        lines.append(
            f"| {row['message']} | {row['bytes']} | {row['swift_encode_ns']} | {row['protobuf_c_pack_ns']} | "
            f"{row['swift_encode_ns'] / row['protobuf_c_pack_ns']:.2f}× | {row['swift_decode_ns']} | "
            f"{row['protobuf_c_unpack_ns']} | {row['swift_decode_ns'] / row['protobuf_c_unpack_ns']:.2f}× |")
    lines += ["", f"Raw per-round figures: `side-by-side.json`. The run took {result['seconds_taken']:.0f} s after building.", ""]
    return "\n".join(lines)


def connection(report):
    """What echo-host saw of the TLS connection ("TLS 1.3, ALPN h2"); plugin-bench does not say."""
    if "tlsVersion" not in report:
        return "not reported"
    return f"{report['tlsVersion']}, ALPN {report['alpn'] or 'none'}"


def automtls_markdown(result):
    """The AutoMTLS section: the four pairs with AutoMTLS, each pair's ratio over Go→Go with AutoMTLS."""
    section = result.get("automtls")
    if not section:
        return []
    s = result["settings"]
    pairs = section["pairs"]
    keys = PAIR_KEYS
    others = keys[1:]
    fewer = f", fewer than the plaintext table's {s['rounds']}" if section["rounds"] < s["rounds"] else ""
    lines = [
        "",
        f"## AutoMTLS ({section['rounds']} rounds{fewer})",
        "",
        "The same four pairs with AutoMTLS on both sides (`-automtls`: go-plugin's `ClientConfig.AutoMTLS`, "
        "Plugboard's `PluginSpec.autoMTLS`): the host passes its certificate in `PLUGIN_CLIENT_CERT`, the plugin "
        "prints its own in handshake field 6, and every call goes over TLS that both sides authenticate.",
        f"Medians of {section['rounds']} rounds" + (f"{fewer} (`BENCH_TLS_ROUNDS`, to keep `make bench` short)" if fewer else "")
        + ", run after the plaintext rounds and otherwise measured as above.",
        "Ratios: each pair over go-plugin (Go → Go) with AutoMTLS; below 1 is better for times and memory, "
        "above 1 for rates.",
        "",
        "| figure | " + " | ".join(pairs[k]["label"] for k in keys) + " | "
        + " | ".join(RATIO_HEADERS[k] for k in others) + " |",
        "|---|" + "---:|" * (len(keys) + len(others)),
    ]
    for key, label, unit, lower in FIGURES:
        values = [pairs[k]["median"][key] for k in keys]
        ratios = [section["ratios"][k].get(key) for k in others]
        better = "lower is better" if lower else "higher is better"
        lines.append(f"| {label}, {unit} ({better}) | " + " | ".join(number(v, unit) for v in values) + " | "
                     + " | ".join("—" if r is None else f"{r:.2f}×" for r in ratios) + " |")
    lines.append("| TLS connection, as echo-host reports it | "
                 + " | ".join(connection(pairs[k]["runs"][0]) if pairs[k]["runs"] else "—" for k in keys)
                 + " |" + " |" * len(others))
    lines.append(passed_row(pairs, keys, len(others)))
    lines += failure_lines(pairs, keys, ", AutoMTLS")
    return lines


# The figures the instrumentation table shows (calls are what the host observes).
METRICS_FIGURES = ["unary_p50_us", "unary_p99_us", "unary_calls_per_s", "unary_concurrent_calls_per_s",
                   "pingpong_msgs_per_s", "pipelined_host_to_plugin_msgs_per_s", "pipelined_plugin_to_host_msgs_per_s",
                   "host_peak_rss_kb"] + [key for key, _, _, _ in CPU_FIGURES]


# The one-CPU table's figures: the calls, where waking a thread on another CPU is most of a round trip.
ONE_CPU_FIGURES = ["unary_p50_us", "unary_p99_us", "unary_calls_per_s", "unary_concurrent_calls_per_s",
                   "pingpong_msgs_per_s", "pipelined_host_to_plugin_msgs_per_s", "pipelined_plugin_to_host_msgs_per_s"]


def one_cpu_pairs(binaries):
    """The four pairs, each host (and so its plugin) on CPU 0, with no start/stop cycles."""
    return [Pair(pair.key, pair.label, pair.host, pair.plugin, False, launcher=["taskset", "-c", "0"], starts=0)
            for pair in pairs_for(binaries)]


def one_cpu_results(pairs, rounds):
    results = pair_results(pairs)
    go, swift = results["go_go"]["median"], results["swift_swift"]["median"]
    return {"rounds": rounds, "pairs": results,
            "ratios": {key: ratio(swift[key], go[key]) for key in ONE_CPU_FIGURES}}


def one_cpu_markdown(result):
    """The one-CPU table: the four pairs with host and plugin on CPU 0."""
    section = result.get("one_cpu")
    if not section:
        return []
    pairs = section["pairs"]
    labels = {key: (label, unit, lower) for key, label, unit, lower in FIGURES}
    lines = [
        "",
        f"## On one CPU ({section['rounds']} rounds)",
        "",
        "The four pairs again, each host and its plugin on CPU 0 (`taskset -c 0`; the plugin inherits it), "
        "otherwise measured as above. With one CPU no thread wakes another on an idle CPU, and a sequential "
        "call's round trip is about the CPU both processes spend on it: how much work each stack does per call, "
        "whatever a wake-up costs on the machine; a cross pair against Go → Go shows the Swift side's share. "
        "The last column is Plugboard/go-plugin from the first table, both CPUs in use.",
        "",
        "| figure | " + " | ".join(pairs[k]["label"] for k in PAIR_KEYS) + " | Plugboard/go-plugin, one CPU | "
        "Plugboard/go-plugin, both CPUs |",
        "|---|" + "---:|" * (len(PAIR_KEYS) + 2),
    ]
    for key in ONE_CPU_FIGURES:
        label, unit, lower = labels[key]
        better = "lower is better" if lower else "higher is better"
        r, both = section["ratios"].get(key), result["ratios"].get(key)
        lines.append(f"| {label}, {unit} ({better}) | "
                     + " | ".join(number(pairs[k]["median"][key], unit) for k in PAIR_KEYS)
                     + f" | {'—' if r is None else f'{r:.2f}×'} | {'—' if both is None else f'{both:.2f}×'} |")
    lines.append(passed_row(pairs, PAIR_KEYS, 2))
    return lines + failure_lines(pairs, PAIR_KEYS, ", one CPU")


def metrics_pairs(binaries):
    host, plugin = binaries["plugin-bench"], binaries["bench-echo-plugin"]
    return [Pair("off", "instrumentation off", host, plugin, False, ["-metrics", "off"]),
            Pair("prometheus", "metrics into Prometheus", host, plugin, False, ["-metrics", "prometheus"])]


def metrics_results(pairs, rounds):
    results = pair_results(pairs)
    off, on = results["off"]["median"], results["prometheus"]["median"]
    ratios = {key: ratio(on[key], off[key]) for key in METRICS_FIGURES if key not in ALONE}
    alone, call = [on[key] for key in ALONE], [off[key] for key in CALL_CPU]
    share = sum(alone) / sum(call) if None not in alone + call and sum(call) else None
    return {"rounds": rounds, "pairs": results, "ratios": ratios, "instrumentation_share_of_call_cpu": share}


def metrics_markdown(result):
    """The instrumentation table: Swift→Swift with metrics into Prometheus over instrumentation off."""
    section = result.get("metrics")
    if not section:
        return []
    pairs = section["pairs"]
    labels = {key: (label, unit, lower) for key, label, unit, lower in FIGURES + CPU_FIGURES}
    lines = [
        "",
        f"## Instrumentation cost ({section['rounds']} rounds)",
        "",
        "Plugboard Swift host → Swift plugin, the host's call instrumentation off (`plugin-bench -metrics off`) "
        "and on, into a Prometheus registry (`-metrics prometheus`: per-method counters, latency histogram, "
        "in-flight gauge, message counters, a request id per call). Medians of the rounds, the two alternating, each first in every other round; "
        "ratio on/off (below 1 is better for times and memory, above 1 for rates). The CPU rows are each "
        "process's user and system time over the calls or messages of that figure: steadier than the rates "
        "on a busy machine, and where the cost shows first.",
        "",
        "| figure | instrumentation off | metrics into Prometheus | on/off |",
        "|---|---:|---:|---:|",
    ]
    for key in METRICS_FIGURES:
        label, unit, lower = labels[key]
        better = "lower is better" if lower else "higher is better"
        r = section["ratios"].get(key)
        lines.append(f"| {label}, {unit} ({better}) | {number(pairs['off']['median'][key], unit)} | "
                     f"{number(pairs['prometheus']['median'][key], unit)} | {'—' if r is None else f'{r:.2f}×'} |")
    share = section.get("instrumentation_share_of_call_cpu")
    if share is not None:
        lines += ["", "The two \"alone\" rows are measured in the host process with no call around them, 16 callers "
                      "at once: the observer's work for a call (start, request id, the end's metric updates), and "
                      "what the request id adds to the call's headers (built, HPACK-encoded and decoded as the two "
                      f"transports do). Together they are {share * 100:.1f}% of a call's CPU, host and plugin, "
                      "with instrumentation off (the two CPU-per-call rows, 16 callers)."]
    return lines + failure_lines(pairs, ["off", "prometheus"])


def pair_results(pairs):
    """Each pair's label, binaries, medians, runs and failures, by key (for the JSON and the tables)."""
    return {pair.key: {
        "label": pair.label,
        "host": os.path.relpath(pair.host, ROOT),
        "plugin": os.path.relpath(pair.plugin, ROOT),
        "median": medians(pair),
        "runs": pair.runs,
        "failures": pair.failures,
    } for pair in pairs}


def automtls_results(pairs, rounds):
    """The AutoMTLS section of the JSON: its pairs and each other pair's ratios over Go→Go with AutoMTLS."""
    results = pair_results(pairs)
    baseline = results["go_go"]["median"]
    return {
        "rounds": rounds,
        "pairs": results,
        "ratios": {k: {key: ratio(results[k]["median"][key], baseline[key]) for key, _, _, _ in FIGURES}
                   for k in PAIR_KEYS[1:]},
    }


# The cost ladder's figures: key in cost-ladder's JSON, column heading, digits.
LADDER_FIGURES = [("p50_us", "p50, µs", 1), ("p99_us", "p99, µs", 1), ("cpu_us", "CPU per round trip, caller, µs", 1),
                  ("peer_cpu_us", "CPU per round trip, peer, µs", 1),
                  ("context_switches", "context switches per round trip, both", 2)]


def ladder_round(binaries, settings, runs, launcher=()):
    """One run of cost-ladder (the same echo round trip at each layer), appended to `runs`;
    `launcher` is a command it runs under (`taskset -c 0`)."""
    where = " on one CPU" if launcher else ""
    try:
        out = subprocess.run([*launcher, binaries["cost-ladder"], "-seconds", str(settings.seconds)],
                             capture_output=True, text=True, timeout=180, check=True).stdout
        runs.append(json.loads(out)["rungs"])
        log(f"cost ladder{where}: " + ", ".join(f"{rung['key']} {rung['p50_us']} µs" for rung in runs[-1]))
    except (subprocess.SubprocessError, ValueError, KeyError) as error:
        log(f"cost ladder{where}: FAILED: {error}")


def ladder_results(runs, pairs):
    """Each rung's medians over the rounds, then the whole calls of the same rounds as the top rungs."""
    rungs = []
    for index, rung in enumerate(runs[0] if runs else []):
        values = [run[index] for run in runs if len(run) > index and run[index]["key"] == rung["key"]]
        rungs.append({"key": rung["key"], "label": rung["label"], "rounds": len(values),
                      **{key: statistics.median(v[key] for v in values) for key, _, _ in LADDER_FIGURES}})
    for key in ("go_go", "swift_swift"):
        median = pairs[key]["median"]
        rungs.append({"key": key, "label": f"the whole call: {pairs[key]['label']} (unary, sequential)",
                      "p50_us": median["unary_p50_us"], "p99_us": median["unary_p99_us"]})
    median = pairs["swift_swift"]["median"]
    if median.get("loop_unary_p50_us") is not None:
        rungs.append({"key": "swift_swift_loop",
                      "label": f"the whole call: {pairs['swift_swift']['label']}, the caller on the connection's "
                               "event loop (`withCallsOnConnectionLoop`)",
                      "p50_us": median["loop_unary_p50_us"], "p99_us": median["loop_unary_p99_us"]})
    return rungs


def ladder_markdown(result):
    lines = ladder_table(result.get("ladder"), "## The cost ladder", [
        "The same echo round trip (64 bytes each way, one at a time) at each layer of a call, from `cost-ladder`, run "
        "once in each round above (medians of the rounds): a raw unix socket between two processes with blocking "
        "reads and writes; bare swift-nio between two processes, an `NIOAsyncChannel` each side (one hop into Swift "
        "concurrency per side); four rungs that pair an own HTTP/2 end (written for the ladder: framing, flow-control "
        "window, HPACK from swift-nio-http2's `NIOHPACK`; the method a task whose executor is the connection's thread "
        "or event loop) with another, to show what swift-nio, Plugboard's HTTP/2 codec and connection handler each "
        "cost: own ends both sides with no swift-nio (the caller encodes and writes its request itself; a thread "
        "polling the socket resumes it; the server a thread polling its socket), the own client on swift-nio instead "
        "(a hop to its event loop and back), the lean transport's client against the own server, and that client "
        "against the own server's HTTP/2 on swift-nio; Plugboard's lean transport between two processes, driven "
        "directly (HTTP/2 and gRPC framing, no GRPCCore client or server); "
        "GRPCCore's client and server over Plugboard's transport (a generated stub "
        "and a generated service; no host, supervision or instrumentation); the same with the server running the "
        "generated method straight from the connection, as a plugin's server does (`DirectMethodTable`: no GRPCCore "
        "server executor); GRPCCore's whole unary call over its in-process transport (one "
        "process, no socket); and the whole calls of the table above, Plugboard's also with its caller on the "
        "connection's event loop (`RunningPlugin.withCallsOnConnectionLoop`: no thread hop into or out of a call). "
        "CPU is each process's user and system time "
        "over the round trips (the one-process rung has no peer)."])
    one_cpu = result.get("one_cpu") or {}
    return lines + ladder_table(one_cpu.get("ladder"), f"## The cost ladder on one CPU ({one_cpu.get('rounds')} rounds)", [
        "The same ladder with `cost-ladder` and its peers on CPU 0 (`taskset -c 0`), run once after each round of "
        "the one-CPU table (medians of the rounds); its whole calls are that table's. No thread wakes another on an "
        "idle CPU here, so a round trip is about the CPU both ends spend on it."])


def ladder_table(rungs, title, intro):
    """A ladder's rungs as a table under `title` and the paragraph `intro`."""
    if not rungs:
        return []
    lines = ["", title, "", *intro, "",
             "| rung | " + " | ".join(heading for _, heading, _ in LADDER_FIGURES) + " |",
             "|---|" + "---:|" * len(LADDER_FIGURES)]
    for rung in rungs:
        cells = []
        for key, _, digits in LADDER_FIGURES:
            value = rung.get(key)
            no_peer = key == "peer_cpu_us" and rung["key"] == "in_process"
            cells.append("—" if value is None or no_peer else f"{value:,.{digits}f}")
        lines.append(f"| {rung['label']} | " + " | ".join(cells) + " |")
    return lines


def main():
    settings = Settings()
    built = build(settings)
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as directory:
        measure(settings, built, fresh_copies(built, directory))


def measure(settings, built, binaries):
    """Runs every table with `binaries` and writes the report; sizes are of the `built` ones."""
    began = time.monotonic()
    result = {"machine": machine(), "settings": {
        "rounds": settings.rounds, "seconds": settings.seconds, "starts": settings.starts,
        "payload_bytes": settings.payload, "concurrency": 16, "automtls_rounds": settings.tls_rounds,
        "metrics_rounds": settings.metrics_rounds,
    }}
    result["protobuf"] = protobuf_costs(binaries)
    pairs = pairs_for(binaries)
    ladder_runs = []
    measure_pairs(pairs, settings, settings.rounds, lambda: ladder_round(binaries, settings, ladder_runs))
    tls_pairs = pairs_for(binaries, auto_mtls=True)
    measure_pairs(tls_pairs, settings, settings.tls_rounds)
    one_cpu = one_cpu_pairs(binaries)
    one_cpu_ladder_runs = []
    measure_pairs(one_cpu, settings, settings.one_cpu_rounds,
                  lambda: ladder_round(binaries, settings, one_cpu_ladder_runs, ["taskset", "-c", "0"]))
    instrumented = metrics_pairs(binaries)
    measure_pairs(instrumented, settings, settings.metrics_rounds)
    result["machine"]["load_average_after"] = load_average()
    result["pairs"] = pair_results(pairs)
    baseline, plugboard = result["pairs"]["go_go"]["median"], result["pairs"]["swift_swift"]["median"]
    result["ratios"] = {key: ratio(plugboard[key], baseline[key]) for key, _, _, _ in FIGURES}
    result["ladder"] = ladder_results(ladder_runs, result["pairs"])
    if settings.tls_rounds:
        result["automtls"] = automtls_results(tls_pairs, settings.tls_rounds)
    if settings.one_cpu_rounds:
        result["one_cpu"] = one_cpu_results(one_cpu, settings.one_cpu_rounds)
        result["one_cpu"]["ladder"] = ladder_results(one_cpu_ladder_runs, result["one_cpu"]["pairs"])
    if settings.metrics_rounds:
        result["metrics"] = metrics_results(instrumented, settings.metrics_rounds)
    result["binary_sizes"] = binary_sizes(built)
    result["code_alignment"] = code_alignment(built)
    result["seconds_taken"] = time.monotonic() - began

    table = markdown(result)
    os.makedirs(settings.results, exist_ok=True)
    with open(os.path.join(settings.results, "side-by-side.md"), "w") as out:
        out.write(table)
    with open(os.path.join(settings.results, "side-by-side.json"), "w") as out:
        json.dump(result, out, indent=2, ensure_ascii=False)
        out.write("\n")
    print(table)
    print(f"written: {os.path.relpath(settings.results, ROOT)}/side-by-side.md and side-by-side.json")
    if any(pair.failures for pair in pairs + tls_pairs + one_cpu + instrumented):
        sys.exit("side-by-side: some runs failed their checks (see 'Failed runs' above)")


if __name__ == "__main__":
    main()
