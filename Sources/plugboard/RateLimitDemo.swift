import PlugboardHost
import RateLimitServiceSet

/// Applies rules, shows a refused rule set, and runs a burst of checks against the ratelimit
/// plugin, which calls the host back through the broker for each new key's tier.
struct RateLimitDemo {
    let plugin: RunningPlugin

    func run() async throws {
        let limiter = Ratelimit_V1_RateLimiter.Client(wrapping: self.plugin.client)
        print("\n== ratelimit: rules ==")
        let directory = PremiumTierDirectory { key, answer in
            print("← callback: plugin asked the host for key \(key)'s tier → \(answer.tier) ×\(answer.multiplier)")
        }
        let directoryID = self.plugin.broker.nextID()
        try await self.plugin.broker.serve(id: directoryID, services: [directory])
        print(
            "tier directory: served by the host through the broker as id \(directoryID) (\(PremiumTierDirectory.prefix)* keys: premium ×\(PremiumTierDirectory.multiplier), others: standard ×1)"
        )
        let rules = Ratelimit_V1_RuleSet.with {
            $0.version = 1
            $0.rules = [
                .with {
                    $0.id = "api-per-client"; $0.resource = "api/*"; $0.key = "*"; $0.threshold = 5; $0.windowMs = 1000;
                    $0.burst = 5; $0.strategy = .tokenBucket
                },
                .with {
                    $0.id = "login-sliding"; $0.resource = "login"; $0.key = "*"; $0.threshold = 3;
                    $0.windowMs = 60_000; $0.strategy = .slidingWindow
                },
            ]
        }
        let applied = try await limiter.applyRules(
            .with {
                $0.ruleSet = rules; $0.tierDirectory = directoryID
            })
        print(
            "rule set v1: \(applied.applied ? "applied" : "refused"), active version \(applied.activeVersion), tier directory id \(directoryID)"
        )
        let broken = Ratelimit_V1_RuleSet.with {
            $0.version = 2
            $0.rules = [
                .with {
                    $0.id = "no-window"; $0.resource = "api/*"; $0.key = "*"; $0.threshold = 10;
                    $0.strategy = .tokenBucket
                },
                .with {
                    $0.id = "zero"; $0.resource = "api/*"; $0.key = "*"; $0.threshold = 0; $0.windowMs = 1000
                },
            ]
        }
        let refused = try await limiter.applyRules(.with { $0.ruleSet = broken })
        print("rule set v2: \(refused.applied ? "applied" : "refused"); v\(refused.activeVersion) stays active")
        for rejection in refused.rejections {
            print("  rule \(rejection.index) \"\(rejection.ruleId)\": \(rejection.reason)")
        }

        print(
            "\n== ratelimit: a burst of 8 checks from client-a, then from premium-7 (same rule, its tier ×\(PremiumTierDirectory.multiplier)), then client-b, then logins =="
        )
        for attempt in 1...8 { try await self.check(limiter, "api/orders", "client-a", attempt) }
        for attempt in 1...8 { try await self.check(limiter, "api/orders", "premium-7", attempt) }
        try await self.check(limiter, "api/orders", "client-b", 1)
        for attempt in 1...5 { try await self.check(limiter, "login", "alice", attempt) }
        let stats = try await limiter.stats(Ratelimit_V1_StatsRequest())
        print(
            "stats: \(stats.checks) checks, \(stats.allowed) allowed, \(stats.denied) denied; \(stats.tierLookups) tier lookups, each a callback to the host (it served \(directory.lookupsServed))"
        )
    }

    private func check(
        _ limiter: Ratelimit_V1_RateLimiter.Client<some Sendable>, _ resource: String, _ key: String, _ attempt: Int
    ) async throws {
        let result = try await limiter.check(
            .with {
                $0.resource = resource; $0.key = key; $0.cost = 1
            })
        let verdict =
            result.allowed
            ? "allowed, \(result.remaining) left"
            : "denied, retry after \(result.retryAfterMs) ms"
        let tier = result.tier.isEmpty ? (result.tierUnavailable ? ", tier unavailable" : "") : ", tier \(result.tier)"
        print(
            "check \(resource) \(key) #\(attempt): \(verdict) (rule \(result.matchedRuleId.isEmpty ? "none" : result.matchedRuleId)\(tier))"
        )
    }
}
