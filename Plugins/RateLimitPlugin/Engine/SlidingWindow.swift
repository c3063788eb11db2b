/// One key's sliding-window counter: the classic two-window estimate.
///
/// Windows are fixed slots `[k·W, (k+1)·W)` of the clock, W being the window in nanoseconds. At
/// time `now`, with `e = now − k·W` nanoseconds elapsed in the current slot `k`, `previous` the
/// units allowed in slot `k−1` and `current` those allowed in slot `k`, the units used are
///
///     used = previous × (W − e) / W + current
///
/// (exact: no rounding). A check of `cost` is allowed iff `used + cost ≤ threshold`, that is
/// `previous·(W − e) + (current + cost)·W ≤ threshold·W`; `remaining` is
/// `⌊threshold − used⌋` after the check. Without new traffic `used` never grows, so the
/// retry-after of a denied check is the first nanosecond at which it would be allowed.
struct SlidingWindow: Sendable {
    /// The current slot, `now / W`.
    private(set) var slot: UInt64
    private(set) var previous: UInt64 = 0
    private(set) var current: UInt64 = 0

    init(now: UInt64, windowNanoseconds w: UInt64) {
        self.slot = now / w
    }

    /// Spends `cost` (at least 1) if the estimate allows it; a denied check spends nothing.
    ///
    /// Denied with `retryAfterNanoseconds` = the time until `cost` would be allowed, or `nil`
    /// when `cost` exceeds the threshold (it never will).
    mutating func spend(_ cost: UInt64, threshold: UInt64, windowNanoseconds w: UInt64, now: UInt64) -> Decision {
        self.roll(now: now, windowNanoseconds: w)
        let window = UInt128(w)
        let elapsed = UInt128(now >= self.slot * w ? now - self.slot * w : 0)
        let limit = UInt128(threshold) * window
        let used = UInt128(self.previous) * (window - elapsed) + UInt128(self.current) * window
        let need = UInt128(cost) * window
        if cost <= threshold, used + need <= limit {
            self.current += cost
            return .allowed(remaining: UInt64((limit - used - need) / window))
        }
        let remaining = UInt64((limit - min(used, limit)) / window)
        guard cost <= threshold else { return .denied(remaining: remaining, retryAfterNanoseconds: nil) }
        let wait: UInt128
        if UInt128(self.current) + UInt128(cost) <= UInt128(threshold) {
            // Allowed later in this slot, once previous × (W − e) ≤ (threshold − current − cost) × W.
            let portion = (UInt128(threshold - self.current - cost) * window) / UInt128(self.previous)
            wait = window - elapsed - portion
        } else {
            // Allowed in the next slot, where `current` becomes the weighted previous count.
            let portion = (UInt128(threshold - cost) * window) / UInt128(self.current)
            wait = (window - elapsed) + (window - portion)
        }
        return .denied(remaining: remaining, retryAfterNanoseconds: wait)
    }

    /// Whether both slots are empty at `now`, so forgetting the counter changes nothing.
    func isIdle(windowNanoseconds w: UInt64, now: UInt64) -> Bool {
        var copy = self
        copy.roll(now: now, windowNanoseconds: w)
        return copy.previous == 0 && copy.current == 0
    }

    private mutating func roll(now: UInt64, windowNanoseconds w: UInt64) {
        let slot = now / w
        guard slot > self.slot else { return }
        self.previous = slot == self.slot + 1 ? self.current : 0
        self.current = 0
        self.slot = slot
    }
}
