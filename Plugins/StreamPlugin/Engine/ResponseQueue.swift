internal import Synchronization

/// A bounded first-in first-out queue between a stream's producers (its reader and its event
/// task) and the one task that writes responses.
///
/// ``send(_:)`` suspends while ``capacity`` elements wait, so a writer that cannot write (the
/// host stopped reading) stops the producers; the reader then stops reading requests. Producers
/// depend only on the writer and the writer only on the transport, so there is no cycle to
/// deadlock on.
///
/// ``finish()`` ends the queue after what it holds is taken; ``fail(_:)`` ends it at once, drops
/// what it holds, and makes every waiting and later call throw. Cancelling a task that waits in
/// ``send(_:)`` or ``next()`` fails the whole queue with `CancellationError`: a stream whose
/// tasks are cancelled is ending anyway.
package final class ResponseQueue<Element: Sendable>: Sendable {
    private enum Phase {
        case open
        case finished
        case failed(any Error)
    }

    private struct State {
        var items: [Element] = []
        var head = 0
        var phase = Phase.open
        var consumer: CheckedContinuation<Element?, any Error>?
        var producers: [CheckedContinuation<Void, any Error>] = []

        var count: Int { items.count - head }

        mutating func popFirst() -> Element? {
            guard head < items.count else { return nil }
            let element = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            return element
        }
    }

    /// How many elements may wait before ``send(_:)`` suspends.
    package let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int) {
        precondition(capacity > 0, "a ResponseQueue needs room for at least one element")
        self.capacity = capacity
    }

    /// Appends `element`, suspending while the queue is full.
    ///
    /// - Throws: The queue's error once it failed; `CancellationError` when it finished (a
    ///   producer outlived the stream).
    package func send(_ element: Element) async throws {
        while true {
            let outcome: Result<Bool, any Error> = state.withLock { state in
                switch state.phase {
                case .failed(let error): return .failure(error)
                case .finished: return .failure(CancellationError())
                case .open: break
                }
                if let consumer = state.consumer {
                    state.consumer = nil
                    consumer.resume(returning: element)
                    return .success(true)
                }
                guard state.count < capacity else { return .success(false) }
                state.items.append(element)
                return .success(true)
            }
            if try outcome.get() { return }
            try await waitForRoom()
        }
    }

    /// Takes the first element, suspending while the queue is empty; `nil` once it finished and is empty.
    package func next() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let producer: CheckedContinuation<Void, any Error>? = state.withLock { state in
                    if case .failed(let error) = state.phase {
                        continuation.resume(throwing: error)
                        return nil
                    }
                    if let element = state.popFirst() {
                        continuation.resume(returning: element)
                        return state.producers.isEmpty ? nil : state.producers.removeFirst()
                    }
                    if case .finished = state.phase {
                        continuation.resume(returning: nil)
                        return nil
                    }
                    precondition(state.consumer == nil, "ResponseQueue has one consumer")
                    state.consumer = continuation
                    return nil
                }
                producer?.resume()
            }
        } onCancel: {
            fail(CancellationError())
        }
    }

    /// Ends the queue once what it holds is taken. Does nothing after ``fail(_:)``.
    package func finish() {
        let consumer: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            guard case .open = state.phase else { return nil }
            state.phase = .finished
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    /// Ends the queue now with `error`: drops what it holds, and every waiting and later call throws it.
    /// Only the first failure counts.
    package func fail(_ error: any Error) {
        let waiters = state.withLock {
            state -> (CheckedContinuation<Element?, any Error>?, [CheckedContinuation<Void, any Error>])? in
            if case .failed = state.phase { return nil }
            state.phase = .failed(error)
            state.items.removeAll()
            state.head = 0
            defer {
                state.consumer = nil
                state.producers.removeAll()
            }
            return (state.consumer, state.producers)
        }
        guard let (consumer, producers) = waiters else { return }
        consumer?.resume(throwing: error)
        for producer in producers { producer.resume(throwing: error) }
    }

    private func waitForRoom() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                state.withLock { state in
                    switch state.phase {
                    case .failed(let error):
                        continuation.resume(throwing: error)
                    case .finished:
                        continuation.resume(throwing: CancellationError())
                    case .open where state.count < capacity || state.consumer != nil:
                        continuation.resume()
                    case .open:
                        state.producers.append(continuation)
                    }
                }
            }
        } onCancel: {
            fail(CancellationError())
        }
    }
}
