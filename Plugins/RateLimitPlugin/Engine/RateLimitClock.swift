/// A monotonic clock for the limiter, in nanoseconds from an arbitrary origin that never moves.
///
/// Sliding windows are aligned to multiples of their length on this clock. Tests inject a clock
/// they advance by hand; production uses ``SystemRateLimitClock``.
public protocol RateLimitClock: Sendable {
    /// Nanoseconds since the clock's origin; never decreases.
    func now() -> UInt64
}

/// `ContinuousClock`, measured from the moment this value was made.
public struct SystemRateLimitClock: RateLimitClock {
    private let origin: ContinuousClock.Instant

    public init() {
        self.origin = ContinuousClock.now
    }

    public func now() -> UInt64 {
        let (seconds, attoseconds) = (ContinuousClock.now - self.origin).components
        return UInt64(max(seconds, 0)) &* 1_000_000_000 &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
