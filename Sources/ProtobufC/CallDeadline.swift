public import GRPCCore
internal import Synchronization

/// The deadline of a direct unary call with a timeout: its transport times it (Plugboard's, on
/// the connection's event loop) and ends the call's stream with ``error`` when it passes first,
/// where GRPCCore races the call against a sleeping task.
package final class CallDeadline: Sendable {
    /// When the call times out.
    package let instant: ContinuousClock.Instant
    private let passed = Atomic(false)

    /// What a call that timed out throws, in GRPCCore's words.
    package static let error = RPCError(code: .deadlineExceeded, message: "RPC timed out before completing")

    init(after timeout: Duration) {
        self.instant = ContinuousClock.now + timeout
    }

    /// Whether the deadline passed before the call was done.
    var hasPassed: Bool { self.passed.load(ordering: .acquiring) }

    /// The transport's timer fired: the call is over, with ``error``.
    package func pass() {
        self.passed.store(true, ordering: .releasing)
    }

    /// The `grpc-timeout` for a request sent now: the time left, as GRPCCore encodes it (at most
    /// eight digits, in the finest unit that holds them, rounded up).
    var grpcTimeout: String {
        Self.encode(ContinuousClock.now.duration(to: self.instant))
    }

    package static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int64(Double(attoseconds) / 1e9)
        if seconds == 0 { return Self.rounded(nanoseconds, unit: 0) }
        if seconds > Self.largestAmount { return Self.rounded(seconds, unit: 3) }
        if nanoseconds / 1000 == 0 { return "\(seconds)S" }
        return Self.rounded(seconds * 1_000_000 + nanoseconds / 1000, unit: 1)
    }

    private static let largestAmount: Int64 = 99_999_999
    /// From the finest: nanoseconds, microseconds, milliseconds, seconds, minutes, hours; and how
    /// many of each the next one holds.
    private static let units: [(symbol: Character, perNext: Int64)] = [
        ("n", 1000), ("u", 1000), ("m", 1000), ("S", 60), ("M", 60), ("H", 0),
    ]

    private static func rounded(_ amount: Int64, unit: Int) -> String {
        var amount = max(amount, 0)
        var unit = unit
        while amount > Self.largestAmount {
            let perNext = Self.units[unit].perNext
            guard perNext > 0 else {
                amount = Self.largestAmount
                break
            }
            let (quotient, remainder) = amount.quotientAndRemainder(dividingBy: perNext)
            amount = quotient + (remainder == 0 ? 0 : 1)
            unit += 1
        }
        return "\(amount)\(Self.units[unit].symbol)"
    }
}
