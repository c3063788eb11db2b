/// Which budget a table entry is: a rule (by position in the active set) and a key.
struct BudgetKey: Hashable, Sendable {
    var rule: Int
    var key: String
}

/// The budgets held now, in least-recently-used order: a dictionary over slots of an array that
/// form a doubly linked list (head = most recent), so lookup, touch, insert and removal are O(1).
struct KeyTable: Sendable {
    private struct Slot: Sendable {
        var key: BudgetKey
        var budget: Budget
        var newer = -1
        var older = -1
    }

    private var slots: [Slot] = []
    private var index: [BudgetKey: Int] = [:]
    private var free: [Int] = []
    private var newest = -1
    private var oldest = -1

    var count: Int { self.index.count }

    /// The least recently used entry, if any.
    var leastRecent: (key: BudgetKey, budget: Budget)? {
        self.oldest < 0 ? nil : (self.slots[self.oldest].key, self.slots[self.oldest].budget)
    }

    /// The budget held for `key`, which becomes the most recently used.
    mutating func touch(_ key: BudgetKey) -> Budget? {
        guard let slot = self.index[key] else { return nil }
        self.unlink(slot)
        self.linkNewest(slot)
        return self.slots[slot].budget
    }

    /// Stores `budget` for `key` as the most recently used entry.
    mutating func set(_ key: BudgetKey, _ budget: Budget) {
        if let slot = self.index[key] {
            self.slots[slot].budget = budget
            self.unlink(slot)
            self.linkNewest(slot)
            return
        }
        let slot: Int
        if let reused = self.free.popLast() {
            slot = reused
            self.slots[slot] = Slot(key: key, budget: budget)
        } else {
            slot = self.slots.count
            self.slots.append(Slot(key: key, budget: budget))
        }
        self.index[key] = slot
        self.linkNewest(slot)
    }

    mutating func remove(_ key: BudgetKey) {
        guard let slot = self.index.removeValue(forKey: key) else { return }
        self.unlink(slot)
        self.slots[slot].key.key = ""  // release the string; the slot waits in `free`
        self.free.append(slot)
    }

    /// Removes every entry `drop` returns true for, returning how many it removed.
    @discardableResult
    mutating func removeAll(where drop: (BudgetKey, Budget) -> Bool) -> Int {
        let doomed = self.index.filter { drop($0.key, self.slots[$0.value].budget) }.keys
        doomed.forEach { self.remove($0) }
        return doomed.count
    }

    /// Renumbers the entries' rules with `transform` (keeping LRU order), dropping those it maps
    /// to `nil`.
    mutating func renumberRules(_ transform: (Int) -> Int?) {
        var kept: [(BudgetKey, Budget)] = []
        var slot = self.oldest
        while slot >= 0 {
            if let rule = transform(self.slots[slot].key.rule) {
                kept.append((BudgetKey(rule: rule, key: self.slots[slot].key.key), self.slots[slot].budget))
            }
            slot = self.slots[slot].newer
        }
        self = KeyTable()
        kept.forEach { self.set($0.0, $0.1) }
    }

    /// How many entries each rule holds, by rule position.
    func countsByRule(ruleCount: Int) -> [Int] {
        var counts = Array(repeating: 0, count: ruleCount)
        for key in self.index.keys where key.rule < ruleCount { counts[key.rule] += 1 }
        return counts
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (self.slots[slot].newer, self.slots[slot].older)
        if newer >= 0 { self.slots[newer].older = older } else { self.newest = older }
        if older >= 0 { self.slots[older].newer = newer } else { self.oldest = newer }
        self.slots[slot].newer = -1
        self.slots[slot].older = -1
    }

    private mutating func linkNewest(_ slot: Int) {
        self.slots[slot].older = self.newest
        self.slots[slot].newer = -1
        if self.newest >= 0 { self.slots[self.newest].newer = slot } else { self.oldest = slot }
        self.newest = slot
    }
}
