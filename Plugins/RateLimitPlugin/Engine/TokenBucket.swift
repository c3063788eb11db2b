/// One key's token bucket, in exact integer arithmetic.
///
/// The level is kept in units of 1/W of a token, W being the window in nanoseconds, so refilling
/// `threshold` tokens per window adds exactly `threshold` units per nanosecond and nothing is
/// ever rounded. A new bucket is full; the level never exceeds `capacity × W`.
struct TokenBucket: Sendable {
    /// Tokens × W.
    private(set) var level: UInt128
    /// When `level` was last brought up to date.
    private(set) var updated: UInt64

    init(full capacity: UInt64, windowNanoseconds: UInt64, now: UInt64) {
        self.level = UInt128(capacity) * UInt128(windowNanoseconds)
        self.updated = now
    }

    /// Spends `cost` (at least 1) if the bucket holds it; a denied check spends nothing.
    ///
    /// Denied with `retryAfterNanoseconds` = the time until the bucket holds `cost`, or `nil` when
    /// `cost` exceeds the capacity (it never will).
    mutating func spend(_ cost: UInt64, threshold: UInt64, capacity: UInt64, windowNanoseconds w: UInt64, now: UInt64)
        -> Decision
    {
        self.refill(threshold: threshold, capacity: capacity, windowNanoseconds: w, now: now)
        let window = UInt128(w)
        let need = UInt128(cost) * window
        if cost <= capacity, need <= self.level {
            self.level -= need
            return .allowed(remaining: UInt64(self.level / window))
        }
        let remaining = UInt64(self.level / window)
        guard cost <= capacity else { return .denied(remaining: remaining, retryAfterNanoseconds: nil) }
        let deficit = need - self.level
        let wait = (deficit + UInt128(threshold) - 1) / UInt128(threshold)
        return .denied(remaining: remaining, retryAfterNanoseconds: wait)
    }

    /// Whether the bucket is full again at `now`, so forgetting it changes nothing.
    func isIdle(threshold: UInt64, capacity: UInt64, windowNanoseconds w: UInt64, now: UInt64) -> Bool {
        var copy = self
        copy.refill(threshold: threshold, capacity: capacity, windowNanoseconds: w, now: now)
        return copy.level == UInt128(capacity) * UInt128(w)
    }

    private mutating func refill(threshold: UInt64, capacity: UInt64, windowNanoseconds w: UInt64, now: UInt64) {
        guard now > self.updated else { return }
        let full = UInt128(capacity) * UInt128(w)
        let added = UInt128(threshold) * UInt128(now - self.updated)
        self.level = full - self.level <= added ? full : self.level + added
        self.updated = now
    }
}
