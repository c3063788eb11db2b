public import GRPCCore  // ServerContext in the service protocol's requirements
public import Logging  // the logger the plugin SDK hands over
public import PlugboardCore  // ServiceSetDescription
public import RateLimitServiceSet  // the generated protocol and messages

/// The `ratelimit.v1.RateLimiter` service over a ``RateLimiter``, with the tier directory the
/// active rule set names, if any.
public struct RateLimitService: Ratelimit_V1_RateLimiter.SimpleServiceProtocol {
    /// What the rate-limit plugin serves, for `--describe`.
    public static let serviceSet = ServiceSetDescription(
        name: "ratelimit", version: "1.0.0", services: ["ratelimit.v1.RateLimiter"])

    /// Connects to the tier directory a rule set names by its broker id; in the plugin, a
    /// `broker.dial` to the host.
    public typealias DialTierDirectory = @Sendable (_ id: UInt32) async throws -> any TierSource

    /// The engine behind the service.
    public let limiter: RateLimiter
    private let logger: Logger
    private let dialTierDirectory: DialTierDirectory?
    private let tierPolicy: TierPolicy
    private let tiers = ActiveTierDirectory()
    private let tierStatistics = TierStatistics()

    /// - Parameters:
    ///   - limiter: the engine; a new one on the system clock by default.
    ///   - logger: where applied and refused rule sets are logged (at info), and the first failed
    ///     tier lookup of each directory (at warning); silent by default.
    ///   - tierPolicy: how tier directories ask and remember (on the limiter's clock).
    ///   - dialTierDirectory: connects to the directory a rule set names; without it, a rule set
    ///     that names one is refused.
    public init(
        limiter: RateLimiter = RateLimiter(),
        logger: Logger = Logger(label: "ratelimit", factory: { _ in SwiftLogNoOpLogHandler() }),
        tierPolicy: TierPolicy = TierPolicy(),
        dialTierDirectory: DialTierDirectory? = nil
    ) {
        self.limiter = limiter
        self.logger = logger
        self.tierPolicy = tierPolicy
        self.dialTierDirectory = dialTierDirectory
    }

    public func applyRules(request: Ratelimit_V1_ApplyRulesRequest, context: ServerContext) async throws
        -> Ratelimit_V1_ApplyRulesResponse
    {
        guard let ruleSet = request.ruleSet else {
            return .with {
                $0.activeVersion = self.limiter.activeVersion
                $0.rejections = [.forSet("the request has no rule_set; send the complete set to activate")]
            }
        }
        var metadata: Logger.Metadata = [
            "ratelimit.version": "\(ruleSet.version)",
            "ratelimit.rules": "\(ruleSet.rules.count)",
        ]
        if request.tierDirectory != 0 { metadata["ratelimit.tier_directory"] = "\(request.tierDirectory)" }
        let directory: TierDirectory?
        let response: Ratelimit_V1_ApplyRulesResponse
        switch await self.connectDirectory(request.tierDirectory) {
        case .connected(let connected):
            directory = connected
            response = self.limiter.apply(ruleSet)
        case .refused(let rejection):
            directory = nil
            response = .with {
                $0.activeVersion = self.limiter.activeVersion
                $0.rejections = RuleValidator.problems(in: ruleSet, activeVersion: $0.activeVersion) + [rejection]
            }
        }
        metadata["ratelimit.active_version"] = "\(response.activeVersion)"
        if response.applied {
            self.tiers.install(directory, forVersion: ruleSet.version)
            self.logger.info("applied rule set", metadata: metadata)
        } else {
            directory?.close()
            metadata["ratelimit.rejections"] = .array(
                response.rejections.map { "\($0.index) \($0.ruleId): \($0.reason)" })
            self.logger.info("refused rule set", metadata: metadata)
        }
        return response
    }

    /// Spends from the matched rule, scaled by the key's tier when the active set names a
    /// directory; a directory that cannot answer leaves the rule unscaled and says so.
    public func check(request: Ratelimit_V1_CheckRequest, context: ServerContext) async throws
        -> Ratelimit_V1_CheckResponse
    {
        guard let directory = self.tiers.current, self.limiter.hasRule(matching: request.resource, key: request.key)
        else {
            return self.limiter.check(resource: request.resource, key: request.key, cost: request.cost)
        }
        let answer = await directory.tier(of: request.key)
        var response = self.limiter.check(
            resource: request.resource, key: request.key, cost: request.cost, multiplier: answer.multiplier)
        guard !response.matchedRuleId.isEmpty else { return response }  // the rules changed meanwhile
        switch answer {
        case .known(let tier): response.tier = tier.name
        case .unavailable: response.tierUnavailable = true
        }
        return response
    }

    public func stats(request: Ratelimit_V1_StatsRequest, context: ServerContext) async throws
        -> Ratelimit_V1_StatsResponse
    {
        var stats = self.limiter.stats()
        (stats.tierLookups, stats.tierLookupFailures) = self.tierStatistics.counts
        return stats
    }

    /// The outcome of dialling a rule set's tier directory.
    private enum DirectoryDial {
        /// The directory, or none when the set names none.
        case connected(TierDirectory?)
        /// Why the set is refused.
        case refused(Ratelimit_V1_Rejection)
    }

    /// Dials the directory with broker id `id` (none for 0).
    private func connectDirectory(_ id: UInt32) async -> DirectoryDial {
        guard id != 0 else { return .connected(nil) }
        guard let dial = self.dialTierDirectory else {
            return .refused(
                .forSet("tier_directory is \(id), but this plugin has no broker to dial it through; send 0"))
        }
        do {
            let source = try await dial(id)
            return .connected(
                TierDirectory(
                    id: id, source: source, policy: self.tierPolicy, clock: self.limiter.clock, logger: self.logger,
                    statistics: self.tierStatistics))
        } catch {
            return .refused(
                .forSet(
                    "tier_directory \(id) could not be dialled through the broker: \(error); serve it before sending its id, or send 0"
                ))
        }
    }
}
