import PlugboardCore
import PlugboardSystem
import PlugboardTestSupport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Keeps `places` decimal places (one unless asked), as echo-host does.
func rounded(_ value: Double, places: Int = 1) -> Double {
    let scale = (0..<places).reduce(1.0) { scale, _ in scale * 10 }
    return (value * scale).rounded() / scale
}

/// The middle element of the sorted samples (the upper one of two), as echo-host picks it.
func median(_ samples: [Duration]) -> Duration {
    let sorted = samples.sorted()
    return sorted[sorted.count / 2]
}

/// Peak resident set sizes: the VmHWM line of `/proc/PID/status`, in KiB, as echo-host reads them.
/// (getrusage's RUSAGE_CHILDREN is no substitute: a child spawned with CLONE_VM, as glibc's
/// `posix_spawn` does, inherits its parent's peak.)
enum PeakMemory {
    /// This process's peak RSS so far.
    static var host: Int { Self.peak(of: "self") }

    /// The peak RSS of the process `pid` so far, or 0 if it cannot be read.
    static func peak(of pid: Int32) -> Int { Self.peak(of: String(pid)) }

    private static func peak(of process: String) -> Int { ProcessStatus(of: process)?["VmHWM"] ?? 0 }
}

/// The CPU time the host and the plugin `pid` spent per unit of work while `body` ran: `body`
/// returns a rate (units per second), and the units are that rate over the elapsed time.
struct CPUCost: Encodable, Sendable {
    var hostMicroseconds = 0.0
    var pluginMicroseconds = 0.0

    enum CodingKeys: String, CodingKey {
        case hostMicroseconds = "host"
        case pluginMicroseconds = "plugin"
    }

    static func measuring(plugin pid: Int32, _ body: () async throws -> Double) async throws -> (Double, CPUCost) {
        let clock = ContinuousClock()
        let (hostBefore, pluginBefore, began) = (ProcessUsage.current.cpu, ProcessUsage.of(pid).cpu, clock.now)
        let rate = try await body()
        let units = rate * (clock.now - began).seconds
        let cost = CPUCost(
            hostMicroseconds: ((ProcessUsage.current.cpu - hostBefore).microseconds / units * 100).rounded() / 100,
            pluginMicroseconds: ((ProcessUsage.of(pid).cpu - pluginBefore).microseconds / units * 100).rounded() / 100)
        return (rate, cost)
    }
}
