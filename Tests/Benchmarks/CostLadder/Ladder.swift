import Foundation
import PlugboardCore
import PlugboardTestSupport

/// Measures a rung, given the layer's round trip: a layer's client calls it inside the scope in
/// which it is connected.
typealias Measure = (_ roundTrip: () async throws -> Void) async throws -> Rung.Result

/// What one rung measured.
enum Rung {
    struct Result: Encodable {
        var key: String
        var label: String
        var roundTrips: Int
        var p50Us: Double
        var p99Us: Double
        /// CPU µs per round trip: this process, and the peer (0 for one-process rungs).
        var cpuUs: Double
        var peerCPUUs: Double
        /// Context switches per round trip, both processes.
        var contextSwitches: Double

        enum CodingKeys: String, CodingKey {
            case key, label
            case roundTrips = "round_trips"
            case p50Us = "p50_us"
            case p99Us = "p99_us"
            case cpuUs = "cpu_us"
            case peerCPUUs = "peer_cpu_us"
            case contextSwitches = "context_switches"
        }
    }
}

/// Runs rungs for `duration` each, after a warm-up.
struct Ladder {
    /// Every rung, bottom up: its key and what it measures.
    static let rungs = [
        ("raw", "raw unix socket, blocking read and write"),
        ("nio", "bare swift-nio, an NIOAsyncChannel each side"),
        ("own", "own HTTP/2 both ends, no swift-nio: the caller writes, a thread polling the socket resumes it"),
        ("own_nio", "the own server; the own client on swift-nio (a hop to its event loop and back)"),
        ("lean_own", "the own server; the lean rung's client (Plugboard's HTTP/2 codec and connection handler)"),
        ("lean_nio_own", "the lean rung's client; the own server's HTTP/2 on swift-nio"),
        ("lean", "Plugboard's transport, no GRPCCore client or server"),
        ("grpc", "GRPCCore unary call over Plugboard's transport, no host"),
        ("direct", "GRPCCore client, the server running the method directly (as a plugin does), no host"),
        ("in_process", "GRPCCore unary call, in-process transport"),
    ]

    let duration: Duration
    private let clock = ContinuousClock()

    /// A rung whose far end is `cost-ladder --peer KEY PATH`, started here and stopped after.
    func twoProcesses(
        _ key: String, _ label: String, _ client: (_ path: String, _ measure: Measure) async throws -> Rung.Result
    ) async throws -> Rung.Result {
        let path = "/tmp/cost-ladder-\(getpid())-\(key).sock"
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        peer.arguments = ["--peer", key, path]
        let ready = Pipe()
        peer.standardOutput = ready
        try peer.run()
        defer {
            peer.terminate()
            peer.waitUntilExit()
            unlink(path)
        }
        _ = ready.fileHandleForReading.availableData  // the peer's "ready" line
        return try await client(path) { try await self.measure(key, label, $0, peer: peer.processIdentifier) }
    }

    /// A rung in this process alone.
    func oneProcess(_ key: String, _ label: String, _ client: (_ measure: Measure) async throws -> Rung.Result)
        async throws -> Rung.Result
    {
        try await client { try await self.measure(key, label, $0, peer: nil) }
    }

    private func measure(_ key: String, _ label: String, _ roundTrip: () async throws -> Void, peer: Int32?)
        async throws -> Rung.Result
    {
        let warmUp = self.clock.now + .milliseconds(300)
        while self.clock.now < warmUp { try await roundTrip() }
        let (mine, theirs) = (ProcessUsage.current, peer.map(ProcessUsage.of))
        var times: [Duration] = []
        times.reserveCapacity(100_000)
        let end = self.clock.now + self.duration
        while self.clock.now < end {
            let began = self.clock.now
            try await roundTrip()
            times.append(self.clock.now - began)
        }
        let used = ProcessUsage.current - mine
        let peerUsed = peer.map { ProcessUsage.of($0) - theirs! }
        times.sort()
        let count = Double(times.count)
        func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
        return Rung.Result(
            key: key, label: label, roundTrips: times.count,
            p50Us: rounded(times[times.count / 2].microseconds),
            p99Us: rounded(times[times.count * 99 / 100].microseconds),
            cpuUs: rounded(used.cpu.microseconds / count),
            peerCPUUs: rounded((peerUsed?.cpu ?? .zero).microseconds / count),
            contextSwitches: (Double(used.contextSwitches + (peerUsed?.contextSwitches ?? 0)) / count * 100).rounded()
                / 100)
    }
}
