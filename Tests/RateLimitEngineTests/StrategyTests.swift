import RateLimitEngine
import RateLimitServiceSet
import Testing

/// Hand-worked examples of each strategy, matching, costs and retry-after.
@Suite("Strategies and matching")
struct StrategyTests {
    func limiter(_ rules: [Ratelimit_V1_Rule], clock: FakeClock = FakeClock(start: 0)) -> RateLimiter {
        let limiter = RateLimiter(clock: clock)
        #expect(limiter.apply(.version(1, rules)).applied)
        return limiter
    }

    @Test("token bucket: burst, refill, retry-after")
    func tokenBucket() {
        let clock = FakeClock(start: 0)
        let limiter = self.limiter([.tokenBucket("tb", threshold: 10, windowMs: 1000, burst: 20)], clock: clock)
        #expect(limiter.check(resource: "r", key: "k", cost: 20).remaining == 0)
        let denied = limiter.check(resource: "r", key: "k", cost: 3)
        #expect(!denied.allowed && denied.retryAfterMs == 300 && denied.remaining == 0)
        clock.advance(milliseconds: 299)
        #expect(!limiter.check(resource: "r", key: "k", cost: 3).allowed)
        clock.advance(milliseconds: 1)
        #expect(limiter.check(resource: "r", key: "k", cost: 3).allowed)
    }

    @Test("cost 0 counts as 1; a cost over the capacity is never allowed")
    func costs() {
        let limiter = self.limiter([
            .slidingWindow("sw", resource: "s", threshold: 5, windowMs: 1000),
            .tokenBucket("tb", threshold: 5, windowMs: 1000),
        ])
        #expect(limiter.check(resource: "r", key: "k", cost: 0).remaining == 4)
        let tooBig = limiter.check(resource: "r", key: "k", cost: 6)
        #expect(!tooBig.allowed && tooBig.retryAfterMs == RateLimiter.retryNever && tooBig.remaining == 4)
        #expect(limiter.check(resource: "s", key: "k", cost: .max).retryAfterMs == RateLimiter.retryNever)
        #expect(limiter.check(resource: "s", key: "k", cost: 5).allowed)
    }

    @Test("sliding window: the previous slot weighs by its overlap")
    func slidingWindow() {
        let clock = FakeClock(start: 0)
        let limiter = self.limiter([.slidingWindow("sw", threshold: 10, windowMs: 1000)], clock: clock)
        #expect(limiter.check(resource: "r", key: "k", cost: 10).allowed)
        clock.advance(milliseconds: 1250)  // previous = 10 weighs 0.75: 7.5 used
        let denied = limiter.check(resource: "r", key: "k", cost: 3)
        #expect(!denied.allowed && denied.remaining == 2)
        #expect(denied.retryAfterMs == 50)  // at 1300 ms: 10 × 0.7 = 7, + 3 = 10
        let allowed = limiter.check(resource: "r", key: "k", cost: 2)
        #expect(allowed.allowed && allowed.remaining == 0)
        clock.advance(milliseconds: 50)
        #expect(!limiter.check(resource: "r", key: "k", cost: 3).allowed)  // the 2 spent since count too
        // Current slot full: wait into the next slot, where 2 weigh by their overlap.
        let full = limiter.check(resource: "r", key: "k", cost: 9)
        #expect(!full.allowed && full.retryAfterMs == 700 + 500)  // at 2500 ms: 2 × 0.5 = 1, + 9 = 10
    }

    @Test("the first matching rule decides; each key has its own budget")
    func matching() {
        let limiter = self.limiter([
            .tokenBucket("login", resource: "api/login", threshold: 1, windowMs: 60_000),
            .tokenBucket("tenants", resource: "api/*", key: "tenant-*", threshold: 2, windowMs: 60_000),
            .tokenBucket("rest", threshold: 3, windowMs: 60_000),
        ])
        #expect(limiter.check(resource: "api/login", key: "tenant-a").matchedRuleId == "login")
        #expect(limiter.check(resource: "api/orders", key: "tenant-a").matchedRuleId == "tenants")
        #expect(limiter.check(resource: "api/orders", key: "tenant-a").remaining == 0)
        #expect(limiter.check(resource: "api/users", key: "tenant-a").allowed == false)  // same rule and key: shared
        #expect(limiter.check(resource: "api/orders", key: "tenant-b").allowed)
        #expect(limiter.check(resource: "api/orders", key: "user-1").matchedRuleId == "rest")
        #expect(limiter.check(resource: "apix", key: "tenant-a").matchedRuleId == "rest")
    }

    @Test("re-applying an unchanged rule keeps its budgets; changing it resets them")
    func reapply() {
        let limiter = self.limiter([.tokenBucket("a", threshold: 1, windowMs: 60_000)])
        #expect(limiter.check(resource: "r", key: "k").allowed)
        #expect(limiter.apply(.version(2, [.tokenBucket("a", threshold: 1, windowMs: 60_000)])).applied)
        #expect(!limiter.check(resource: "r", key: "k").allowed)
        #expect(limiter.apply(.version(3, [.tokenBucket("a", threshold: 2, windowMs: 60_000)])).applied)
        #expect(limiter.check(resource: "r", key: "k").remaining == 1)
        let rule = limiter.stats().rules.first
        #expect(rule?.allowed == 2 && rule?.denied == 1)
    }
}
