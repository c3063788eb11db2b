internal import NIOCore
internal import PlugboardCore
internal import Synchronization

/// The deadlines of a connection's calls (a client's timeouts, a server's `grpc-timeout`s), timed
/// by one timer on its event loop rather than a NIO scheduled task per call.
///
/// A caller scheduling and cancelling a task of its own on the event loop's queue, from its own
/// thread, took the loop's task lock twice per call, contended with the loop, and now and then
/// woke it: about 3 µs of the host's CPU per call with a deadline, and every call through a
/// supervisor has one. Here a call adds an entry (one lock, no wake-up unless its deadline is the
/// earliest) and marks it settled when it ends; the timer, armed for the earliest deadline, runs
/// the actions of the calls whose deadlines passed, forgets settled ones and arms itself for the
/// next. Calls made with one timeout, as most are, only ever add deadlines later than the armed
/// one.
final class CallDeadlines: Sendable {
    /// One call's deadline, settled once the call is over.
    final class Entry: Sendable {
        let instant: ContinuousClock.Instant
        let action: @Sendable () -> Void
        fileprivate let settled = Atomic(false)

        fileprivate init(_ instant: ContinuousClock.Instant, action: @escaping @Sendable () -> Void) {
            self.instant = instant
            self.action = action
        }

        /// The call is over: its deadline no longer matters.
        func settle() {
            self.settled.store(true, ordering: .relaxed)
        }

        fileprivate var isSettled: Bool { self.settled.load(ordering: .relaxed) }
    }

    private struct State {
        var entries: [Entry] = []
        /// When the timer fires, if it is armed.
        var armedFor: ContinuousClock.Instant?
        /// Entries at the last clean-up of settled ones.
        var compactedCount = 0
    }

    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Ends `stream` at `deadline` unless the entry returned is settled first: the deadline passes,
    /// the stream's reads and writes fail with its error and the server is told (`RST_STREAM`).
    func add(_ deadline: StreamDeadline, for stream: StreamCore) -> Entry {
        self.add(at: deadline.instant) {
            deadline.passed()
            stream.terminate(deadline.error, dropBufferedParts: true)
            stream.finishWriting(.abort)
        }
    }

    /// Runs `action` on the event loop at `instant` unless the entry returned is settled first.
    func add(at instant: ContinuousClock.Instant, action: @escaping @Sendable () -> Void) -> Entry {
        let entry = Entry(instant, action: action)
        let arm = self.state.withLock { state -> Bool in
            // Settled entries go once the list has doubled since the last clean-up.
            if state.entries.count >= max(2 * state.compactedCount, 32) {
                state.entries.removeAll { $0.isSettled }
                state.compactedCount = state.entries.count
            }
            state.entries.append(entry)
            guard state.armedFor.map({ instant < $0 }) ?? true else { return false }
            state.armedFor = instant
            return true
        }
        if arm { self.arm(for: instant) }
        return entry
    }

    private func arm(for instant: ContinuousClock.Instant) {
        // A delay past what nanoseconds hold (a peer's `grpc-timeout` may say 9,999,999 hours)
        // comes out as `Int64.max`: NIO then saturates the deadline, and the timer never fires.
        let delay = ContinuousClock.now.duration(to: instant).nanoseconds
        self.eventLoop.scheduleTask(in: .nanoseconds(max(delay, 0))) { self.fire(armedFor: instant) }
    }

    /// On the event loop, the timer armed for `instant` fired: ends the calls whose deadlines
    /// passed and, unless an earlier timer is pending, arms for the next deadline. A timer armed
    /// before an earlier deadline came fires too, and finds little to do.
    private func fire(armedFor instant: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let (passed, next) = self.state.withLock { state -> ([Entry], ContinuousClock.Instant?) in
            if state.armedFor == instant { state.armedFor = nil }
            var passed: [Entry] = []
            var next: ContinuousClock.Instant?
            state.entries.removeAll { entry in
                if entry.isSettled { return true }
                if entry.instant <= now {
                    passed.append(entry)
                    return true
                }
                next = min(next ?? entry.instant, entry.instant)
                return false
            }
            state.compactedCount = state.entries.count
            guard let next, state.armedFor.map({ next < $0 }) ?? true else { return (passed, nil) }
            state.armedFor = next
            return (passed, next)
        }
        // Late (a busy loop) several may have passed: they end in the order of their deadlines.
        for entry in passed.sorted(by: { $0.instant < $1.instant }) where !entry.isSettled { entry.action() }
        if let next { self.arm(for: next) }
    }
}
