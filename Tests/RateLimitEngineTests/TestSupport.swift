import RateLimitEngine
import RateLimitServiceSet
import Synchronization

/// A clock tests move by hand; it starts at an arbitrary, non-aligned time.
final class FakeClock: RateLimitClock {
    private let nanoseconds: Mutex<UInt64>

    init(start: UInt64 = 1_000_000_000_123) {
        self.nanoseconds = Mutex(start)
    }

    func now() -> UInt64 {
        self.nanoseconds.withLock { $0 }
    }

    func advance(nanoseconds: UInt64) {
        self.nanoseconds.withLock { $0 += nanoseconds }
    }

    func advance(milliseconds: UInt64) {
        self.advance(nanoseconds: milliseconds * 1_000_000)
    }
}

extension Ratelimit_V1_Rule {
    static func tokenBucket(
        _ id: String, resource: String = "*", key: String = "*", threshold: UInt64, windowMs: UInt64, burst: UInt64 = 0
    ) -> Self {
        .with {
            $0.id = id
            $0.resource = resource
            $0.key = key
            $0.threshold = threshold
            $0.windowMs = windowMs
            $0.burst = burst
            $0.strategy = .tokenBucket
        }
    }

    static func slidingWindow(
        _ id: String, resource: String = "*", key: String = "*", threshold: UInt64, windowMs: UInt64
    ) -> Self {
        var rule = Self.tokenBucket(id, resource: resource, key: key, threshold: threshold, windowMs: windowMs)
        rule.strategy = .slidingWindow
        return rule
    }
}

extension Ratelimit_V1_RuleSet {
    static func version(_ version: UInt64, _ rules: [Ratelimit_V1_Rule]) -> Self {
        .with {
            $0.version = version
            $0.rules = rules
        }
    }
}

/// A tier source a test scripts: answers with `answer`, counts what it is asked and how often it
/// is closed.
final class StubTierSource: TierSource {
    private let answer: @Sendable (String) async throws -> Tier
    private let state = Mutex<(asked: [String], closed: Int)>(([], 0))

    init(_ answer: @escaping @Sendable (_ key: String) async throws -> Tier) {
        self.answer = answer
    }

    /// Keys starting with `premium-` are "premium" ×10, the rest "standard" ×1.
    static func premium() -> StubTierSource {
        StubTierSource { key in
            key.hasPrefix("premium-") ? Tier(name: "premium", multiplier: 10) : Tier(name: "standard", multiplier: 1)
        }
    }

    func tier(of key: String, deadline: Duration) async throws -> Tier {
        self.state.withLock { $0.asked.append(key) }
        return try await self.answer(key)
    }

    func close() {
        self.state.withLock { $0.closed += 1 }
    }

    var asked: [String] { self.state.withLock { $0.asked } }
    var closed: Int { self.state.withLock { $0.closed } }
}

/// What a tier source throws in tests.
struct DirectoryDown: Error, CustomStringConvertible {
    var description: String { "the directory is down" }
}
