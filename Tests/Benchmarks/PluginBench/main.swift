// plugin-bench: the Swift host half of `make bench`. It loads an echo plugin (Go or Swift) with
// PluginHost and measures exactly what the Go `echo-host -mode bench` measures, with the same
// workloads, flags and JSON keys (see Tests/Interop/go/src/plugboardtest/cmd/echo-host/main.go):
//
//   plugin-bench -plugin PATH [-seconds 2] [-warmup 0.5] [-concurrency 16] [-starts 10] [-payload 0] [--auto-mtls]
//
// It prints one JSON object on stdout and exits 0 only if every check passed; on a failure the
// object still appears, with whatever was measured plus "error". Timings never fail a run.
//
// Neither host puts a deadline on its calls in bench mode (a per-call deadline is a timer per
// call on both sides); a watchdog kills the plugin and exits with status 3 after -timeout + 10 s.

import Metrics
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

let options: BenchOptions
do {
    options = try BenchOptions(parsing: Array(CommandLine.arguments.dropFirst()))
} catch {
    writeStandardError("plugin-bench: \(error)\n")
    exit(2)
}

if options.metrics == "prometheus" {
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
}

let watchdog = Watchdog()
watchdog.start(after: .seconds(options.timeout + 10))
let report = await PluginBench(options: options, watchdog: watchdog, log: HostLog(printing: options.logLevel)).run()
print(report.json)
if let error = report.error {
    writeStandardError("plugin-bench: bench failed: \(error)\n")
    exit(1)
}
exit(0)
