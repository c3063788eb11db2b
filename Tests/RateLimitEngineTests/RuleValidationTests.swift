import RateLimitEngine
import RateLimitServiceSet
import Testing

/// Invalid rule sets are refused with every problem named, and the previous set stays active.
@Suite("Rule validation")
struct RuleValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rule: Ratelimit_V1_Rule
        var reason: String
        var testDescription: String { self.name }
    }

    static let good = Ratelimit_V1_Rule.tokenBucket("good", resource: "api/*", threshold: 5, windowMs: 1000)

    static func bad(_ name: String, reason: String, _ change: (inout Ratelimit_V1_Rule) -> Void) -> Case {
        var rule = Ratelimit_V1_Rule.tokenBucket(
            "bad", resource: "api/search", key: "tenant-*", threshold: 3, windowMs: 500)
        change(&rule)
        return Case(name: name, rule: rule, reason: reason)
    }

    static let cases: [Case] = [
        bad("empty id", reason: "has no id") { $0.id = "" },
        bad("duplicate id", reason: "already used by the rule at index 0") { $0.id = "good" },
        bad("threshold 0", reason: "threshold is 0") { $0.threshold = 0 },
        bad("window 0", reason: "window_ms is 0") { $0.windowMs = 0 },
        bad("window too long", reason: "window_ms is 31622400001; it must be at most 31622400000") {
            $0.windowMs = 31_622_400_001
        },
        bad("burst too large", reason: "burst is 1000000001; it must be at most 1000000000") {
            $0.burst = 1_000_000_001
        },
        bad("burst on a sliding window", reason: "only STRATEGY_TOKEN_BUCKET has a burst") {
            $0.strategy = .slidingWindow
            $0.burst = 4
        },
        bad("unspecified strategy", reason: "strategy is STRATEGY_UNSPECIFIED") { $0.strategy = .unspecified },
        bad("unknown strategy", reason: "strategy 9 is unknown") { $0.strategy = .unrecognized(9) },
        bad("empty resource", reason: "resource is empty") { $0.resource = "" },
        bad("inner star in resource", reason: "resource \"api/*/x\" has a `*` before its end") {
            $0.resource = "api/*/x"
        },
        bad("double star in key", reason: "key \"**\" has a `*` before its end") { $0.key = "**" },
        bad("empty key", reason: "key is empty") { $0.key = "" },
    ]

    func limiterWithVersion1() -> RateLimiter {
        let limiter = RateLimiter(clock: FakeClock())
        #expect(
            limiter.apply(.version(1, [.slidingWindow("old", resource: "api/search", threshold: 1, windowMs: 60_000)]))
                .applied)
        return limiter
    }

    @Test("each invalid rule is named with its reason and the old set stays", arguments: cases)
    func invalidRule(_ invalid: Case) {
        let limiter = self.limiterWithVersion1()
        let response = limiter.apply(.version(2, [Self.good, invalid.rule]))
        #expect(!response.applied)
        #expect(response.activeVersion == 1)
        #expect(response.rejections.count == 1, "\(response.rejections)")
        let rejection = response.rejections.first
        #expect(rejection?.ruleId == invalid.rule.id)
        #expect(rejection?.index == 1)
        #expect(rejection?.reason.contains(invalid.reason) == true, "\(rejection?.reason ?? "")")
        // The old rule still decides: its one unit, then a denial under rule set 1.
        let first = limiter.check(resource: "api/search", key: "tenant-a", cost: 1)
        #expect(first.allowed && first.matchedRuleId == "old" && first.ruleSetVersion == 1)
        #expect(!limiter.check(resource: "api/search", key: "tenant-a", cost: 1).allowed)
        #expect(limiter.activeVersion == 1)
    }

    @Test("the version must increase", arguments: [0, 1] as [UInt64])
    func versionMustIncrease(version: UInt64) {
        let limiter = self.limiterWithVersion1()
        let response = limiter.apply(.version(version, [Self.good]))
        #expect(!response.applied && response.activeVersion == 1)
        #expect(response.rejections.map(\.index) == [-1])
        #expect(response.rejections.first?.ruleId == "")
        #expect(
            response.rejections.first?.reason
                == "version \(version) is not greater than the active version 1; send a higher version")
        #expect(limiter.check(resource: "api/search", key: "k").matchedRuleId == "old")
    }

    @Test("every problem is collected, across rules and within one rule")
    func collectsAll() {
        let limiter = self.limiterWithVersion1()
        let broken = Ratelimit_V1_Rule.with {
            $0.id = "broken"
            $0.resource = "a*b"
        }
        let response = limiter.apply(.version(1, [Self.good, broken, Self.good]))
        #expect(!response.applied)
        let summary = response.rejections.map { "\($0.index) \($0.ruleId)" }
        #expect(
            summary == ["-1 ", "1 broken", "1 broken", "1 broken", "1 broken", "1 broken", "2 good"],
            "\(response.rejections)")
        #expect(response.rejections.contains { $0.reason.hasPrefix("key is empty") })
        #expect(response.rejections.contains { $0.reason.hasPrefix("threshold is 0") })
        #expect(response.rejections.contains { $0.reason.hasPrefix("window_ms is 0") })
        #expect(response.rejections.contains { $0.reason.hasPrefix("strategy is STRATEGY_UNSPECIFIED") })
    }

    @Test("valid patterns and an empty set are accepted")
    func acceptsValid() {
        let limiter = self.limiterWithVersion1()
        let rules: [Ratelimit_V1_Rule] = [
            .tokenBucket(
                "exact", resource: "api/login", key: "user-1", threshold: 1, windowMs: 1, burst: 1_000_000_000),
            .slidingWindow("prefix", resource: "api/*", key: "tenant-*", threshold: .max, windowMs: 31_622_400_000),
            .tokenBucket("all", threshold: 1, windowMs: 1),
        ]
        #expect(
            limiter.apply(.version(7, rules))
                == .with {
                    $0.applied = true; $0.activeVersion = 7
                })
        #expect(limiter.apply(.version(8, [])).applied)
        #expect(
            limiter.check(resource: "api/login", key: "user-1", cost: 1_000)
                == .with {
                    $0.allowed = true
                    $0.remaining = RateLimiter.unlimited
                    $0.ruleSetVersion = 8
                })
    }
}
