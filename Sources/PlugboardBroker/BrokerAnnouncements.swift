/// The connection infos the peer announced on the broker stream, and the dials waiting for them
/// (protocol §8.1). Pure state: the broker feeds it times and resumes what it returns.
///
/// An announcement is claimed by one dial, as in go-plugin; one nobody claims is forgotten
/// ``unclaimedLifetime`` after it arrived.
package struct BrokerAnnouncements<Info, Waiter> {
    package static var unclaimedLifetime: Duration { .seconds(5) }

    private var unclaimed: [UInt32: (info: Info, arrived: ContinuousClock.Instant)] = [:]
    private var waiters: [UInt32: [Int: Waiter]] = [:]
    private var nextWaiter = 0
    package private(set) var isClosed = false

    package init() {}

    /// What a dial does next.
    package enum Claim {
        case use(Info)
        case wait(Int)
        case closed
    }

    /// The peer announced `id`: returns the waiter to resume with it, if a dial is waiting.
    package mutating func announced(_ id: UInt32, _ info: Info, at now: ContinuousClock.Instant) -> Waiter? {
        guard !self.isClosed else { return nil }
        self.forgetExpired(now: now)
        if var waiting = self.waiters[id], let first = waiting.keys.min() {
            let waiter = waiting.removeValue(forKey: first)
            self.waiters[id] = waiting.isEmpty ? nil : waiting
            return waiter
        }
        self.unclaimed[id] = (info, now)
        return nil
    }

    /// A dial for `id`: the announcement if it is here, or a token to wait under.
    package mutating func claim(_ id: UInt32, waiter: Waiter, at now: ContinuousClock.Instant) -> Claim {
        if let claim = self.take(id, at: now) { return claim }
        let token = self.nextWaiter
        self.nextWaiter += 1
        self.waiters[id, default: [:]][token] = waiter
        return .wait(token)
    }

    /// The announcement for `id` if it is here (claimed), `.closed`, or `nil` when a dial would
    /// have to wait (nothing is registered).
    package mutating func take(_ id: UInt32, at now: ContinuousClock.Instant) -> Claim? {
        guard !self.isClosed else { return .closed }
        self.forgetExpired(now: now)
        return self.unclaimed.removeValue(forKey: id).map { .use($0.info) }
    }

    /// A dial gave up (deadline or cancellation): returns its waiter unless it was resumed already.
    package mutating func abandon(_ id: UInt32, token: Int) -> Waiter? {
        guard let waiter = self.waiters[id]?.removeValue(forKey: token) else { return nil }
        if self.waiters[id]?.isEmpty == true { self.waiters[id] = nil }
        return waiter
    }

    /// The broker stream ended: every waiting dial is returned to be failed.
    package mutating func close() -> [Waiter] {
        self.isClosed = true
        self.unclaimed = [:]
        defer { self.waiters = [:] }
        return self.waiters.values.flatMap { $0.values }
    }

    private mutating func forgetExpired(now: ContinuousClock.Instant) {
        self.unclaimed = self.unclaimed.filter { now - $0.value.arrived < Self.unclaimedLifetime }
    }
}
