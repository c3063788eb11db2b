/// Which budget a table entry is: a rule (by position in the active set) and a key.
struct BudgetKey: Hashable, Sendable {
    var rule: Int
    var key: String
}

/// A key's budget under one rule, and the tier multiplier it was made for.
struct HeldBudget: Sendable {
    var budget: Budget
    var multiplier: UInt32
}

/// Entries in least-recently-used order: a dictionary over slots of an array that form a doubly
/// linked list (head = most recent), so lookup, touch, insert and removal are O(1). The engine
/// keeps its budgets in one and each tier directory its answers.
struct KeyTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Slot: Sendable {
        /// `nil` while the slot waits in `free`, so a removed entry's strings are released.
        var entry: (key: Key, value: Value)?
        var newer = -1
        var older = -1
    }

    private var slots: [Slot] = []
    private var index: [Key: Int] = [:]
    private var free: [Int] = []
    private var newest = -1
    private var oldest = -1

    var count: Int { self.index.count }

    /// The least recently used entry, if any.
    var leastRecent: (key: Key, value: Value)? {
        self.oldest < 0 ? nil : self.slots[self.oldest].entry
    }

    /// The value held for `key`, which becomes the most recently used.
    mutating func touch(_ key: Key) -> Value? {
        guard let slot = self.index[key] else { return nil }
        self.unlink(slot)
        self.linkNewest(slot)
        return self.slots[slot].entry?.value
    }

    /// Stores `value` for `key` as the most recently used entry.
    mutating func set(_ key: Key, _ value: Value) {
        if let slot = self.index[key] {
            self.slots[slot].entry = (key, value)
            self.unlink(slot)
            self.linkNewest(slot)
            return
        }
        let slot: Int
        if let reused = self.free.popLast() {
            slot = reused
            self.slots[slot] = Slot(entry: (key, value))
        } else {
            slot = self.slots.count
            self.slots.append(Slot(entry: (key, value)))
        }
        self.index[key] = slot
        self.linkNewest(slot)
    }

    mutating func remove(_ key: Key) {
        guard let slot = self.index.removeValue(forKey: key) else { return }
        self.unlink(slot)
        self.slots[slot].entry = nil
        self.free.append(slot)
    }

    /// Removes every entry `drop` returns true for, returning how many it removed.
    @discardableResult
    mutating func removeAll(where drop: (Key, Value) -> Bool) -> Int {
        let doomed = self.index.filter { entry in self.slots[entry.value].entry.map { drop($0.key, $0.value) } ?? false
        }.keys
        doomed.forEach { self.remove($0) }
        return doomed.count
    }

    /// Every entry, least recently used first.
    var entriesOldestFirst: [(key: Key, value: Value)] {
        var entries: [(key: Key, value: Value)] = []
        var slot = self.oldest
        while slot >= 0 {
            if let entry = self.slots[slot].entry { entries.append(entry) }
            slot = self.slots[slot].newer
        }
        return entries
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

extension KeyTable where Key == BudgetKey {
    /// Renumbers the entries' rules with `transform` (keeping LRU order), dropping those it maps
    /// to `nil`.
    mutating func renumberRules(_ transform: (Int) -> Int?) {
        let kept = self.entriesOldestFirst.compactMap { entry in
            transform(entry.key.rule).map { (BudgetKey(rule: $0, key: entry.key.key), entry.value) }
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
}
