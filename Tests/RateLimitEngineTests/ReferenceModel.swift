import RateLimitServiceSet

/// An obviously correct limiter to compare the engine against: it keeps, per (rule, key), the log
/// of every allowed event and recomputes each decision from the whole log. No eviction, no
/// rolling counters, no clamping state.
struct ReferenceModel {
    struct Event {
        var time: UInt64
        var cost: UInt64
    }

    struct Outcome: Equatable {
        var allowed: Bool
        var remaining: UInt64
        var ruleID: String
    }

    private(set) var rules: [Ratelimit_V1_Rule] = []
    private var logs: [String: [String: [Event]]] = [:]  // rule id → key → allowed events
    private(set) var allowed: UInt64 = 0
    private(set) var denied: UInt64 = 0

    /// Replaces the rules; a rule whose id and definition are unchanged keeps its logs.
    mutating func apply(_ rules: [Ratelimit_V1_Rule]) {
        let kept = Set(rules.filter { self.rules.contains($0) }.map(\.id))
        self.logs = self.logs.filter { kept.contains($0.key) }
        self.rules = rules
    }

    mutating func check(resource: String, key: String, cost: UInt64, now: UInt64) -> Outcome {
        guard let rule = self.rule(resource: resource, key: key) else {
            self.allowed += 1
            return Outcome(allowed: true, remaining: .max, ruleID: "")
        }
        let cost = max(cost, 1)
        var log = self.logs[rule.id, default: [:]][key, default: []]
        let allowed = Self.allows(rule, log: log, cost: cost, at: now)
        if allowed { log.append(Event(time: now, cost: cost)) }
        self.logs[rule.id, default: [:]][key] = log
        if allowed { self.allowed += 1 } else { self.denied += 1 }
        return Outcome(allowed: allowed, remaining: Self.remaining(rule, log: log, at: now), ruleID: rule.id)
    }

    /// Whether a check of `cost` would be allowed at `time` if nothing else happened before it.
    func wouldAllow(resource: String, key: String, cost: UInt64, at time: UInt64) -> Bool {
        guard let rule = self.rule(resource: resource, key: key) else { return true }
        return Self.allows(rule, log: self.logs[rule.id]?[key] ?? [], cost: max(cost, 1), at: time)
    }

    private func rule(resource: String, key: String) -> Ratelimit_V1_Rule? {
        self.rules.first { Self.matches($0.resource, resource) && Self.matches($0.key, key) }
    }

    private static func matches(_ pattern: String, _ value: String) -> Bool {
        pattern.hasSuffix("*") ? value.hasPrefix(pattern.dropLast()) : value == pattern
    }

    private static func allows(_ rule: Ratelimit_V1_Rule, log: [Event], cost: UInt64, at time: UInt64) -> Bool {
        let w = Int128(rule.windowMs) * 1_000_000
        return cost <= Self.capacity(rule) && Int128(cost) * w <= Self.available(rule, log: log, at: time)
    }

    private static func remaining(_ rule: Ratelimit_V1_Rule, log: [Event], at time: UInt64) -> UInt64 {
        UInt64(max(0, Self.available(rule, log: log, at: time)) / (Int128(rule.windowMs) * 1_000_000))
    }

    private static func capacity(_ rule: Ratelimit_V1_Rule) -> UInt64 {
        rule.strategy == .tokenBucket && rule.burst != 0 ? rule.burst : rule.threshold
    }

    /// Units available at `time`, times the window W in nanoseconds.
    ///
    /// Token bucket (full at first, `threshold` per W, at most `capacity`): the deficit below full
    /// is Lindley's recursion solved over the log, `max(0, max over j of (W·Σ_{i≥j} cost_i −
    /// threshold·(time − t_j)))`. Sliding window: `threshold·W − previous·(W − e) − current·W`
    /// with both counts summed from the log for the slots `[k·W − W, k·W)` and `[k·W, time]`.
    private static func available(_ rule: Ratelimit_V1_Rule, log: [Event], at time: UInt64) -> Int128 {
        let w = Int128(rule.windowMs) * 1_000_000
        let threshold = Int128(rule.threshold)
        if rule.strategy == .tokenBucket {
            var deficit: Int128 = 0
            var suffix: Int128 = 0
            for event in log.reversed() {
                suffix += Int128(event.cost) * w
                deficit = max(deficit, suffix - threshold * (Int128(time) - Int128(event.time)))
            }
            return Int128(Self.capacity(rule)) * w - deficit
        }
        let start = Int128(time) / w * w
        let previous = log.filter { Int128($0.time) >= start - w && Int128($0.time) < start }.reduce(0) {
            $0 + Int128($1.cost)
        }
        let current = log.filter { Int128($0.time) >= start && $0.time <= time }.reduce(0) { $0 + Int128($1.cost) }
        return threshold * w - previous * (w - (Int128(time) - start)) - current * w
    }
}
