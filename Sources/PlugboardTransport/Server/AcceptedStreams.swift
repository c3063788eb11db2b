internal import Synchronization

/// The streams a server connection accepted, from its event loop to the task that starts their
/// handlers: a queue with one reader.
///
/// It replaced an `AsyncStream<AcceptedStream>`, whose storage the standard library runs
/// unspecialized: each accepted call looked up its generic metadata several times over (about 2%
/// of a plugin's CPU with 16 callers, `perf`). Here the element type is concrete.
final class AcceptedStreams: Sendable {
    private struct State {
        var queued: [AcceptedStream] = []
        var head = 0
        var waiter: UnsafeContinuation<AcceptedStream?, Never>?
        var finished = false

        /// The next queued stream; nil when none is.
        mutating func take() -> AcceptedStream? {
            guard self.head < self.queued.count else { return nil }
            let first = self.queued[self.head]
            self.head += 1
            if self.head == self.queued.count {
                self.queued.removeAll(keepingCapacity: true)
                self.head = 0
            }
            return first
        }

        /// The next queued stream, `.some(nil)` once finished and empty, nil while the reader must wait.
        mutating func takeOrEnd() -> AcceptedStream?? {
            if let first = self.take() { return .some(first) }
            return self.finished ? .some(nil) : nil
        }
    }

    private let state = Mutex(State())

    /// Hands `accepted` to the reader (event loop); dropped once the queue is finished.
    func yield(_ accepted: AcceptedStream) {
        let waiter = self.state.withLock { state -> UnsafeContinuation<AcceptedStream?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queued.append(accepted)
            return nil
        }
        waiter?.resume(returning: accepted)
    }

    /// No more streams come: the reader gets nil once it has taken those queued. Idempotent.
    func finish() {
        let waiter = self.state.withLock { state -> UnsafeContinuation<AcceptedStream?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next stream, waiting for one; nil once the queue is finished and empty. One reader.
    func next() async -> AcceptedStream? {
        if let ready = self.state.withLock({ $0.takeOrEnd() }) { return ready }
        return await withUnsafeContinuation { continuation in
            let ready = self.state.withLock { state -> AcceptedStream?? in
                guard let ready = state.takeOrEnd() else {
                    state.waiter = continuation
                    return nil
                }
                return ready
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
