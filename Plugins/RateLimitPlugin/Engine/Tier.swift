/// A key's tier, as a tier directory names it: a name the check reports, and a multiplier for the
/// threshold and burst of the rule that decides the key's checks.
public struct Tier: Sendable, Hashable {
    /// Reported in `CheckResponse.tier`; may be empty.
    public var name: String
    /// At least 1: a directory's 0 means "unchanged", as 1 does.
    public var multiplier: UInt32

    public init(name: String, multiplier: UInt32) {
        self.name = name
        self.multiplier = max(1, multiplier)
    }
}

/// What a ``TierDirectory`` knows about a key for one check.
public enum TierAnswer: Sendable, Hashable {
    /// The directory answered.
    case known(Tier)
    /// The directory could not answer (an error, or no answer in time): the rule applies unscaled.
    case unavailable

    /// The multiplier the check uses: 1 when unavailable.
    public var multiplier: UInt32 {
        if case .known(let tier) = self { tier.multiplier } else { 1 }
    }
}

/// Where a rule set's tiers come from: the host's `ratelimit.v1.TierDirectory`, dialled through
/// go-plugin's broker (``GRPCTierSource``), or a stand-in in tests.
public protocol TierSource: Sendable {
    /// The tier of `key`, within `deadline`; throws when the source cannot answer.
    func tier(of key: String, deadline: Duration) async throws -> Tier
    /// Ends the source's connection; called once, when its rule set is replaced.
    func close()
}
