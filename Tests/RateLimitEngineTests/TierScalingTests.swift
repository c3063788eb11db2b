import RateLimitEngine
import RateLimitServiceSet
import Testing

/// A key's tier multiplies its rule's threshold and burst, and its budget is kept and dropped
/// under the scaled rule.
@Suite("Tier multipliers in the engine")
struct TierScalingTests {
    @Test("a multiplier scales a token bucket's burst and refill, and a sliding window's threshold")
    func scales() {
        let clock = FakeClock()
        let limiter = RateLimiter(clock: clock)
        #expect(
            limiter.apply(
                .version(
                    1,
                    [
                        .tokenBucket("bucket", resource: "b", threshold: 2, windowMs: 1000, burst: 3),
                        .slidingWindow("window", resource: "w", threshold: 4, windowMs: 60_000),
                    ])
            ).applied)
        let bucketAllowed = (1...40).filter { _ in limiter.check(resource: "b", key: "premium", multiplier: 10).allowed
        }.count
        #expect(bucketAllowed == 30)
        #expect((1...5).filter { _ in limiter.check(resource: "b", key: "standard").allowed }.count == 3)
        clock.advance(milliseconds: 100)  // 2 × 10 per second refills 2 in 100 ms
        #expect(limiter.check(resource: "b", key: "premium", cost: 2, multiplier: 10).allowed)
        #expect(!limiter.check(resource: "b", key: "premium", multiplier: 10).allowed)

        let windowAllowed = (1...50).filter { _ in limiter.check(resource: "w", key: "premium", multiplier: 10).allowed
        }.count
        #expect(windowAllowed == 40)
        #expect((1...5).filter { _ in limiter.check(resource: "w", key: "standard").allowed }.count == 4)
    }

    @Test("0 and 1 leave the rule unchanged")
    func unchanged() {
        let limiter = RateLimiter(clock: FakeClock())
        #expect(limiter.apply(.version(1, [.tokenBucket("r", threshold: 3, windowMs: 1000)])).applied)
        #expect((1...5).filter { _ in limiter.check(resource: "x", key: "zero", multiplier: 0).allowed }.count == 3)
        #expect((1...5).filter { _ in limiter.check(resource: "x", key: "one", multiplier: 1).allowed }.count == 3)
    }

    @Test("a key checked with another multiplier than its budget's starts afresh")
    func multiplierChange() {
        let limiter = RateLimiter(clock: FakeClock())
        #expect(limiter.apply(.version(1, [.tokenBucket("r", threshold: 2, windowMs: 60_000)])).applied)
        #expect(limiter.check(resource: "x", key: "k", cost: 2).remaining == 0)
        #expect(!limiter.check(resource: "x", key: "k").allowed)
        let promoted = limiter.check(resource: "x", key: "k", multiplier: 5)
        #expect(promoted.allowed && promoted.remaining == 9)
        #expect(limiter.trackedKeys == 1, "one budget per (rule, key), whatever its tier")
    }

    @Test("a scaled budget is idle only when full at its own scale, and a huge multiplier saturates")
    func idleness() {
        let clock = FakeClock()
        let limiter = RateLimiter(clock: clock)
        #expect(
            limiter.apply(
                .version(
                    1,
                    [
                        .tokenBucket("r", resource: "x", threshold: 1, windowMs: 1000),
                        .tokenBucket("huge", resource: "h", threshold: UInt64.max / 2, windowMs: 1),
                    ])
            ).applied)
        #expect(limiter.check(resource: "x", key: "premium", cost: 4, multiplier: 10).remaining == 6)
        clock.advance(milliseconds: 100)  // ×10 refills 10 per second: 7 of 10, above the unscaled rule's full 1
        #expect(limiter.stats().rules.first?.trackedKeys == 1)
        #expect(limiter.check(resource: "x", key: "premium", multiplier: 10).remaining == 6)
        clock.advance(milliseconds: 1000)
        #expect(limiter.stats().rules.first?.trackedKeys == 0, "full again at ×10: dropped")

        let saturated = limiter.check(resource: "h", key: "k", cost: UInt64.max - 1, multiplier: UInt32.max)
        #expect(saturated.allowed && saturated.remaining == 1)
    }
}
