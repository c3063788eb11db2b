import Synchronization

/// Lets the server side of a test report events the test body waits for.
final class Probe: Sendable {
    enum Event: Sendable, Hashable {
        case hangStarted
        case hangCancelled
        case getCalled
    }

    private struct State {
        /// Occurrences not yet consumed by ``Probe/wait(for:)``.
        var counts: [Event: Int] = [:]
        /// Every occurrence, consumed or not.
        var totals: [Event: Int] = [:]
        var waiters: [(Event, CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func record(_ event: Event) {
        let ready = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.totals[event, default: 0] += 1
            if let index = state.waiters.firstIndex(where: { $0.0 == event }) {
                return [state.waiters.remove(at: index).1]
            }
            state.counts[event, default: 0] += 1
            return []
        }
        for waiter in ready { waiter.resume() }
    }

    /// Waits for one occurrence of `event` (consuming it).
    func wait(for event: Event) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let now = self.state.withLock { state -> Bool in
                if let count = state.counts[event], count > 0 {
                    state.counts[event] = count - 1
                    return true
                }
                state.waiters.append((event, waiter))
                return false
            }
            if now { waiter.resume() }
        }
    }

    /// How many times `event` was recorded so far (waiting doesn't consume these).
    func total(of event: Event) -> Int {
        self.state.withLock { $0.totals[event, default: 0] }
    }
}
