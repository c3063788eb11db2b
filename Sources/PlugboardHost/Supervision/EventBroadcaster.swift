import Synchronization

/// Hands each event to every current subscriber; a subscriber that falls 1,024 events behind
/// loses the oldest, so a slow reader never holds the supervisor up.
final class EventBroadcaster: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<SupervisorEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let shared = Mutex(State())

    /// The events from now on, ending after `.stopped`.
    func subscribe() -> AsyncStream<SupervisorEvent> {
        let (stream, continuation) = AsyncStream<SupervisorEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id: Int? = self.shared.withLock { shared in
            guard !shared.finished else { return nil }
            shared.nextID += 1
            shared.subscribers[shared.nextID] = continuation
            return shared.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func yield(_ event: SupervisorEvent) {
        let subscribers = self.shared.withLock { Array($0.subscribers.values) }
        subscribers.forEach { $0.yield(event) }
    }

    func finish() {
        let subscribers = self.shared.withLock { shared in
            shared.finished = true
            defer { shared.subscribers = [:] }
            return Array(shared.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }
}
