import RateLimitEngine
import RateLimitServiceSet
import Testing

/// Budgets stay bounded: idle ones are dropped, and past the cap the least recently used goes.
@Suite("Eviction")
struct EvictionTests {
    @Test("distinct keys never exceed the cap", arguments: [Ratelimit_V1_Strategy.tokenBucket, .slidingWindow])
    func cap(strategy: Ratelimit_V1_Strategy) {
        let limiter = RateLimiter(clock: FakeClock(), maxTrackedKeys: 100)
        let rule: Ratelimit_V1_Rule =
            strategy == .tokenBucket
            ? .tokenBucket("r", threshold: 2, windowMs: 60_000)
            : .slidingWindow("r", threshold: 2, windowMs: 60_000)
        #expect(limiter.apply(.version(1, [rule])).applied)
        for index in 0..<1_000 {
            #expect(limiter.check(resource: "api", key: "client-\(index)").allowed)
            #expect(limiter.trackedKeys <= 100)
        }
        let stats = limiter.stats()
        #expect(stats.evictedKeys == 900)
        #expect(stats.rules.first?.trackedKeys == 100)
    }

    @Test("idle budgets are dropped and counted")
    func idle() {
        let clock = FakeClock(start: 0)
        let limiter = RateLimiter(clock: clock)
        #expect(
            limiter.apply(
                .version(
                    1,
                    [
                        .tokenBucket("bucket", resource: "b", threshold: 10, windowMs: 100),
                        .slidingWindow("window", resource: "w", threshold: 10, windowMs: 100),
                    ])
            ).applied)
        for index in 0..<50 {
            _ = limiter.check(resource: "b", key: "k\(index)", cost: 3)
            _ = limiter.check(resource: "w", key: "k\(index)", cost: 3)
        }
        #expect(limiter.trackedKeys == 100)
        clock.advance(milliseconds: 29)  // 3 units refill in 30 ms: not yet
        #expect(limiter.stats().rules.map(\.trackedKeys) == [50, 50])
        clock.advance(milliseconds: 1)  // buckets full again; the window still weighs its previous slot
        var stats = limiter.stats()
        #expect(stats.rules.map(\.trackedKeys) == [0, 50])
        #expect(stats.evictedKeys == 50)
        clock.advance(milliseconds: 200)  // both slots empty
        stats = limiter.stats()
        #expect(stats.rules.map(\.trackedKeys) == [0, 0])
        #expect(stats.evictedKeys == 100)
        #expect(limiter.trackedKeys == 0)
    }

    @Test("checks drop idle least recently used budgets as they go")
    func idleOnTheWay() {
        let clock = FakeClock()
        let limiter = RateLimiter(clock: clock)
        #expect(limiter.apply(.version(1, [.tokenBucket("r", threshold: 1, windowMs: 10)])).applied)
        for index in 0..<20 { _ = limiter.check(resource: "x", key: "old-\(index)") }
        clock.advance(milliseconds: 10)
        for index in 0..<20 { _ = limiter.check(resource: "x", key: "new-\(index)") }
        #expect(limiter.trackedKeys == 20)  // each check dropped up to two idle ones
    }

    @Test("past the cap the least recently used budget goes, and that key starts afresh")
    func leastRecentlyUsed() {
        let limiter = RateLimiter(clock: FakeClock(), maxTrackedKeys: 3)
        #expect(limiter.apply(.version(1, [.slidingWindow("r", threshold: 1, windowMs: 60_000)])).applied)
        for key in ["a", "b", "c"] { #expect(limiter.check(resource: "x", key: key).allowed) }
        #expect(!limiter.check(resource: "x", key: "a").allowed)  // touches a: b is now the oldest
        #expect(limiter.check(resource: "x", key: "d").allowed)  // evicts b
        #expect(limiter.check(resource: "x", key: "b").allowed)  // forgotten, so allowed again; evicts c
        #expect(!limiter.check(resource: "x", key: "a").allowed)
        #expect(!limiter.check(resource: "x", key: "d").allowed)
        #expect(limiter.stats().evictedKeys == 2)
    }
}
