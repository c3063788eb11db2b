import GRPCCore
import RateLimitServiceSet
import Synchronization

/// The host's `ratelimit.v1.TierDirectory`, which the rate-limit plugin calls back through the
/// broker in `plugboard demo` and `plugboard load`: keys starting with `premium-` are tier
/// "premium" ×10, every other key "standard" ×1.
final class PremiumTierDirectory: Ratelimit_V1_TierDirectory.SimpleServiceProtocol {
    static let prefix = "premium-"
    static let multiplier: UInt32 = 10

    private let served = Atomic<Int>(0)
    private let onLookup: @Sendable (_ key: String, _ answer: Ratelimit_V1_TierResponse) -> Void

    /// - Parameter onLookup: called with each lookup served, before the plugin gets the answer.
    init(onLookup: @escaping @Sendable (_ key: String, _ answer: Ratelimit_V1_TierResponse) -> Void = { _, _ in }) {
        self.onLookup = onLookup
    }

    /// Lookups served since this directory was made, over every plugin instance it served.
    var lookupsServed: Int {
        self.served.load(ordering: .relaxed)
    }

    func lookup(request: Ratelimit_V1_TierRequest, context: ServerContext) async throws -> Ratelimit_V1_TierResponse {
        let premium = request.key.hasPrefix(Self.prefix)
        let answer = Ratelimit_V1_TierResponse.with {
            $0.tier = premium ? "premium" : "standard"
            $0.multiplier = premium ? Self.multiplier : 1
        }
        self.served.add(1, ordering: .relaxed)
        self.onLookup(request.key, answer)
        return answer
    }
}
