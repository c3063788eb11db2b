import Dispatch
import Synchronization

/// A value that is set once and awaited by any number of tasks, with or without a timeout; a
/// waiting task that is cancelled stops waiting (and gets `nil`).
package final class OnceValue<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var actions: [@Sendable (Value) -> Void] = []
    }

    private let state = Mutex<State>(State())

    package init() {}

    /// The value, if it has been set.
    package var value: Value? { self.state.withLock { $0.value } }

    /// Sets the value and wakes every waiter; later calls are ignored. Returns whether this call set it.
    @discardableResult
    package func set(_ value: Value) -> Bool {
        let woken: (waiters: [CheckedContinuation<Value?, Never>], actions: [@Sendable (Value) -> Void])? =
            self.state.withLock { state in
                guard state.value == nil else { return nil }
                state.value = value
                defer {
                    state.waiters = [:]
                    state.actions = []
                }
                return (Array(state.waiters.values), state.actions)
            }
        guard let woken else { return false }
        woken.actions.forEach { $0(value) }
        woken.waiters.forEach { $0.resume(returning: value) }
        return true
    }

    /// Runs `action` with the value on the thread that sets it, before waiting tasks wake (or at
    /// once, if it is set): for what must not wait for a thread hop.
    package func whenSet(_ action: @escaping @Sendable (Value) -> Void) {
        let value: Value? = self.state.withLock { state in
            if state.value == nil { state.actions.append(action) }
            return state.value
        }
        if let value { action(value) }
    }

    /// Waits for the value; `nil` if the task is cancelled first.
    package func wait() async -> Value? { await self.wait(timeout: nil) }

    /// Waits up to `timeout` for the value; `nil` if the time runs out or the task is cancelled
    /// first. Whichever comes first wakes the task once (racing a sleep in a task group costs
    /// three wake-ups where the value comes first).
    package func wait(timeout: Duration?) async -> Value? {
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = timeout.map { _ in DispatchWorkItem { self.removeWaiter(id)?.resume(returning: nil) } }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: Value?? = self.state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready {
                    continuation.resume(returning: ready)
                } else if let timer, let timeout {
                    DispatchQueue.global().asyncAfter(deadline: .now() + Self.interval(timeout), execute: timer)
                }
            }
        } onCancel: {
            self.removeWaiter(id)?.resume(returning: nil)
        }
    }

    private func removeWaiter(_ id: Int) -> CheckedContinuation<Value?, Never>? {
        self.state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    private static func interval(_ duration: Duration) -> DispatchTimeInterval {
        guard duration.components.seconds < Int64(Int32.max) else { return .never }
        return .nanoseconds(Int(max(0, duration.nanoseconds)))
    }
}
