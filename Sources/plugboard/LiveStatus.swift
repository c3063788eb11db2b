import Foundation
import PlugboardHost

/// Each plugin's state, calls per second, errors and p99 latency over the last interval, and its
/// restarts: a table redrawn in place on a terminal, plain `status:` lines otherwise.
struct LiveStatus {
    let supervisors: [PluginSupervisor]
    let interval: Duration
    let terminal: Bool
    /// Checked before each report; the reports stop once it says false.
    var keepGoing: @Sendable () -> Bool = { true }

    /// Reports every `interval` until cancelled or `keepGoing` says false.
    func run() async {
        var previous = self.supervisors.map(\.calls)
        var since = ContinuousClock.now
        while (try? await Task.sleep(for: self.interval)) != nil, self.keepGoing() {
            let now = ContinuousClock.now
            let current = self.supervisors.map(\.calls)
            let seconds = Double((now - since) / .milliseconds(1)) / 1000
            let rows = zip(self.supervisors, zip(current, previous)).map { supervisor, calls in
                Self.row(supervisor, window: calls.0.since(calls.1), seconds: seconds)
            }
            if self.terminal {
                var table = TextTable(header: ["PLUGIN", "STATE", "CALLS/S", "ERRORS", "P99", "RESTARTS"])
                table.rows = rows
                Console.redraw(table.rendered)
            } else {
                for row in rows {
                    Console.say(
                        "status: \(row[0]) \(row[1]), \(row[2]) calls/s, \(row[3]) errors, p99 \(row[4]), \(row[5]) restarts"
                    )
                }
            }
            previous = current
            since = now
        }
    }

    static func row(_ supervisor: PluginSupervisor, window: CallSummary, seconds: Double) -> [String] {
        let rate = seconds > 0 ? Double(window.calls) / seconds : 0
        let p99 = window.latency(atQuantile: 0.99).map { "≤\(Self.format($0))" } ?? "-"
        return [
            supervisor.spec.name, "\(supervisor.state)", String(format: "%.1f", rate), "\(window.errors)", p99,
            "\(supervisor.restarts)",
        ]
    }

    private static func format(_ duration: Duration) -> String {
        let micros = duration / .microseconds(1)
        if micros < 1000 { return "\(Int(micros)) µs" }
        if micros < 1_000_000 { return "\(Int(micros / 1000)) ms" }
        return String(format: "%.1f s", micros / 1_000_000)
    }
}
