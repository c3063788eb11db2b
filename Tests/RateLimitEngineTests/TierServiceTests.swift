import GRPCCore
import GRPCInProcessTransport
import RateLimitEngine
import RateLimitServiceSet
import Synchronization
import Testing

/// `ApplyRules` with a tier directory and the checks it scales, through the generated client, with
/// the broker's dial stood in for by a closure.
@Suite("RateLimitService with a tier directory")
struct TierServiceTests {
    /// Records the ids it is asked to dial and returns the sources a test lines up.
    final class Dialler: Sendable {
        private let sources: Mutex<[StubTierSource]>
        private let dialled = Mutex<[UInt32]>([])

        init(_ sources: StubTierSource...) {
            self.sources = Mutex(sources)
        }

        func dial(_ id: UInt32) throws -> any TierSource {
            self.dialled.withLock { $0.append(id) }
            guard let source = self.sources.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                throw DirectoryDown()
            }
            return source
        }

        var ids: [UInt32] { self.dialled.withLock { $0 } }
    }

    func withLimiter(
        _ dialler: Dialler?, clock: FakeClock = FakeClock(),
        _ body: (Ratelimit_V1_RateLimiter.Client<InProcessTransport.Client>) async throws -> Void
    ) async throws {
        let dial: RateLimitService.DialTierDirectory? = dialler.map { dialler in
            { @Sendable id in try dialler.dial(id) }
        }
        let service = RateLimitService(limiter: RateLimiter(clock: clock), dialTierDirectory: dial)
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: [service]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(Ratelimit_V1_RateLimiter.Client(wrapping: client))
            }
        }
    }

    func apply(
        _ limiter: Ratelimit_V1_RateLimiter.Client<InProcessTransport.Client>, version: UInt64, threshold: UInt64 = 2,
        directory: UInt32
    ) async throws -> Ratelimit_V1_ApplyRulesResponse {
        try await limiter.applyRules(
            .with {
                $0.ruleSet = .version(
                    version, [.tokenBucket("api", resource: "api/*", threshold: threshold, windowMs: 60_000)])
                $0.tierDirectory = directory
            })
    }

    func check(
        _ limiter: Ratelimit_V1_RateLimiter.Client<InProcessTransport.Client>, _ key: String,
        resource: String = "api/orders"
    ) async throws -> Ratelimit_V1_CheckResponse {
        try await limiter.check(
            .with {
                $0.resource = resource; $0.key = key
            })
    }

    @Test(
        "the directory is dialled once; each key's tier scales its rule and is reported; unmatched checks ask nothing")
    func scaledChecks() async throws {
        let source = StubTierSource.premium()
        let dialler = Dialler(source)
        try await self.withLimiter(dialler) { limiter in
            #expect(try await self.apply(limiter, version: 1, directory: 3).applied)
            let premium = try await self.check(limiter, "premium-7")
            #expect(
                premium
                    == .with {
                        $0.allowed = true; $0.remaining = 19; $0.matchedRuleId = "api"; $0.ruleSetVersion = 1;
                        $0.tier = "premium"
                    })
            let standard = try await self.check(limiter, "client-a")
            #expect(standard.remaining == 1 && standard.tier == "standard" && !standard.tierUnavailable)
            for _ in 1...5 { _ = try await self.check(limiter, "premium-7") }
            let unmatched = try await self.check(limiter, "premium-8", resource: "static/logo.png")
            #expect(unmatched.allowed && unmatched.tier.isEmpty && unmatched.matchedRuleId.isEmpty)
            #expect(dialler.ids == [3])
            #expect(source.asked == ["premium-7", "client-a"])
            let stats = try await limiter.stats(.init())
            #expect(stats.tierLookups == 2 && stats.tierLookupFailures == 0)
        }
    }

    @Test("a new rule set closes the old directory's connection; one without a directory leaves checks unscaled")
    func replaced() async throws {
        let first = StubTierSource.premium()
        let second = StubTierSource { _ in Tier(name: "gold", multiplier: 3) }
        try await self.withLimiter(Dialler(first, second)) { limiter in
            #expect(try await self.apply(limiter, version: 1, directory: 1).applied)
            #expect(try await self.check(limiter, "premium-1").tier == "premium")
            #expect(try await self.apply(limiter, version: 2, directory: 2).applied)
            #expect(first.closed == 1 && second.closed == 0)
            let gold = try await self.check(limiter, "premium-1")
            #expect(gold.tier == "gold" && gold.remaining == 5, "asked anew under the new directory, a fresh ×3 budget")
            #expect(try await self.apply(limiter, version: 3, directory: 0).applied)
            #expect(second.closed == 1)
            let plain = try await self.check(limiter, "premium-1")
            #expect(plain.tier.isEmpty && !plain.tierUnavailable && plain.remaining == 1)
        }
    }

    @Test("a refused rule set closes the directory it named; the active set keeps its own")
    func refusedSetClosesItsDirectory() async throws {
        let active = StubTierSource.premium()
        let refused = StubTierSource.premium()
        try await self.withLimiter(Dialler(active, refused)) { limiter in
            #expect(try await self.apply(limiter, version: 2, directory: 1).applied)
            let stale = try await self.apply(limiter, version: 1, directory: 2)
            #expect(!stale.applied && stale.activeVersion == 2)
            #expect(refused.closed == 1 && active.closed == 0)
            #expect(try await self.check(limiter, "premium-1").tier == "premium")
        }
    }

    @Test("a directory that cannot be dialled refuses the set, with its rules' problems too; nothing changes")
    func dialFailure() async throws {
        let active = StubTierSource.premium()
        try await self.withLimiter(Dialler(active)) { limiter in
            #expect(try await self.apply(limiter, version: 1, directory: 1).applied)
            let response = try await self.apply(limiter, version: 2, threshold: 0, directory: 9)
            #expect(!response.applied && response.activeVersion == 1)
            #expect(response.rejections.map(\.index) == [0, -1])
            #expect(response.rejections.last?.reason.contains("tier_directory 9 could not be dialled") == true)
            #expect(response.rejections.last?.reason.contains("the directory is down") == true)
            #expect(active.closed == 0)
            #expect(try await self.check(limiter, "premium-1").tier == "premium")
        }
    }

    @Test("without a broker, a set that names a directory is refused")
    func noBroker() async throws {
        try await self.withLimiter(nil) { limiter in
            let response = try await self.apply(limiter, version: 1, directory: 4)
            #expect(!response.applied && response.activeVersion == 0)
            #expect(
                response.rejections.map(\.reason) == [
                    "tier_directory is 4, but this plugin has no broker to dial it through; send 0"
                ])
            #expect(try await self.apply(limiter, version: 1, directory: 0).applied)
        }
    }

    @Test("a directory that fails never fails the check: the rule applies unscaled and the response says so")
    func failingDirectory() async throws {
        let source = StubTierSource { _ in throw DirectoryDown() }
        let clock = FakeClock()
        try await self.withLimiter(Dialler(source), clock: clock) { limiter in
            #expect(try await self.apply(limiter, version: 1, directory: 1).applied)
            let first = try await self.check(limiter, "premium-1")
            #expect(first.allowed && first.remaining == 1 && first.tierUnavailable && first.tier.isEmpty)
            let second = try await self.check(limiter, "premium-1")
            #expect(second.allowed && second.remaining == 0 && second.tierUnavailable)
            #expect(!(try await self.check(limiter, "premium-1")).allowed)
            #expect(source.asked == ["premium-1"], "asked again only after a second")
            clock.advance(milliseconds: 1000)
            #expect(try await self.check(limiter, "premium-1").tierUnavailable)
            #expect(source.asked == ["premium-1", "premium-1"])
            let stats = try await limiter.stats(.init())
            #expect(stats.tierLookups == 0 && stats.tierLookupFailures == 2)
        }
    }
}
