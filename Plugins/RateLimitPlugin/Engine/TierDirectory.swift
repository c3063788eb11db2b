public import Logging
internal import Synchronization

/// The tier directory of the active rule set: asks its ``TierSource`` about each key once,
/// remembers the answer, and never fails a check.
///
/// - **Bounded:** at most ``TierPolicy/capacity`` answers are held; past that the least recently
///   used one is forgotten, and asked again when its key comes back.
/// - **Failures:** a lookup that throws or misses ``TierPolicy/deadline`` answers
///   ``TierAnswer/unavailable`` (the check's rule applies unscaled), and the key is asked again
///   once ``TierPolicy/retryAfter`` has passed. The first failure is logged at warning; later
///   ones are only counted.
/// - Checks of a key that arrive while its first lookup is under way each ask; the last answer is
///   kept.
public final class TierDirectory: Sendable {
    /// What the directory remembers about a key.
    private enum Remembered: Sendable {
        case known(Tier)
        /// The lookup failed; ask again from this time (the clock's nanoseconds) on.
        case failed(retryAt: UInt64)
    }

    /// The broker id the host served the directory under, for logs.
    public let id: UInt32
    private let source: any TierSource
    private let policy: TierPolicy
    private let clock: any RateLimitClock
    private let logger: Logger
    private let statistics: TierStatistics
    private let answers = Mutex(KeyTable<String, Remembered>())
    private let failureLogged = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    /// - Parameters:
    ///   - id: the broker id the rule set named, for logs.
    ///   - source: where answers come from; closed by ``close()``.
    ///   - statistics: counts lookups and failures, across directories.
    public init(
        id: UInt32,
        source: any TierSource,
        policy: TierPolicy = TierPolicy(),
        clock: any RateLimitClock = SystemRateLimitClock(),
        logger: Logger,
        statistics: TierStatistics
    ) {
        self.id = id
        self.source = source
        self.policy = policy
        self.clock = clock
        self.logger = logger
        self.statistics = statistics
    }

    /// The tier of `key`: remembered, or asked for now.
    public func tier(of key: String) async -> TierAnswer {
        if let remembered = self.remembered(key) { return remembered }
        do {
            let tier = try await self.source.tier(of: key, deadline: self.policy.deadline)
            self.statistics.lookups.add(1, ordering: .relaxed)
            self.remember(key, .known(tier))
            return .known(tier)
        } catch {
            // A check cancelled by its caller, or one that raced the rule set replacing this
            // directory, is no failure of the directory.
            if Task.isCancelled || self.closed.load(ordering: .relaxed) { return .unavailable }
            self.statistics.failures.add(1, ordering: .relaxed)
            let (retryAt, overflow) = self.clock.now().addingReportingOverflow(self.policy.retryAfterNanoseconds)
            self.remember(key, .failed(retryAt: overflow ? .max : retryAt))
            if !self.failureLogged.exchange(true, ordering: .relaxed) {
                self.logger.warning(
                    "tier lookup failed; checks of keys the directory cannot answer for apply their rules unscaled (logged once per directory)",
                    metadata: [
                        "ratelimit.tier_directory": "\(self.id)", "ratelimit.key": "\(key)", "error": "\(error)",
                    ]
                )
            }
            return .unavailable
        }
    }

    /// How many answers, failures included, are held now.
    public var rememberedKeys: Int {
        self.answers.withLock { $0.count }
    }

    /// Closes the source's connection, once; lookups after this fail, and checks go on unscaled.
    public func close() {
        guard !self.closed.exchange(true, ordering: .relaxed) else { return }
        self.source.close()
    }

    private func remembered(_ key: String) -> TierAnswer? {
        let now = self.clock.now()
        return self.answers.withLock { answers in
            switch answers.touch(key) {
            case .known(let tier): return .known(tier)
            case .failed(let retryAt) where now < retryAt: return .unavailable
            case .failed, nil: return nil
            }
        }
    }

    private func remember(_ key: String, _ answer: Remembered) {
        self.answers.withLock { answers in
            answers.set(key, answer)
            while answers.count > self.policy.capacity, let (oldest, _) = answers.leastRecent {
                answers.remove(oldest)
            }
        }
    }
}

/// How a ``TierDirectory`` asks and remembers.
public struct TierPolicy: Sendable {
    /// How long a lookup may take before the check goes on without it.
    public var deadline: Duration
    /// How long a key whose lookup failed is checked unscaled before it is asked about again.
    public var retryAfter: Duration
    /// The most answers held (at least 1).
    public var capacity: Int

    public init(
        deadline: Duration = .milliseconds(250), retryAfter: Duration = .seconds(1),
        capacity: Int = RateLimiter.defaultMaxTrackedKeys
    ) {
        self.deadline = deadline
        self.retryAfter = retryAfter
        self.capacity = max(1, capacity)
    }

    var retryAfterNanoseconds: UInt64 {
        let (seconds, attoseconds) = self.retryAfter.components
        // Up to 2³³ s (272 years), which keeps the product well inside 64 bits.
        return UInt64(clamping: min(seconds, 1 << 33)) * 1_000_000_000 + UInt64(clamping: attoseconds / 1_000_000_000)
    }
}

/// Tier lookups since the plugin started, over every directory, for `Stats`.
public final class TierStatistics: Sendable {
    /// Lookups the directories answered.
    let lookups = Atomic<UInt64>(0)
    /// Lookups that failed or missed their deadline.
    let failures = Atomic<UInt64>(0)

    public init() {}

    /// `(answered, failed)` now.
    public var counts: (lookups: UInt64, failures: UInt64) {
        (self.lookups.load(ordering: .relaxed), self.failures.load(ordering: .relaxed))
    }
}
