internal import RateLimitServiceSet

/// A validated rule in the form checks use: parsed patterns and the window in nanoseconds.
struct CompiledRule: Sendable {
    /// What kind of budget each key of this rule holds.
    enum Kind: Sendable {
        /// Refills `threshold` units per window, holding at most `capacity`.
        case tokenBucket(capacity: UInt64)
        case slidingWindow
    }

    let id: String
    let resource: Pattern
    let key: Pattern
    private(set) var threshold: UInt64
    let windowNanoseconds: UInt64
    private(set) var kind: Kind
    /// The rule as applied, to tell whether a new set changes it.
    let definition: Ratelimit_V1_Rule

    /// Compiles a rule that ``RuleValidator`` accepted.
    init?(_ rule: Ratelimit_V1_Rule) {
        guard case .success(let resource) = Pattern.parse(rule.resource),
            case .success(let key) = Pattern.parse(rule.key),
            rule.threshold >= 1, rule.windowMs >= 1, rule.windowMs <= RuleValidator.maxWindowMs
        else { return nil }
        switch rule.strategy {
        case .tokenBucket: self.kind = .tokenBucket(capacity: rule.burst == 0 ? rule.threshold : rule.burst)
        case .slidingWindow: self.kind = .slidingWindow
        case .unspecified, .unrecognized: return nil
        }
        self.id = rule.id
        self.resource = resource
        self.key = key
        self.threshold = rule.threshold
        self.windowNanoseconds = rule.windowMs * 1_000_000
        self.definition = rule
    }

    /// The rule for a key whose tier multiplies its threshold and burst by `multiplier` (at
    /// least 1; saturating, which the budgets' 128-bit arithmetic holds).
    func scaled(by multiplier: UInt32) -> CompiledRule {
        guard multiplier > 1 else { return self }
        func times(_ value: UInt64) -> UInt64 {
            let (product, overflow) = value.multipliedReportingOverflow(by: UInt64(multiplier))
            return overflow ? .max : product
        }
        var scaled = self
        scaled.threshold = times(self.threshold)
        if case .tokenBucket(let capacity) = self.kind { scaled.kind = .tokenBucket(capacity: times(capacity)) }
        return scaled
    }

    func matches(resource: String, key: String) -> Bool {
        self.resource.matches(resource) && self.key.matches(key)
    }

    /// The budget of a key this rule has not seen (or has forgotten): full.
    func freshBudget(now: UInt64) -> Budget {
        switch self.kind {
        case .tokenBucket(let capacity):
            .bucket(TokenBucket(full: capacity, windowNanoseconds: self.windowNanoseconds, now: now))
        case .slidingWindow: .window(SlidingWindow(now: now, windowNanoseconds: self.windowNanoseconds))
        }
    }
}
