public import GRPCCore
public import Logging
public import PlugboardCore
public import StreamServiceSet  // The service conforms to its generated protocol.
internal import Synchronization

/// The stream plugin's `stream.v1.ControlStream` service: keeps the resources a host streams to
/// it, answers every update, and reports on its own.
///
/// Each `Sync` stream has its own store, empty when the stream opens: a host that reconnects sends
/// its resources again. On a stream:
///
/// - **Answers.** Every `ResourceUpdate` gets exactly one `Ack` or `Rejection` carrying its
///   `sequence`, `kind`, `name` and `version`, written in the order the updates arrived. A
///   rejection's `reason` says what to change; the store keeps what it held. Rejected: an empty
///   `kind` or `name`; a payload over ``Configuration/maxPayloadBytes`` (sets only); a version
///   older than the held one (versions made only of digits compare as integers, others byte by
///   byte). An update at the held version is acked and changes nothing; a delete of a resource not
///   held is acked. A `SyncRequest` with no update is ignored.
/// - **Events**, numbered 1, 2, 3… on their own, interleaved with the answers: a `Status` (resources
///   held by kind, updates received and rejected) every ``Configuration/statusEveryAcceptedUpdates``
///   accepted updates, on each tick of ``Configuration/ticker`` when updates arrived since the last
///   `Status`, and once more when the host ends its request stream; and, just before a `Status`
///   when routes changed since the last one, a `DerivedResource` of kind `route-index`, name
///   `routes`: its version counts the changes to routes on the stream (`"1"`, `"2"`, …), its payload
///   is UTF-8 JSON listing every route held, sorted by name
///   (`{"count":1,"routes":[{"bytes":3,"name":"a","version":"5"}]}`), and its `source_sequence` is
///   the last update that changed a route. Triggers that come close together produce one `Status`.
/// - **Flow.** Requests are read while responses are written; at most
///   ``Configuration/responseBufferSize`` responses wait, so a host that stops reading responses
///   soon stops the plugin reading its requests.
/// - **Ending.** When the host ends its request stream, the plugin writes the answers and events
///   still due, then the final `Status`, and ends the RPC with OK. When the host cancels, a deadline
///   passes or the server stops, the stream ends at once. ``endActiveStreams(with:)`` ends every open
///   stream from the plugin's side with a status.
///
/// ```swift
/// await PluginServer.serve(description: description) { _, logger in [ControlStreamService(logger: logger)] }
/// ```
public struct ControlStreamService: Stream_V1_ControlStream.SimpleServiceProtocol {
    /// The service set this service makes up, for a plugin's `--describe` output.
    public static let serviceSet = ServiceSetDescription(
        name: "stream",
        version: "1.0.0",
        services: ["stream.v1.ControlStream"]
    )

    /// Limits and cadences, the same for every stream.
    public struct Configuration: Sendable {
        /// The largest payload an update may set, in bytes. Default 64 KiB.
        public var maxPayloadBytes: Int
        /// A `Status` is sent every this many accepted updates; 0 sends none on count. Default 1000.
        public var statusEveryAcceptedUpdates: UInt64
        /// Drives timed `Status` events. Default: every 250 ms.
        public var ticker: SyncTicker
        /// How many responses may wait to be written before the plugin stops reading requests. Default 256.
        public var responseBufferSize: Int
        /// Called when a stream's handler ends, with the error it ends with (`nil` when it ended with OK).
        package var onStreamEnd: (@Sendable ((any Error)?) -> Void)?

        public init(
            maxPayloadBytes: Int = 64 * 1024,
            statusEveryAcceptedUpdates: UInt64 = 1000,
            ticker: SyncTicker = .every(.milliseconds(250)),
            responseBufferSize: Int = 256
        ) {
            self.maxPayloadBytes = maxPayloadBytes
            self.statusEveryAcceptedUpdates = statusEveryAcceptedUpdates
            self.ticker = ticker
            self.responseBufferSize = max(1, responseBufferSize)
            self.onStreamEnd = nil
        }
    }

    private let logger: Logger
    private let configuration: Configuration
    private let streams = ActiveStreams()

    /// Creates the service.
    /// - Parameters:
    ///   - logger: Where the service logs stream starts and ends (at debug level).
    ///   - configuration: Limits and cadences for every stream.
    public init(logger: Logger, configuration: Configuration = Configuration()) {
        self.logger = logger
        self.configuration = configuration
    }

    /// Creates the service with a logger that discards everything, for tests.
    package init(configuration: Configuration) {
        self.init(
            logger: Logger(label: "stream-plugin", factory: { _ in SwiftLogNoOpLogHandler() }),
            configuration: configuration)
    }

    /// Ends every open stream now, from the plugin's side: what is queued is dropped and each RPC
    /// ends with `error` as its status. Streams opened later are not affected.
    public func endActiveStreams(
        with error: RPCError = RPCError(
            code: .unavailable,
            message: "the stream plugin ended the sync stream; open a new one and send your resources again"
        )
    ) {
        for pipeline in streams.all() { pipeline.fail(error) }
    }

    public func sync(
        request: RPCAsyncSequence<Stream_V1_SyncRequest, any Error>,
        response: RPCWriter<Stream_V1_SyncResponse>,
        context: ServerContext
    ) async throws {
        let pipeline = SyncPipeline(configuration: configuration)
        let id = streams.add(pipeline)
        var logger = logger
        logger[metadataKey: "rpc.method"] = "stream.v1.ControlStream/Sync"
        logger[metadataKey: "stream.id"] = "\(id)"
        logger.debug("sync stream opened", metadata: ["peer": "\(context.remotePeer)"])
        do {
            try await pipeline.run(requests: request, responses: response, context: context)
        } catch {
            streams.remove(id)
            logger.debug("sync stream ended", metadata: ["error": "\(error)"])
            configuration.onStreamEnd?(error)
            throw error
        }
        streams.remove(id)
        logger.debug("sync stream ended")
        configuration.onStreamEnd?(nil)
    }
}

/// The service's open streams, so ``ControlStreamService/endActiveStreams(with:)`` can reach them.
private final class ActiveStreams: Sendable {
    private let state = Mutex((nextID: 1, pipelines: [Int: SyncPipeline]()))

    func add(_ pipeline: SyncPipeline) -> Int {
        state.withLock { state in
            defer { state.nextID += 1 }
            state.pipelines[state.nextID] = pipeline
            return state.nextID
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.pipelines.removeValue(forKey: id) }
    }

    func all() -> [SyncPipeline] {
        state.withLock { Array($0.pipelines.values) }
    }
}
