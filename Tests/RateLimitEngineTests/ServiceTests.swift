import GRPCCore
import GRPCInProcessTransport
import RateLimitEngine
import RateLimitServiceSet
import Testing

/// The service end to end over GRPCCore's in-process transport, through the generated client.
@Suite("RateLimitService over gRPC")
struct ServiceTests {
    func withClient(
        _ limiter: RateLimiter,
        _ body: (Ratelimit_V1_RateLimiter.Client<InProcessTransport.Client>) async throws -> Void
    ) async throws {
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: [RateLimitService(limiter: limiter)]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(Ratelimit_V1_RateLimiter.Client(wrapping: client))
            }
        }
    }

    @Test("apply, check and stats")
    func endToEnd() async throws {
        let clock = FakeClock(start: 0)
        try await self.withClient(RateLimiter(clock: clock)) { limiter in
            let refused = try await limiter.applyRules(
                .with { $0.ruleSet = .version(1, [.tokenBucket("", threshold: 0, windowMs: 1000)]) })
            #expect(!refused.applied && refused.activeVersion == 0)
            #expect(
                refused.rejections.map(\.reason) == [
                    "the rule has no id; give it one that is unique in the set",
                    "threshold is 0; it must be at least 1",
                ])

            let applied = try await limiter.applyRules(
                .with {
                    $0.ruleSet = .version(1, [.tokenBucket("api", resource: "api/*", threshold: 2, windowMs: 1000)])
                })
            #expect(applied.applied && applied.activeVersion == 1 && applied.rejections.isEmpty)

            let first = try await limiter.check(
                .with {
                    $0.resource = "api/orders"; $0.key = "tenant-a"; $0.cost = 2
                })
            #expect(
                first
                    == .with {
                        $0.allowed = true; $0.remaining = 0; $0.matchedRuleId = "api"; $0.ruleSetVersion = 1
                    })
            let second = try await limiter.check(
                .with {
                    $0.resource = "api/orders"; $0.key = "tenant-a"
                })
            #expect(
                second
                    == .with {
                        $0.allowed = false; $0.retryAfterMs = 500; $0.matchedRuleId = "api"; $0.ruleSetVersion = 1
                    })
            let unmatched = try await limiter.check(.with { $0.resource = "static/logo.png" })
            #expect(
                unmatched.allowed && unmatched.matchedRuleId.isEmpty && unmatched.remaining == RateLimiter.unlimited)

            clock.advance(milliseconds: 1000)
            let stats = try await limiter.stats(.with { _ in })
            #expect(stats.activeVersion == 1 && stats.checks == 3 && stats.allowed == 2 && stats.denied == 1)
            #expect(stats.evictedKeys == 1)
            #expect(
                stats.rules == [
                    .with {
                        $0.ruleId = "api"; $0.allowed = 1; $0.denied = 1; $0.trackedKeys = 0
                    }
                ])
        }
    }

    @Test("a request without a rule set is refused")
    func missingRuleSet() async throws {
        try await self.withClient(RateLimiter(clock: FakeClock())) { limiter in
            let response = try await limiter.applyRules(.with { _ in })
            #expect(!response.applied)
            #expect(response.rejections.map(\.index) == [-1])
        }
    }
}
