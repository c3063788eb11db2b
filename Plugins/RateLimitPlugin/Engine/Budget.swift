/// The state one rule holds for one key.
enum Budget: Sendable {
    case bucket(TokenBucket)
    case window(SlidingWindow)

    /// Spends `cost` (at least 1) under `rule` at `now`.
    mutating func spend(_ cost: UInt64, rule: CompiledRule, now: UInt64) -> Decision {
        let w = rule.windowNanoseconds
        switch rule.kind {
        case .tokenBucket(let capacity):
            guard case .bucket(var bucket) = self else { return self.restart(cost, rule: rule, now: now) }
            let decision = bucket.spend(
                cost, threshold: rule.threshold, capacity: capacity, windowNanoseconds: w, now: now)
            self = .bucket(bucket)
            return decision
        case .slidingWindow:
            guard case .window(var window) = self else { return self.restart(cost, rule: rule, now: now) }
            let decision = window.spend(cost, threshold: rule.threshold, windowNanoseconds: w, now: now)
            self = .window(window)
            return decision
        }
    }

    /// A budget of the wrong kind for its rule (never kept: rule changes drop budgets) restarts full.
    private mutating func restart(_ cost: UInt64, rule: CompiledRule, now: UInt64) -> Decision {
        self = rule.freshBudget(now: now)
        return self.spend(cost, rule: rule, now: now)
    }

    /// Whether the budget is back to what a new key gets, so it can be dropped losslessly.
    func isIdle(rule: CompiledRule, now: UInt64) -> Bool {
        switch (self, rule.kind) {
        case (.bucket(let bucket), .tokenBucket(let capacity)):
            bucket.isIdle(
                threshold: rule.threshold, capacity: capacity, windowNanoseconds: rule.windowNanoseconds, now: now)
        case (.window(let window), .slidingWindow):
            window.isIdle(windowNanoseconds: rule.windowNanoseconds, now: now)
        default:
            true
        }
    }
}

/// The outcome of spending from one budget.
struct Decision: Equatable, Sendable {
    var allowed: Bool
    /// Whole units left after the check.
    var remaining: UInt64
    /// When denied: nanoseconds until the same cost would be allowed; `nil` for never.
    var retryAfterNanoseconds: UInt128?

    static func allowed(remaining: UInt64) -> Decision {
        Decision(allowed: true, remaining: remaining, retryAfterNanoseconds: 0)
    }

    static func denied(remaining: UInt64, retryAfterNanoseconds: UInt128?) -> Decision {
        Decision(allowed: false, remaining: remaining, retryAfterNanoseconds: retryAfterNanoseconds)
    }
}
