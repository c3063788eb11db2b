public import GRPCCore  // ServerContext in the service protocol's requirements
public import Logging  // the logger the plugin SDK hands over
public import PlugboardCore  // ServiceSetDescription
public import RateLimitServiceSet  // the generated protocol and messages

/// The `ratelimit.v1.RateLimiter` service over a ``RateLimiter``.
public struct RateLimitService: Ratelimit_V1_RateLimiter.SimpleServiceProtocol {
    /// What the rate-limit plugin serves, for `--describe`.
    public static let serviceSet = ServiceSetDescription(name: "ratelimit", version: "1.0.0", services: ["ratelimit.v1.RateLimiter"])

    /// The engine behind the service.
    public let limiter: RateLimiter
    private let logger: Logger

    /// - Parameters:
    ///   - limiter: the engine; a new one on the system clock by default.
    ///   - logger: where applied and refused rule sets are logged (at info); silent by default.
    public init(limiter: RateLimiter = RateLimiter(), logger: Logger = Logger(label: "ratelimit", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.limiter = limiter
        self.logger = logger
    }

    public func applyRules(request: Ratelimit_V1_ApplyRulesRequest, context: ServerContext) async throws -> Ratelimit_V1_ApplyRulesResponse {
        guard let ruleSet = request.ruleSet else {
            return .with {
                $0.activeVersion = self.limiter.activeVersion
                $0.rejections = [.forSet("the request has no rule_set; send the complete set to activate")]
            }
        }
        let response = self.limiter.apply(ruleSet)
        var metadata: Logger.Metadata = [
            "ratelimit.version": "\(ruleSet.version)",
            "ratelimit.rules": "\(ruleSet.rules.count)",
            "ratelimit.active_version": "\(response.activeVersion)",
        ]
        if response.applied {
            self.logger.info("applied rule set", metadata: metadata)
        } else {
            metadata["ratelimit.rejections"] = .array(response.rejections.map { "\($0.index) \($0.ruleId): \($0.reason)" })
            self.logger.info("refused rule set", metadata: metadata)
        }
        return response
    }

    public func check(request: Ratelimit_V1_CheckRequest, context: ServerContext) async throws -> Ratelimit_V1_CheckResponse {
        self.limiter.check(resource: request.resource, key: request.key, cost: request.cost)
    }

    public func stats(request: Ratelimit_V1_StatsRequest, context: ServerContext) async throws -> Ratelimit_V1_StatsResponse {
        self.limiter.stats()
    }
}
