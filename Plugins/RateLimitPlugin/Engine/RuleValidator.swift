package import RateLimitServiceSet  // RuleValidator (package) takes and returns its messages

/// Checks a rule set before it replaces the active one, collecting every problem (one rejection
/// per problem), not just the first.
package enum RuleValidator {
    /// The largest `burst`: 10⁹ units.
    package static let maxBurst: UInt64 = 1_000_000_000
    /// The longest `window_ms`: 366 days.
    package static let maxWindowMs: UInt64 = 366 * 24 * 3600 * 1000

    /// Every problem with `ruleSet` given the active version; empty when it may be applied.
    package static func problems(in ruleSet: Ratelimit_V1_RuleSet, activeVersion: UInt64) -> [Ratelimit_V1_Rejection] {
        var rejections: [Ratelimit_V1_Rejection] = []
        if ruleSet.version <= activeVersion {
            rejections.append(
                .forSet(
                    "version \(ruleSet.version) is not greater than the active version \(activeVersion); send a higher version"
                ))
        }
        var firstIndexByID: [String: Int] = [:]
        for (index, rule) in ruleSet.rules.enumerated() {
            var reasons: [String] = []
            if rule.id.isEmpty {
                reasons.append("the rule has no id; give it one that is unique in the set")
            } else if let first = firstIndexByID[rule.id] {
                reasons.append("id \"\(rule.id)\" is already used by the rule at index \(first); ids must be unique")
            } else {
                firstIndexByID[rule.id] = index
            }
            reasons += Self.patternProblems(rule.resource, field: "resource")
            reasons += Self.patternProblems(rule.key, field: "key")
            reasons += Self.limitProblems(rule)
            rejections += reasons.map { .forRule(rule.id, index: index, $0) }
        }
        return rejections
    }

    private static func patternProblems(_ pattern: String, field: String) -> [String] {
        switch Pattern.parse(pattern) {
        case .success: []
        case .failure(.empty):
            ["\(field) is empty; use an exact name, a prefix ending in `*` (`api/*`), or `*` for all"]
        case .failure(.innerStar): ["\(field) \"\(pattern)\" has a `*` before its end; only a trailing `*` is allowed"]
        }
    }

    private static func limitProblems(_ rule: Ratelimit_V1_Rule) -> [String] {
        var reasons: [String] = []
        if rule.threshold == 0 { reasons.append("threshold is 0; it must be at least 1") }
        if rule.windowMs == 0 { reasons.append("window_ms is 0; it must be at least 1") }
        if rule.windowMs > Self.maxWindowMs {
            reasons.append("window_ms is \(rule.windowMs); it must be at most \(Self.maxWindowMs) (366 days)")
        }
        if rule.burst > Self.maxBurst, rule.strategy != .slidingWindow {
            reasons.append("burst is \(rule.burst); it must be at most \(Self.maxBurst)")
        }
        switch rule.strategy {
        case .tokenBucket:
            break
        case .slidingWindow:
            if rule.burst != 0 {
                reasons.append(
                    "burst is \(rule.burst) but only STRATEGY_TOKEN_BUCKET has a burst; set it to 0 for STRATEGY_SLIDING_WINDOW"
                )
            }
        case .unspecified:
            reasons.append("strategy is STRATEGY_UNSPECIFIED; set STRATEGY_TOKEN_BUCKET or STRATEGY_SLIDING_WINDOW")
        case .unrecognized(let value):
            reasons.append("strategy \(value) is unknown; set STRATEGY_TOKEN_BUCKET or STRATEGY_SLIDING_WINDOW")
        }
        return reasons
    }
}

extension Ratelimit_V1_Rejection {
    static func forSet(_ reason: String) -> Self {
        .with {
            $0.index = -1
            $0.reason = reason
        }
    }

    static func forRule(_ id: String, index: Int, _ reason: String) -> Self {
        .with {
            $0.ruleId = id
            $0.index = Int32(clamping: index)
            $0.reason = reason
        }
    }
}
