package import GRPCCore
package import NIOCore
internal import NIOHTTP2
internal import Synchronization

/// One lean connection's handlers (its HTTP/2 handler and ``GRPCConnectionHandler``) on a channel
/// the caller drives, for the transport fuzz target (Tests/TransportFuzz): it feeds the channel
/// whatever a peer might send and checks what the connection holds on to.
package final class ConnectionHarness {
    package enum Side: Sendable {
        /// The side a host runs: it opens streams.
        case client
        /// The side a plugin runs: the peer opens streams on `/fuzz.Fuzz/Call`.
        case server
    }

    package static let method = "/fuzz.Fuzz/Call"

    private let core: ConnectionCore
    private let handler: GRPCConnectionHandler
    private var opened: [StreamCore] = []

    /// Adds the handlers to `channel` (on its event loop, before it is active).
    package init(side: Side, channel: any Channel, config: UnixSocketTransport.Config = .defaults) throws {
        self.core = ConnectionCore(eventLoop: channel.eventLoop, config: config, socketPath: "/fuzz.sock")
        switch side {
        case .client:
            self.handler = GRPCConnectionHandler(
                core: self.core, role: .client(.init(authority: "localhost", onDraining: {})))
        case .server:
            let descriptor = MethodDescriptor(fullyQualifiedService: "fuzz.Fuzz", method: "Call")
            self.handler = GRPCConnectionHandler(
                core: self.core,
                role: .server(
                    .init(
                        methods: [Self.method: descriptor], onStream: AcceptedStreams(), backgroundPaths: [],
                        calls: CallCount()))
            )
        }
        let sync = channel.pipeline.syncOperations
        let codecSide: HTTP2Codec.Side = side == .client ? .client : .server
        try sync.addHandler(HTTP2Codec(side: codecSide, config: config))
        try sync.addHandler(self.handler)
    }

    /// Client: queues a new call's HEADERS (written when the event loop runs).
    package func openStream() {
        let stream = StreamCore(connection: self.core, path: Self.method)
        self.opened.append(stream)
        self.core.enqueue(stream, .metadata([:]))
    }

    /// Client: the next stream opens with id `id` (odd), as if the connection had made that many.
    package func skipStreamIDs(to id: Int32) {
        self.handler.nextStreamID = id
    }

    /// Client: cancels the call the `index`th ``openStream()`` opened.
    package func cancelStream(_ index: Int) {
        self.core.enqueue(self.opened[index], .abort)
    }

    /// Client: the status delivered to each call ``openStream()`` opened, nil until it has one.
    package var statuses: [Status?] {
        self.opened.map { stream in
            stream.shared.withLock { shared in
                shared.inbound.bufferedParts.lazy.compactMap { part -> Status? in
                    if case .status(let status, _) = part { return status }
                    return nil
                }.first
            }
        }
    }

    /// Bytes the connection holds for its streams: messages delivered and not read (nobody reads
    /// here) and partial messages in the deframers.
    package var bufferedBytes: Int {
        self.handler.streams.values.reduce(0) { total, stream in
            let parts = stream.shared.withLock { shared in
                shared.inbound.bufferedParts.reduce(0) { sum, part in
                    if case .message(let bytes) = part { return sum + bytes.wireSize }
                    return sum + 64
                }
            }
            return total + parts + stream.loop.deframer.partialBytes
        }
    }

    /// Open streams in the connection's table.
    package var openStreams: Int { self.handler.streams.count }

    /// What the peer did, if it broke HTTP/2 (the connection is then closed).
    package var protocolViolation: HTTP2ProtocolViolation? { self.core.protocolViolation }
}
