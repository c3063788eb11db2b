internal import NIOCore

/// The inbound half of one stream: parts the event loop delivered and the reader hasn't taken,
/// the reader parked waiting for more, and flow-control credit owed to the peer.
///
/// A plain value type with no I/O; ``StreamCore`` runs it under a lock and acts on the results.
package struct InboundBufferStateMachine<Part, Waiter> {
    /// How the inbound side ended.
    package enum End {
        case finished
        case failed(any Error)
    }

    private var parts = CircularBuffer<(part: Part, credit: Int)>(initialCapacity: 4)
    private var waiter: Waiter?
    private var end: End?
    private var pendingCredit = 0
    /// Credit is returned to the peer in batches of at least this many bytes.
    let creditBatch: Int

    package init(creditBatch: Int) {
        self.creditBatch = creditBatch
    }

    /// Whether the inbound side has ended (parts may still be buffered).
    var hasEnded: Bool { self.end != nil }

    /// The parts delivered and not yet taken, oldest first.
    package var bufferedParts: some Collection<Part> { self.parts.lazy.map { $0.part } }

    package enum OnReceive {
        /// Hand `part` straight to the parked reader; send `credit` (if non-zero) to the peer.
        case resume(Waiter, Part, credit: Int)
        /// The part was queued.
        case buffered
        /// The inbound side already ended; the part was dropped.
        case dropped
    }

    /// The event loop delivers `part`, which returns `credit` bytes of window once consumed.
    package mutating func receive(_ part: Part, credit: Int) -> OnReceive {
        if self.end != nil { return .dropped }
        if let waiter = self.waiter {
            self.waiter = nil
            return .resume(waiter, part, credit: self.takeCredit(adding: credit))
        }
        self.parts.append((part, credit))
        return .buffered
    }

    /// Adds credit for bytes that needn't wait for the reader; returns credit to send now.
    mutating func addCredit(_ credit: Int) -> Int {
        self.takeCredit(adding: credit)
    }

    package enum OnNext {
        /// The reader gets `part`; the caller must send `credit` (if non-zero) to the peer.
        case part(Part, credit: Int)
        case finished
        case failed(any Error)
        /// Nothing buffered; the reader was parked (only when a waiter was given).
        case parked
        /// Nothing buffered and no waiter was given.
        case empty
    }

    /// The reader asks for the next part, parking `waiter` if there's none.
    package mutating func next(parking waiter: Waiter?) -> OnNext {
        if let (part, credit) = self.parts.popFirst() {
            return .part(part, credit: self.takeCredit(adding: credit))
        }
        switch self.end {
        case .finished:
            return .finished
        case .failed(let error):
            return .failed(error)
        case .none:
            guard let waiter else { return .empty }
            precondition(self.waiter == nil, "Only one reader may wait on a stream at a time.")
            self.waiter = waiter
            return .parked
        }
    }

    /// Ends the inbound side; returns the parked reader, which must be resumed with the end.
    package mutating func finish(_ end: End) -> Waiter? {
        guard self.end == nil else { return nil }
        self.end = end
        defer { self.waiter = nil }
        return self.waiter
    }

    /// Ends the inbound side at once, dropping buffered parts (the stream was reset).
    package mutating func fail(_ error: any Error) -> Waiter? {
        self.parts.removeAll()
        if case .failed = self.end { return nil }
        self.end = .failed(error)
        defer { self.waiter = nil }
        return self.waiter
    }

    /// The parked reader's task was cancelled: unpark it so it can be resumed with an error.
    package mutating func cancelWaiter() -> Waiter? {
        defer { self.waiter = nil }
        return self.waiter
    }

    private mutating func takeCredit(adding credit: Int) -> Int {
        self.pendingCredit += credit
        guard self.pendingCredit >= self.creditBatch, self.end == nil else { return 0 }
        defer { self.pendingCredit = 0 }
        return self.pendingCredit
    }
}
