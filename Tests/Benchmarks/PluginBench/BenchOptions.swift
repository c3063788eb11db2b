import Logging

/// The command line, with the same flags as the Go `echo-host -mode bench`, so the orchestrator
/// runs both hosts the same way: `plugin-bench -plugin PATH [-mode bench] [-seconds 2] …`.
struct BenchOptions: Sendable {
    /// The echo plugin to load (Go or Swift).
    var pluginPath = ""
    /// Arguments after `--`, passed to the plugin.
    var pluginArguments: [String] = []
    /// Seconds each figure is measured for.
    var seconds = 2.0
    /// Seconds of sequential unary calls before measuring (not counted).
    var warmup = 0.5
    /// Callers for the concurrent unary figure, all on the one connection.
    var concurrency = 16
    /// Start/stop cycles timed for start-to-ready and graceful stop.
    var starts = 10
    /// Payload bytes per message.
    var payload = 0
    /// The lowest level of the host's and the plugin's log lines printed on stderr.
    var logLevel = Logger.Level.warning
    /// Whether the host turns on AutoMTLS (`PluginSpec.autoMTLS`), as `echo-host -automtls` does.
    var autoMTLS = false
    /// The host's metrics backend: `off` (no instrumentation at all), `noop` (instrumented, no
    /// backend: what a host gets without bootstrapping one) or `prometheus` (a Prometheus registry).
    var metrics = "noop"
    /// The call figures, in the order they run.
    enum Figure: String, CaseIterable, Sendable {
        case sequential, loop, concurrent, pingpong, collect, expand, brokered
    }
    /// The call figures to measure (`-figures expand`, to profile one; those left out report 0);
    /// all by default.
    var figures = Set(Figure.allCases)
    /// Seconds the whole run may take (plus 10) before the watchdog kills the plugin and exits with 3.
    var timeout = 300.0
    /// A deadline for every unary call of the workloads, as a supervisor gives each call its
    /// policy's (`-call-deadline 30`); none by default, as echo-host sets none.
    var callDeadline: Duration?

    static let usage =
        "usage: plugin-bench -plugin PATH [-mode bench] [-seconds S] [-warmup S] [-concurrency N] [-figures sequential,loop,concurrent,pingpong,collect,expand,brokered] [-starts N] [-payload BYTES] [--auto-mtls] [-metrics off|noop|prometheus] [-timeout S] [-call-deadline S] [-log-level LEVEL] [-- plugin args...]"

    /// Flags without a value (Go's boolean flags): `-flag` alone sets them, `-flag=false` clears them.
    /// `--auto-mtls` is also spelled `-automtls`, as echo-host spells it.
    private static let switches: Set<Substring> = ["auto-mtls", "automtls"]

    /// Parses `arguments` (without the program name); both `-flag value` and `-flag=value`.
    init(parsing arguments: [String]) throws(BenchError) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                self.pluginArguments = Array(remaining)
                break
            }
            guard argument.hasPrefix("-") else { throw BenchError("unexpected argument \(argument)\n\(Self.usage)") }
            let flag = argument.drop { $0 == "-" }
            let name: Substring
            let value: String
            if let equals = flag.firstIndex(of: "=") {
                name = flag[..<equals]
                value = String(flag[flag.index(after: equals)...])
            } else if Self.switches.contains(flag) {
                name = flag
                value = "true"
            } else {
                guard let next = remaining.popFirst() else { throw BenchError("-\(flag) needs a value\n\(Self.usage)") }
                name = flag
                value = next
            }
            try self.set(String(name), to: value)
        }
        guard !self.pluginPath.isEmpty else { throw BenchError("-plugin PATH is required\n\(Self.usage)") }
    }

    private mutating func set(_ name: String, to value: String) throws(BenchError) {
        switch name {
        case "plugin": self.pluginPath = value
        case "mode":
            guard value == "bench" else {
                throw BenchError("only -mode bench is supported, not \(value) (echo-host has the others)")
            }
        case "seconds": self.seconds = try Self.number(value, for: name)
        case "warmup": self.warmup = try Self.number(value, for: name)
        case "timeout": self.timeout = try Self.timeout(value)
        case "call-deadline": self.callDeadline = .seconds(try Self.number(value, for: name))
        case "log-level":
            guard let level = Logger.Level(rawValue: value) else {
                throw BenchError(
                    "-log-level needs trace, debug, info, notice, warning, error or critical, not \(value)")
            }
            self.logLevel = level
        case "auto-mtls", "automtls": self.autoMTLS = try Self.switchValue(value, for: name)
        case "metrics":
            guard ["off", "noop", "prometheus"].contains(value) else {
                throw BenchError("-metrics needs off, noop or prometheus, not \(value)")
            }
            self.metrics = value
        case "concurrency": self.concurrency = try Self.count(value, for: name, minimum: 1)
        case "starts": self.starts = try Self.count(value, for: name, minimum: 0)
        case "payload": self.payload = try Self.count(value, for: name, minimum: 0)
        case "figures":
            let figures = value.split(separator: ",").map { Figure(rawValue: String($0)) }
            guard !figures.isEmpty, !figures.contains(nil) else {
                let names = Figure.allCases.map(\.rawValue).joined(separator: ",")
                throw BenchError("-figures takes some of \(names), not \(value)")
            }
            self.figures = Set(figures.compactMap { $0 })
        default: throw BenchError("unknown flag -\(name)\n\(Self.usage)")
        }
    }

    private static func number(_ value: String, for name: String) throws(BenchError) -> Double {
        guard let number = Double(value), number >= 0 else {
            throw BenchError("-\(name) needs a number of seconds, not \(value)")
        }
        return number
    }

    /// Seconds, plain or with echo-host's duration suffixes `s` and `m` (`300`, `300s`, `5m`).
    private static func timeout(_ value: String) throws(BenchError) -> Double {
        if value.hasSuffix("m"), let minutes = Double(value.dropLast()), minutes >= 0 { return minutes * 60 }
        return try Self.number(value.hasSuffix("s") ? String(value.dropLast()) : value, for: "timeout")
    }

    private static func switchValue(_ value: String, for name: String) throws(BenchError) -> Bool {
        switch value {
        case "true", "1": return true
        case "false", "0": return false
        default: throw BenchError("-\(name) takes no value, or =true or =false, not \(value)")
        }
    }

    private static func count(_ value: String, for name: String, minimum: Int) throws(BenchError) -> Int {
        guard let count = Int(value), count >= minimum else {
            throw BenchError("-\(name) needs a whole number of at least \(minimum), not \(value)")
        }
        return count
    }
}

/// A failed run: the reason, printed on stderr and as the report's "error".
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
