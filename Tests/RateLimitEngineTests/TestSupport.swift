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
    static func tokenBucket(_ id: String, resource: String = "*", key: String = "*", threshold: UInt64, windowMs: UInt64, burst: UInt64 = 0) -> Self {
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

    static func slidingWindow(_ id: String, resource: String = "*", key: String = "*", threshold: UInt64, windowMs: UInt64) -> Self {
        .with {
            $0.id = id
            $0.resource = resource
            $0.key = key
            $0.threshold = threshold
            $0.windowMs = windowMs
            $0.strategy = .slidingWindow
        }
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
