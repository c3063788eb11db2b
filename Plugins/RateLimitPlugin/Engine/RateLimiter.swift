public import RateLimitServiceSet  // rule sets and check results are its message types
internal import Synchronization

/// The rate-limit engine: applies versioned rule sets and answers checks, safe to call from any
/// number of tasks at once.
///
/// - **Matching:** the first rule in set order whose resource and key patterns both match decides;
///   each distinct key gets its own budget per rule (resources matching one rule share it). No
///   match: allowed, with `remaining` = ``unlimited`` and no rule id.
/// - **Cost:** 0 counts as 1. A denied check spends nothing.
/// - **Retry-after:** the milliseconds (rounded up) until the same cost would be allowed if
///   nothing else were spent; 0 when allowed; ``retryNever`` when the cost is more than the rule
///   can ever allow (a token bucket's capacity, a sliding window's threshold).
/// - **Memory:** a key's budget is dropped once it is back to what a new key gets (bucket full,
///   both windows empty), which changes no decision. At most `maxTrackedKeys` budgets are held:
///   past that the least recently used one is dropped even if not idle, and that key starts again
///   with a full budget. Both count as evictions.
/// - **Rule changes:** a rule kept with the same id and definition keeps its keys' budgets and
///   counters; a changed rule keeps its counters and starts every key afresh.
/// - **Tiers:** a check's `multiplier` (its key's tier, see ``TierDirectory``) multiplies the
///   matched rule's threshold and burst for that key; a key checked with another multiplier than
///   its budget was made for starts afresh.
public final class RateLimiter: Sendable {
    /// `retry_after_ms` for a cost the rule can never allow.
    public static let retryNever = UInt64.max
    /// `remaining` when no rule matches.
    public static let unlimited = UInt64.max
    /// The default cap on budgets held at once.
    public static let defaultMaxTrackedKeys = 100_000

    /// The limiter's time, which the service's tier directories share.
    let clock: any RateLimitClock
    private let state: Mutex<LimiterState>

    /// - Parameters:
    ///   - clock: monotonic time; tests pass one they advance by hand.
    ///   - maxTrackedKeys: the most (rule, key) budgets held at once (at least 1).
    public init(
        clock: any RateLimitClock = SystemRateLimitClock(), maxTrackedKeys: Int = RateLimiter.defaultMaxTrackedKeys
    ) {
        self.clock = clock
        self.state = Mutex(LimiterState(maxTrackedKeys: maxTrackedKeys))
    }

    /// Validates `ruleSet` and activates it only if it has no problems; otherwise the active set
    /// stays and the response lists every problem.
    public func apply(_ ruleSet: Ratelimit_V1_RuleSet) -> Ratelimit_V1_ApplyRulesResponse {
        self.state.withLock { $0.apply(ruleSet) }
    }

    /// Spends `cost` units for (resource, key) under the first matching rule, whose threshold and
    /// burst are multiplied by `multiplier`, the key's tier (0 counts as 1).
    public func check(resource: String, key: String, cost: UInt64 = 1, multiplier: UInt32 = 1)
        -> Ratelimit_V1_CheckResponse
    {
        self.state.withLock {
            $0.check(resource: resource, key: key, cost: cost, multiplier: multiplier, now: self.clock.now())
        }
    }

    /// Whether a rule of the active set matches (resource, key): only then does a key's tier matter.
    public func hasRule(matching resource: String, key: String) -> Bool {
        self.state.withLock { $0.hasRule(matching: resource, key: key) }
    }

    /// Counters since this limiter was made, and the budgets held now (idle ones are dropped first).
    public func stats() -> Ratelimit_V1_StatsResponse {
        self.state.withLock { $0.stats(now: self.clock.now()) }
    }

    /// The active rule set's version; 0 before any was applied.
    public var activeVersion: UInt64 {
        self.state.withLock { $0.version }
    }

    /// How many (rule, key) budgets are held now, idle ones included.
    public var trackedKeys: Int {
        self.state.withLock { $0.trackedKeys }
    }
}
