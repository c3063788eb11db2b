internal import GRPCCore
internal import StreamServiceSet
internal import Synchronization

/// One sync stream at work: a reader, an event task, a ticker and a writer, all running at once.
///
/// - The reader takes requests in order, applies each to the ``SyncSession`` and queues its ack or
///   rejection. It never waits for events.
/// - The event task wakes when the session says events are due and queues them. It never waits
///   for the reader.
/// - The ticker feeds ``SyncSession/tick()``.
/// - The writer (the caller's task) is the only one that writes to the response stream: it takes
///   the ``ResponseQueue`` in order, so writes never overlap.
///
/// The queue is bounded: when the host stops reading responses, the writer stops, the queue fills,
/// the reader stops reading requests, and HTTP/2 flow control pushes back to the host.
///
/// The stream ends cleanly when the request stream ends: the reader marks the end, the event task
/// queues the final `Status`, the writer writes everything queued and returns. It ends at once,
/// throwing, when the writer cannot write, the request stream fails, gRPC cancels the RPC (the
/// host cancelled, a deadline passed, or the server is stopping) or ``fail(_:)`` is called.
final class SyncPipeline: Sendable {
    private let session: Mutex<SyncSession>
    private let queue: ResponseQueue<Stream_V1_SyncResponse>
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let ticker: SyncTicker

    init(configuration: ControlStreamService.Configuration) {
        self.session = Mutex(
            SyncSession(
                limits: ResourceStore.Limits(maxPayloadBytes: configuration.maxPayloadBytes),
                cadence: SyncSession.Cadence(statusEveryAcceptedUpdates: configuration.statusEveryAcceptedUpdates)
            )
        )
        self.queue = ResponseQueue(capacity: configuration.responseBufferSize)
        (self.wakes, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.ticker = configuration.ticker
    }

    /// Ends the stream now: queued responses are dropped and the RPC ends with `error`.
    func fail(_ error: any Error) {
        queue.fail(error)
    }

    /// Runs the stream until it ends; see the type's discussion.
    func run(
        requests: RPCAsyncSequence<Stream_V1_SyncRequest, any Error>,
        responses: RPCWriter<Stream_V1_SyncResponse>,
        context: ServerContext
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.ticker.run { self.tick() }
            }
            group.addTask {
                do {
                    try await context.cancellation.cancelled
                } catch {
                    return  // The stream ended first.
                }
                self.queue.fail(RPCError(code: .cancelled, message: "the sync stream was cancelled"))
            }
            group.addTask {
                try await self.produce(requests)
            }
            do {
                while let response = try await queue.next() {
                    try await responses.write(response)
                }
            } catch {
                queue.fail(error)
                throw error
            }
            group.cancelAll()
        }
    }

    /// Runs the reader and the event task; finishes the queue when both are done.
    private func produce(_ requests: RPCAsyncSequence<Stream_V1_SyncRequest, any Error>) async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.writeEvents() }
                try await self.readUpdates(requests)
                session.withLock { $0.endOfRequests() }
                wake.yield()
                wake.finish()
                try await group.waitForAll()
            }
            queue.finish()
        } catch {
            queue.fail(error)
            throw error
        }
    }

    private func readUpdates(_ requests: RPCAsyncSequence<Stream_V1_SyncRequest, any Error>) async throws {
        for try await request in requests {
            // A request without an update is from a newer host: nothing to answer.
            guard case .update(let update)? = request.message else { continue }
            let (response, due) = session.withLock { $0.receive(update) }
            if due { wake.yield() }
            try await queue.send(response)
        }
    }

    private func writeEvents() async throws {
        for await _ in wakes {
            let events = session.withLock { $0.takeEvents() }
            for pending in events {
                try await queue.send(.with { $0.message = .event(pending.event) })
            }
        }
    }

    private func tick() {
        if session.withLock({ $0.tick() }) { wake.yield() }
    }
}
