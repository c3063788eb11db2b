import GRPCCore
import GRPCInProcessTransport
import StreamServiceSet
import StreamSyncEngine

/// A ticker the test drives: each `tick()` is one tick, delivered even if the stream starts later.
struct ManualTicker: Sendable {
    let ticker: SyncTicker
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        let (ticks, continuation) = AsyncStream.makeStream(of: Void.self)
        self.ticker = SyncTicker { onTick in
            for await _ in ticks { onTick() }
        }
        self.continuation = continuation
    }

    func tick() { continuation.yield() }
}

/// A one-shot signal: `wait()` returns once `signal()` was called (before or after).
struct Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    func signal() { continuation.finish() }

    /// Returns when signalled, or when the waiting task is cancelled.
    func wait() async {
        for await _ in stream {}
    }
}

func update(
    _ sequence: UInt64,
    kind: String = "route",
    name: String,
    version: String,
    payload: [UInt8] = [],
    delete: Bool = false
) -> Stream_V1_ResourceUpdate {
    .with {
        $0.sequence = sequence
        $0.kind = kind
        $0.name = name
        $0.version = version
        $0.payload = payload
        $0.delete = delete
    }
}

func request(_ update: Stream_V1_ResourceUpdate) -> Stream_V1_SyncRequest {
    .with { $0.message = .update(update) }
}

/// Serves `service` over an in-process transport and hands `body` a client for it.
func withControlStream<Result: Sendable>(
    _ service: ControlStreamService,
    _ body: @Sendable (Stream_V1_ControlStream.Client<InProcessTransport.Client>) async throws -> Result
) async throws -> Result {
    let transport = InProcessTransport()
    return try await withGRPCServer(transport: transport.server, services: [service]) { server in
        let result = try await withGRPCClient(transport: transport.client) { client in
            try await body(Stream_V1_ControlStream.Client(wrapping: client))
        }
        server.beginGracefulShutdown()
        return result
    }
}

extension Stream_V1_SyncResponse {
    var ack: Stream_V1_Ack? {
        if case .ack(let ack)? = message { return ack }
        return nil
    }
    var rejection: Stream_V1_Rejection? {
        if case .rejection(let rejection)? = message { return rejection }
        return nil
    }
    var event: Stream_V1_Event? {
        if case .event(let event)? = message { return event }
        return nil
    }
    var status: Stream_V1_Status? {
        if case .status(let status)? = event?.event { return status }
        return nil
    }
    var derived: Stream_V1_DerivedResource? {
        if case .derived(let derived)? = event?.event { return derived }
        return nil
    }
    /// The sequence of the update an ack or rejection answers.
    var answeredSequence: UInt64? {
        ack?.sequence ?? rejection?.sequence
    }
}
