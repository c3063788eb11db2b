import GRPCCore
import GRPCInProcessTransport
import RateLimitEngine
import RateLimitServiceSet
import Synchronization
import Testing

/// The plugin's side of the callback over gRPC: `GRPCTierSource` against a `TierDirectory` served
/// in process, as the host serves it through the broker.
@Suite("GRPCTierSource")
struct GRPCTierSourceTests {
    /// Answers "premium" ×10 for `premium-` keys and "standard" ×0 for others, once `answering`
    /// is true; fails keys starting with `bad-`.
    final class HostDirectory: Ratelimit_V1_TierDirectory.SimpleServiceProtocol {
        let answering: Atomic<Bool>

        init(answering: Bool = true) {
            self.answering = Atomic(answering)
        }

        func lookup(request: Ratelimit_V1_TierRequest, context: ServerContext) async throws -> Ratelimit_V1_TierResponse
        {
            if request.key.hasPrefix("bad-") { throw RPCError(code: .notFound, message: "no tier for \(request.key)") }
            while !self.answering.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
            return .with {
                $0.tier = request.key.hasPrefix("premium-") ? "premium" : "standard";
                $0.multiplier = request.key.hasPrefix("premium-") ? 10 : 0
            }
        }
    }

    func withSource(
        _ directory: HostDirectory, _ body: (GRPCTierSource<InProcessTransport.Client>) async throws -> Void
    ) async throws {
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: [directory]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(GRPCTierSource(client: client, close: {}))
            }
        }
    }

    @Test("answers become tiers; a multiplier of 0 is 1; an error is thrown")
    func answers() async throws {
        // A deadline no answer misses, even while the suites beside this one keep both cores busy.
        try await self.withSource(HostDirectory()) { source in
            let premium = try await source.tier(of: "premium-1", deadline: .seconds(60))
            let standard = try await source.tier(of: "client", deadline: .seconds(60))
            #expect(premium == Tier(name: "premium", multiplier: 10))
            #expect(standard == Tier(name: "standard", multiplier: 1))
            let error = await #expect(throws: RPCError.self) {
                try await source.tier(of: "bad-1", deadline: .seconds(60))
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("a directory that does not answer: the lookup fails at its deadline, and the check goes on unscaled")
    func deadline() async throws {
        let directory = HostDirectory(answering: false)
        try await self.withSource(directory) { source in
            defer { directory.answering.store(true, ordering: .relaxed) }  // so the server can stop
            let error = await #expect(throws: RPCError.self) {
                try await source.tier(of: "premium-1", deadline: .milliseconds(100))
            }
            #expect(error?.code == .deadlineExceeded)

            let limiter = RateLimiter(clock: FakeClock())
            #expect(limiter.apply(.version(1, [.tokenBucket("api", threshold: 2, windowMs: 1000)])).applied)
            let tiers = TierDirectory(
                id: 1, source: source, policy: TierPolicy(deadline: .milliseconds(100)), logger: CapturedLogs().logger,
                statistics: TierStatistics())
            let answer = await tiers.tier(of: "premium-2")
            #expect(answer == .unavailable)
            #expect(limiter.check(resource: "api", key: "premium-2", multiplier: answer.multiplier).remaining == 1)
        }
    }
}
