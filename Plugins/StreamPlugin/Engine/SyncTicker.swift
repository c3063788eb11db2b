/// What drives the stream plugin's timed `Status` events: something that calls back on each tick
/// until its task is cancelled.
///
/// Each sync stream runs its ticker in a task of its own and cancels it when the stream ends. A
/// tick makes a `Status` due only if updates arrived since the last one, so a quiet stream sends
/// nothing. Production code uses ``every(_:)``; tests pass a ticker they drive by hand, so they
/// need no sleeps:
///
/// ```swift
/// let (ticks, tick) = AsyncStream.makeStream(of: Void.self)
/// let ticker = SyncTicker { onTick in for await _ in ticks { onTick() } }
/// tick.yield()  // one Status, if updates arrived since the last
/// ```
public struct SyncTicker: Sendable {
    /// Calls `onTick` on every tick; returns when its task is cancelled.
    public let run: @Sendable (_ onTick: @escaping @Sendable () -> Void) async -> Void

    /// A ticker that calls `run`, which must call `onTick` on each tick and return when its task
    /// is cancelled (or when it will tick no more).
    public init(run: @escaping @Sendable (_ onTick: @escaping @Sendable () -> Void) async -> Void) {
        self.run = run
    }

    /// Ticks every `interval` of `clock`, first after one interval.
    public static func every<C: Clock>(_ interval: C.Duration, clock: C) -> SyncTicker where C: Sendable {
        SyncTicker { onTick in
            while true {
                do {
                    try await clock.sleep(for: interval)
                } catch {
                    return
                }
                onTick()
            }
        }
    }

    /// Ticks every `interval` of the continuous clock, first after one interval.
    public static func every(_ interval: Duration) -> SyncTicker {
        every(interval, clock: ContinuousClock())
    }

    /// Never ticks: `Status` events come only from the accepted-update count and the end of the stream.
    public static let never = SyncTicker { _ in
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(86_400))
        }
    }
}
