import Synchronization

/// A plugin's calls since its host began: counts and a latency histogram with power-of-two
/// microsecond buckets. Take two and subtract for a window (``since(_:)``).
public struct CallSummary: Sendable, Hashable {
    /// Finished calls.
    public var calls = 0
    /// Finished calls whose status was not OK.
    public var errors = 0
    /// `buckets[i]` counts calls that took less than 2^i µs (and at least 2^(i-1)).
    public var buckets = [Int](repeating: 0, count: 32)

    public init() {}

    /// The calls in `self` and not in `earlier`.
    public func since(_ earlier: CallSummary) -> CallSummary {
        var window = CallSummary()
        window.calls = self.calls - earlier.calls
        window.errors = self.errors - earlier.errors
        window.buckets = zip(self.buckets, earlier.buckets).map { $0 - $1 }
        return window
    }

    /// The upper bound of the bucket holding the `quantile` (0.99 for p99); `nil` with no calls.
    public func latency(atQuantile quantile: Double) -> Duration? {
        let total = self.buckets.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((Double(total) * quantile).rounded(.up))
        var seen = 0
        for (index, count) in self.buckets.enumerated() {
            seen += count
            if seen >= rank { return .microseconds(1 << index) }
        }
        return .microseconds(1 << (self.buckets.count - 1))
    }

    mutating func record(_ duration: Duration, failed: Bool) {
        self.calls += 1
        if failed { self.errors += 1 }
        let micros = max(Int(duration / .microseconds(1)), 0)
        let index = min(Int.bitWidth - micros.leadingZeroBitCount, self.buckets.count - 1)
        self.buckets[index] += 1
    }
}

/// Where a host's call interceptor adds to a plugin's ``CallSummary``.
final class CallSummaryRecorder: Sendable {
    private let summary = Mutex(CallSummary())

    func record(_ duration: Duration, failed: Bool) {
        self.summary.withLock { $0.record(duration, failed: failed) }
    }

    var snapshot: CallSummary { self.summary.withLock { $0 } }
}
