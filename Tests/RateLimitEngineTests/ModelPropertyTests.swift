import PlugboardTestSupport
import RateLimitEngine
import RateLimitServiceSet
import Testing

/// Random check sequences run against the engine and ``ReferenceModel`` side by side: every
/// decision, `remaining` and matched rule must agree, and every retry-after must be exact (allowed
/// at `now + retry`, still denied a millisecond earlier).
@Suite("Engine against the reference model")
struct ModelPropertyTests {
    static let resources = ["api/login", "api/search", "api/", "static/logo.png", "admin"]
    static let keys = ["tenant-a", "tenant-b", "user-1", "user-2", ""]

    /// A random rule set over the resources and keys above, with windows of 1 ms to 2 s.
    static func randomRules(_ rng: inout SeededGenerator, strategies: [Ratelimit_V1_Strategy]) -> [Ratelimit_V1_Rule] {
        let shapes: [(resource: String, key: String)] = [
            ("api/login", "*"), ("api/*", "tenant-*"), ("admin", "user-1"), ("*", "*"),
        ]
        return shapes.enumerated().map { index, shape in
            let strategy = strategies.randomElement(using: &rng)!
            let threshold = UInt64.random(in: 1...12, using: &rng)
            let windowMs = [1, 7, 50, 100, 1000, 2000].randomElement(using: &rng)!
            return strategy == .tokenBucket
                ? .tokenBucket(
                    "r\(index)", resource: shape.resource, key: shape.key, threshold: threshold,
                    windowMs: UInt64(windowMs),
                    burst: [0, 1, UInt64.random(in: 1...20, using: &rng)].randomElement(using: &rng)!)
                : .slidingWindow(
                    "r\(index)", resource: shape.resource, key: shape.key, threshold: threshold,
                    windowMs: UInt64(windowMs))
        }
    }

    /// How far to move the clock: often not at all, often to exactly a window edge (or 1 ns
    /// either side), sometimes by random amounts up to several windows.
    static func randomStep(_ rng: inout SeededGenerator, now: UInt64, rules: [Ratelimit_V1_Rule]) -> UInt64 {
        let w = rules.randomElement(using: &rng)!.windowMs * 1_000_000
        let toEdge = w - now % w
        switch UInt64.random(in: 0..<20, using: &rng) {
        case 0...7: return 0
        case 8, 9: return toEdge
        case 10: return toEdge - 1
        case 11: return toEdge + 1
        case 12: return toEdge + w * UInt64.random(in: 1...2, using: &rng)
        case 13...16: return UInt64.random(in: 1...max(1, w / 20), using: &rng)
        default: return UInt64.random(in: 1...1_000_000, using: &rng)
        }
    }

    struct Tally {
        var checks = 0
        var allowed = 0
        var denied = 0
        var retriesVerified = 0
        var never = 0
        var evicted: UInt64 = 0
    }

    func run(seed: UInt64, strategies: [Ratelimit_V1_Strategy], checks: Int) throws -> Tally {
        var rng = SeededGenerator(seed: seed)
        let clock = FakeClock(start: UInt64.random(in: 0...10_000_000_000, using: &rng))
        let limiter = RateLimiter(clock: clock, maxTrackedKeys: 10_000)
        var model = ReferenceModel()
        var rules = Self.randomRules(&rng, strategies: strategies)
        var version: UInt64 = 1
        #expect(limiter.apply(.version(version, rules)).applied)
        model.apply(rules)
        var tally = Tally()
        for step in 0..<checks {
            if UInt64.random(in: 0..<400, using: &rng) == 0 {
                // Re-apply: the same rules (budgets must survive) or one rule changed (its budgets reset).
                if Bool.random(using: &rng) { rules[Int.random(in: 0..<rules.count, using: &rng)].threshold += 1 }
                version += 1
                #expect(limiter.apply(.version(version, rules)).applied)
                model.apply(rules)
            }
            clock.advance(nanoseconds: Self.randomStep(&rng, now: clock.now(), rules: rules))
            let resource = Self.resources.randomElement(using: &rng)!
            let key = Self.keys.randomElement(using: &rng)!
            let cost =
                UInt64.random(in: 0..<16, using: &rng) == 0
                ? UInt64.random(in: 0...25, using: &rng) : UInt64.random(in: 0...3, using: &rng)
            let now = clock.now()
            let before = model
            let expected = model.check(resource: resource, key: key, cost: cost, now: now)
            let actual = limiter.check(resource: resource, key: key, cost: cost)
            let context = Comment(rawValue: "seed \(seed) step \(step): \(resource) \(key) cost \(cost) at \(now)")
            try #require(actual.allowed == expected.allowed, context)
            #expect(actual.remaining == expected.remaining, context)
            #expect(actual.matchedRuleId == expected.ruleID, context)
            #expect(actual.ruleSetVersion == version, context)
            tally.checks += 1
            if actual.allowed {
                tally.allowed += 1
                #expect(actual.retryAfterMs == 0, context)
            } else if actual.retryAfterMs == RateLimiter.retryNever {
                tally.never += 1
                let allowedMuchLater = before.wouldAllow(
                    resource: resource, key: key, cost: cost, at: now + 1_000_000_000_000)
                #expect(!allowedMuchLater, context)
            } else {
                tally.denied += 1
                let retry = actual.retryAfterMs * 1_000_000
                #expect(actual.retryAfterMs >= 1, context)
                let allowedAtRetry = before.wouldAllow(resource: resource, key: key, cost: cost, at: now + retry)
                let allowedJustBefore = before.wouldAllow(
                    resource: resource, key: key, cost: cost, at: now + retry - 1_000_000)
                #expect(allowedAtRetry && !allowedJustBefore, context)
                tally.retriesVerified += 1
            }
        }
        let stats = limiter.stats()
        #expect(stats.allowed == model.allowed)
        #expect(stats.denied == model.denied)
        #expect(stats.checks == UInt64(checks))
        tally.evicted = stats.evictedKeys
        return tally
    }

    @Test("token bucket and sliding window rules mixed", arguments: 0..<12)
    func mixed(seed: UInt64) throws {
        let tally = try self.run(seed: seed, strategies: [.tokenBucket, .slidingWindow], checks: 3000)
        #expect(tally.allowed > 0 && tally.denied > 0)
        print("model-vs-engine mixed seed \(seed): \(tally)")
    }

    @Test("token bucket rules only", arguments: 100..<106)
    func tokenBucket(seed: UInt64) throws {
        let tally = try self.run(seed: seed, strategies: [.tokenBucket], checks: 3000)
        #expect(tally.allowed > 0 && tally.denied > 0)
        print("model-vs-engine token-bucket seed \(seed): \(tally)")
    }

    @Test("sliding window rules only", arguments: 200..<206)
    func slidingWindow(seed: UInt64) throws {
        let tally = try self.run(seed: seed, strategies: [.slidingWindow], checks: 3000)
        #expect(tally.allowed > 0 && tally.denied > 0)
        print("model-vs-engine sliding-window seed \(seed): \(tally)")
    }
}
