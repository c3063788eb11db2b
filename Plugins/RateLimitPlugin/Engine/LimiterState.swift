internal import RateLimitServiceSet

/// Everything the limiter changes, guarded by one lock in ``RateLimiter``.
struct LimiterState: Sendable {
    private struct RuleCounters: Sendable {
        var allowed: UInt64 = 0
        var denied: UInt64 = 0
    }

    let maxTrackedKeys: Int
    private(set) var version: UInt64 = 0
    private var rules: [CompiledRule] = []
    private var counters: [RuleCounters] = []
    private var table = KeyTable<BudgetKey, HeldBudget>()
    private var checks: UInt64 = 0
    private var allowed: UInt64 = 0
    private var denied: UInt64 = 0
    private var evicted: UInt64 = 0
    private var insertsSinceSweep = 0

    init(maxTrackedKeys: Int) {
        self.maxTrackedKeys = max(1, maxTrackedKeys)
    }

    /// Activates `ruleSet` if it is valid. Rules kept with the same id and definition keep their
    /// keys' budgets; rules kept with the same id keep their counters.
    mutating func apply(_ ruleSet: Ratelimit_V1_RuleSet) -> Ratelimit_V1_ApplyRulesResponse {
        var rejections = RuleValidator.problems(in: ruleSet, activeVersion: self.version)
        let compiled = rejections.isEmpty ? ruleSet.rules.compactMap(CompiledRule.init) : []
        if rejections.isEmpty, compiled.count != ruleSet.rules.count {
            rejections.append(
                .forSet("a rule passed validation but could not be compiled; this is a bug in the plugin"))
        }
        guard rejections.isEmpty else {
            return .with {
                $0.applied = false
                $0.activeVersion = self.version
                $0.rejections = rejections
            }
        }
        let oldIndexByID = Dictionary(
            self.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let newIndexByID = Dictionary(
            compiled.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let oldRules = self.rules
        self.table.renumberRules { old in
            newIndexByID[oldRules[old].id].flatMap { compiled[$0].definition == oldRules[old].definition ? $0 : nil }
        }
        self.counters = compiled.map { rule in oldIndexByID[rule.id].map { self.counters[$0] } ?? RuleCounters() }
        self.rules = compiled
        self.version = ruleSet.version
        return .with {
            $0.applied = true
            $0.activeVersion = ruleSet.version
        }
    }

    /// Spends `cost` (0 counts as 1) from the first rule matching (resource, key) at `now`, that
    /// rule's threshold and burst multiplied by the key's tier `multiplier`. A key whose
    /// multiplier changed since its budget was made starts with a fresh one.
    mutating func check(resource: String, key: String, cost: UInt64, multiplier: UInt32, now: UInt64)
        -> Ratelimit_V1_CheckResponse
    {
        self.checks += 1
        guard let ruleIndex = self.rules.firstIndex(where: { $0.matches(resource: resource, key: key) }) else {
            self.allowed += 1
            return .with {
                $0.allowed = true
                $0.remaining = RateLimiter.unlimited
                $0.ruleSetVersion = self.version
            }
        }
        self.evictIdleLeastRecent(now: now, limit: 2)
        let multiplier = max(multiplier, 1)
        let rule = self.rules[ruleIndex].scaled(by: multiplier)
        let budgetKey = BudgetKey(rule: ruleIndex, key: key)
        let held = self.table.touch(budgetKey)
        var budget = held.flatMap { $0.multiplier == multiplier ? $0.budget : nil } ?? rule.freshBudget(now: now)
        let decision = budget.spend(max(cost, 1), rule: rule, now: now)
        if budget.isIdle(rule: rule, now: now) {
            if held != nil {
                self.table.remove(budgetKey)
                self.evicted += 1
            }
        } else {
            if held == nil { self.makeRoom(now: now) }
            self.table.set(budgetKey, HeldBudget(budget: budget, multiplier: multiplier))
        }
        if decision.allowed {
            self.allowed += 1
            self.counters[ruleIndex].allowed += 1
        } else {
            self.denied += 1
            self.counters[ruleIndex].denied += 1
        }
        return .with {
            $0.allowed = decision.allowed
            $0.remaining = decision.remaining
            $0.retryAfterMs = Self.milliseconds(decision.retryAfterNanoseconds)
            $0.matchedRuleId = rule.id
            $0.ruleSetVersion = self.version
        }
    }

    /// Whether a check of (resource, key) would be decided by a rule (and so by the key's tier).
    func hasRule(matching resource: String, key: String) -> Bool {
        self.rules.contains { $0.matches(resource: resource, key: key) }
    }

    /// Counters, after dropping every idle budget so `tracked_keys` counts live ones.
    mutating func stats(now: UInt64) -> Ratelimit_V1_StatsResponse {
        self.evictAllIdle(now: now)
        let tracked = self.table.countsByRule(ruleCount: self.rules.count)
        return .with {
            $0.activeVersion = self.version
            $0.checks = self.checks
            $0.allowed = self.allowed
            $0.denied = self.denied
            $0.evictedKeys = self.evicted
            $0.rules = self.rules.indices.map { index in
                .with {
                    $0.ruleId = self.rules[index].id
                    $0.allowed = self.counters[index].allowed
                    $0.denied = self.counters[index].denied
                    $0.trackedKeys = UInt64(tracked[index])
                }
            }
        }
    }

    var trackedKeys: Int { self.table.count }

    /// Drops up to `limit` least recently used budgets while they are idle.
    private mutating func evictIdleLeastRecent(now: UInt64, limit: Int) {
        for _ in 0..<limit {
            guard let (key, held) = self.table.leastRecent, self.isIdle(key, held, now: now) else { return }
            self.table.remove(key)
            self.evicted += 1
        }
    }

    private func isIdle(_ key: BudgetKey, _ held: HeldBudget, now: UInt64) -> Bool {
        held.budget.isIdle(rule: self.rules[key.rule].scaled(by: held.multiplier), now: now)
    }

    private mutating func evictAllIdle(now: UInt64) {
        let rules = self.rules
        self.evicted += UInt64(
            self.table.removeAll { key, held in
                held.budget.isIdle(rule: rules[key.rule].scaled(by: held.multiplier), now: now)
            })
        self.insertsSinceSweep = 0
    }

    /// Frees a place for a new key when the table is full: every idle budget if a quarter of the
    /// cap was inserted since the last full sweep (so sweeps cost O(1) per insert), then the least
    /// recently used budgets, idle or not.
    private mutating func makeRoom(now: UInt64) {
        self.insertsSinceSweep += 1
        guard self.table.count >= self.maxTrackedKeys else { return }
        if self.insertsSinceSweep >= max(1, self.maxTrackedKeys / 4) { self.evictAllIdle(now: now) }
        while self.table.count >= self.maxTrackedKeys, let (key, _) = self.table.leastRecent {
            self.table.remove(key)
            self.evicted += 1
        }
    }

    /// Nanoseconds rounded up to milliseconds; `nil` (never) is `UInt64.max`, and finite waits
    /// stop just short of it.
    private static func milliseconds(_ nanoseconds: UInt128?) -> UInt64 {
        guard let nanoseconds else { return RateLimiter.retryNever }
        return UInt64(min((nanoseconds + 999_999) / 1_000_000, UInt128(RateLimiter.retryNever - 1)))
    }
}
