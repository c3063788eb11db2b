import RateLimitEngine
import RateLimitServiceSet
import Testing

/// Many tasks check one key at once on a frozen clock: no interleaving lets more through than the
/// rule allows.
@Suite("Concurrent checks")
struct ConcurrencyTests {
    static let tasks = 16
    static let checksPerTask = 400

    /// Runs `tasks × checksPerTask` checks of `cost` on one key and returns the units allowed.
    func hammer(_ limiter: RateLimiter, cost: @escaping @Sendable (Int) -> UInt64) async -> UInt64 {
        await withTaskGroup(of: UInt64.self) { group in
            for task in 0..<Self.tasks {
                group.addTask {
                    var units: UInt64 = 0
                    for index in 0..<Self.checksPerTask {
                        let cost = cost(task * Self.checksPerTask + index)
                        if limiter.check(resource: "api/orders", key: "tenant-a", cost: cost).allowed {
                            units += max(cost, 1)
                        }
                    }
                    return units
                }
            }
            return await group.reduce(0, +)
        }
    }

    @Test("a token bucket with full burst allows exactly its burst", arguments: [1, 1000, 2500] as [UInt64])
    func tokenBucketExact(burst: UInt64) async {
        let limiter = RateLimiter(clock: FakeClock())
        #expect(
            limiter.apply(
                .version(1, [.tokenBucket("orders", resource: "api/*", threshold: 10, windowMs: 1000, burst: burst)])
            ).applied)
        #expect(await self.hammer(limiter) { _ in 1 } == burst)
        #expect(limiter.stats().allowed == burst)
        #expect(limiter.stats().denied == UInt64(Self.tasks * Self.checksPerTask) - burst)
    }

    @Test("a sliding window allows exactly its threshold", arguments: [1, 700, 3000] as [UInt64])
    func slidingWindowExact(threshold: UInt64) async {
        let limiter = RateLimiter(clock: FakeClock())
        #expect(limiter.apply(.version(1, [.slidingWindow("orders", threshold: threshold, windowMs: 60_000)])).applied)
        #expect(await self.hammer(limiter) { _ in 1 } == threshold)
    }

    @Test("random costs never exceed the budget", arguments: [Ratelimit_V1_Strategy.tokenBucket, .slidingWindow])
    func randomCosts(strategy: Ratelimit_V1_Strategy) async {
        let limiter = RateLimiter(clock: FakeClock())
        let rule: Ratelimit_V1_Rule =
            strategy == .tokenBucket
            ? .tokenBucket("orders", threshold: 5, windowMs: 1000, burst: 997)
            : .slidingWindow("orders", threshold: 997, windowMs: 1000)
        #expect(limiter.apply(.version(1, [rule])).applied)
        let allowed = await self.hammer(limiter) { UInt64(($0 * 7919) % 9) }
        #expect(allowed <= 997)
        #expect(allowed >= 997 - 8)  // once nothing fits, at most a cost of 8 is left unspent
    }
}
