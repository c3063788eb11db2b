import GRPCCore
import PlugboardCore
import Synchronization

/// What happened to the calls of a load run. A call ends in exactly one bucket: it succeeded, it
/// failed with a typed error (a ``PluginError``: the plugin died under it, or it could not wait
/// long enough for a restart; or its own deadline), or it is lost (an error that does not say
/// what happened).
final class LoadTally: Sendable {
    struct Counts: Sendable {
        var made = 0
        var succeeded = 0
        /// Successes answered without the rule set that `prepare` applies: state lost on restart.
        var unprepared = 0
        /// Successes answered without the key's tier from the host's directory (its lookup
        /// failed or missed the plugin's deadline, and the rule applied unscaled).
        var untiered = 0
        var typed: [String: Int] = [:]
        var lost: [String: Int] = [:]
        /// The first few lost calls' errors, to show what went wrong.
        var lostExamples: [String] = []
        var latenciesMicroseconds: [Double] = []
    }

    private let counts = Mutex(Counts())

    func succeeded(after latency: Duration, prepared: Bool, tiered: Bool) {
        self.counts.withLock {
            $0.made += 1
            $0.succeeded += 1
            if !prepared { $0.unprepared += 1 }
            if !tiered { $0.untiered += 1 }
            $0.latenciesMicroseconds.append(latency.milliseconds * 1000)
        }
    }

    func failed(_ error: any Error) {
        let pluginError = (error as? PluginError) ?? ((error as? RPCError)?.cause as? PluginError)
        self.counts.withLock {
            $0.made += 1
            if let pluginError {
                $0.typed["\(pluginError.code)", default: 0] += 1
            } else if let rpcError = error as? RPCError, rpcError.code == .deadlineExceeded {
                // The call's own deadline fired (GRPCCore's "timed out" when it beat the
                // supervisor's clearer notReady): an answer, not a lost call.
                $0.typed["deadlineExceeded", default: 0] += 1
            } else {
                let code = (error as? RPCError).map { "\($0.code)" } ?? "\(type(of: error))"
                $0.lost[code, default: 0] += 1
                if $0.lostExamples.count < 3 { $0.lostExamples.append("\(error)") }
            }
        }
    }

    var snapshot: Counts { self.counts.withLock { $0 } }
}

extension LoadTally.Counts {
    var failedTyped: Int { self.typed.values.reduce(0, +) }
    var lostCount: Int { self.lost.values.reduce(0, +) }

    /// The latency below which `fraction` of successful calls finished, in microseconds.
    func percentile(_ fraction: Double) -> Double {
        guard !self.latenciesMicroseconds.isEmpty else { return 0 }
        let sorted = self.latenciesMicroseconds.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}
