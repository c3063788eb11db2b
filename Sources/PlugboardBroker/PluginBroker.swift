public import GRPCCore
package import GoPluginProtos
internal import PlugboardCore
public import PlugboardTransport
internal import ProtobufC
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// go-plugin's `GRPCBroker` in classic mode (protocol §8.1): extra gRPC connections between a host
/// and its plugin, in either direction, for callbacks.
///
/// One side serves a set of services under an id from ``nextID()``; the id reaches the other side
/// inside an application message; the other side dials it. Host and plugin each have a broker, and
/// each can serve and dial:
///
/// ```swift
/// // Host: serve a service the plugin calls back, and tell the plugin where it is.
/// let id = plugin.broker.nextID()
/// try await plugin.broker.serve(id: id, services: [TierDirectory()])
/// _ = try await limiter.applyRules(.with { $0.tierDirectory = id; … })
///
/// // Plugin, in a handler: call the host back.
/// try await broker.withClient(id: request.tierDirectory) { client in
///     try await Ratelimit_V1_TierDirectory.Client(wrapping: client).lookup(.with { $0.key = key })
/// }
/// ```
///
/// Brokered connections use the main connection's AutoMTLS, if any. Servers stop and their
/// sockets are removed when the plugin stops, crashes or restarts.
public final class PluginBroker: Sendable {
    /// The side this broker is on, for messages and for what the peer is called.
    let peer: Peer
    private let socketDirectory: String
    private let tls: BrokerTLS?
    private let dialCheck: UnixSocketTransport.Client.PeerCheck?
    private let watcher: (any CallWatcher)?
    private let explainer: (any CallFailureExplainer)?
    private let ids = Atomic<UInt32>(0)
    /// The sockets ``serve(id:services:)`` listens on.
    private let socketPaths = Mutex<[String]>([])
    private let announcements = Mutex(BrokerAnnouncements<Plugin_ConnInfo, Waiter>())
    private let outbox: AsyncStream<Plugin_ConnInfo>
    private let outboxContinuation: AsyncStream<Plugin_ConnInfo>.Continuation
    private let jobs: AsyncStream<Job>
    private let jobsContinuation: AsyncStream<Job>.Continuation

    typealias Waiter = CheckedContinuation<Plugin_ConnInfo, any Error>

    package init(
        peer: Peer,
        socketDirectory: String,
        tls: BrokerTLS?,
        dialCheck: UnixSocketTransport.Client.PeerCheck?,
        watcher: (any CallWatcher)? = nil,
        explainer: (any CallFailureExplainer)? = nil
    ) {
        self.peer = peer
        self.socketDirectory = socketDirectory
        self.tls = tls
        self.dialCheck = dialCheck
        self.watcher = watcher
        self.explainer = explainer
        (self.outbox, self.outboxContinuation) = AsyncStream.makeStream()
        (self.jobs, self.jobsContinuation) = AsyncStream.makeStream()
    }

    /// A new id to serve under; ids count up from 1 on each side, as go-plugin's do.
    public func nextID() -> UInt32 {
        self.ids.add(1, ordering: .relaxed).newValue
    }

    /// Serves `services` on a new unix socket and announces it to the peer under `id`; returns once
    /// the socket accepts connections. The server runs until the plugin stops.
    ///
    /// - Throws: `PluginError` with code `brokerClosed` when the plugin has stopped, or
    ///   `launchFailed` when the socket cannot be made.
    public func serve(id: UInt32, services: [any RegistrableRPCService]) async throws {
        let path = "\(self.socketDirectory)/broker-\(id)-\(UInt32.random(in: 0...UInt32.max)).sock"
        let transport = UnixSocketTransport.Server(
            path: path, config: .defaults, tls: self.tls?.server, directMethods: DirectMethods(serving: services))
        let server = GRPCServer(transport: transport, services: services)
        guard case .enqueued = self.jobsContinuation.yield(.serve(server)) else {
            throw self.peer.closed()
        }
        self.socketPaths.withLock { $0.append(path) }
        do {
            try await transport.waitUntilListening()
        } catch {
            throw PluginError(
                code: .launchFailed, message: "The broker could not listen for id \(id) on \(path): \(error).",
                cause: error)
        }
        self.outboxContinuation.yield(
            .with {
                $0.serviceId = id
                $0.network = Handshake.network
                $0.address = path
            })
    }

    /// Waits up to `timeout` for the peer to announce `id`, connects to it, and runs `body` with a
    /// client on that connection; the connection closes when `body` returns.
    ///
    /// Calls on the client behave like calls on the main connection: the same deadlines, the same
    /// AutoMTLS, and on the host side the same typed errors when the plugin dies.
    ///
    /// - Throws: `PluginError` with code `brokerTimeout` when `id` is not announced in time (an
    ///   unknown id, or a dial before the peer serves), `invalidBrokerAnnouncement` when the peer
    ///   announced something Plugboard cannot dial, `brokerClosed` when the plugin stopped; or what
    ///   `body` throws.
    public func withClient<Result: Sendable>(
        id: UInt32,
        timeout: Duration = .seconds(5),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (GRPCClient<UnixSocketTransport.Client>) async throws -> Result
    ) async throws -> Result {
        let transport = try await self.transport(for: id, timeout: timeout)
        return try await DirectRoute.withClient(transport: transport, isolation: isolation, body)
    }

    /// Like ``withClient(id:timeout:isolation:_:)``, for a connection that outlives the caller's
    /// scope, as go-plugin's `Dial` returns one: it stays open until ``Connection/close()`` or
    /// until the plugin stops.
    ///
    /// Each announcement is for one dial, so a service dialled once and used for many calls
    /// needs a connection like this.
    public func dial(id: UInt32, timeout: Duration = .seconds(5)) async throws -> Connection {
        let transport = try await self.transport(for: id, timeout: timeout)
        let client = GRPCClient(transport: transport)
        let route = DirectRoute.open(from: client, to: transport)
        guard case .enqueued = self.jobsContinuation.yield(.connect(client, route)) else {
            route.close()
            throw self.peer.closed()
        }
        return Connection(client: client, route: route)
    }

    /// A brokered connection from ``dial(id:timeout:)``.
    public struct Connection: Sendable {
        /// The client; wrap it in a service's generated client.
        public let client: GRPCClient<UnixSocketTransport.Client>
        let route: DirectRoute

        /// Closes the connection once its calls are done.
        public func close() {
            self.route.close()
            self.client.beginGracefulShutdown()
        }
    }

    private func transport(for id: UInt32, timeout: Duration) async throws -> UnixSocketTransport.Client {
        let info = try await self.announcement(id, timeout: timeout)
        guard info.network == Handshake.network, info.address.hasPrefix("/"), info.address.utf8.count < 108 else {
            throw self.peer.invalidAnnouncement(id: id, network: info.network, address: info.address)
        }
        return UnixSocketTransport.Client(
            path: info.address, config: .defaults, peerCheck: self.dialCheck, tls: self.tls?.client,
            watcher: self.watcher, explainer: self.explainer)
    }

    // MARK: The broker stream and the servers, run by the host's session or the plugin's server

    /// Announcements to send on the broker stream, in order.
    package var outgoing: AsyncStream<Plugin_ConnInfo> { self.outbox }

    /// Records an announcement that arrived on the broker stream.
    package func received(_ info: Plugin_ConnInfo) {
        let waiter = self.announcements.withLock { $0.announced(info.serviceId, info, at: .now) }
        waiter?.resume(returning: info)
    }

    /// Runs every brokered server and dialled connection until cancelled; then the servers stop
    /// and their sockets are removed, and the connections close.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for await job in self.jobs {
                switch job {
                case .serve(let server): group.addTask { try? await server.serve() }
                case .connect(let client, let route):
                    group.addTask {
                        try? await client.runConnections()
                        route.close()
                    }
                }
            }
        }
    }

    /// Removes the socket files of the servers, so that nothing can dial them any more; the servers
    /// keep their open connections (a stopping plugin calls it before its last replies drain).
    package func removeSocketFiles() {
        for path in self.socketPaths.withLock({ $0 }) { unlink(path) }
    }

    /// Ends the broker: no more announcements or servers; waiting dials fail with `brokerClosed`.
    package func close() {
        self.outboxContinuation.finish()
        self.jobsContinuation.finish()
        let waiters = self.announcements.withLock { $0.close() }
        for waiter in waiters { waiter.resume(throwing: self.peer.closed()) }
    }

    private func announcement(_ id: UInt32, timeout: Duration) async throws -> Plugin_ConnInfo {
        // One already here is used at once, and a closed broker refuses at once, before the race
        // below: a busy machine may start the deadline's task long before the waiting one.
        switch self.announcements.withLock({ $0.take(id, at: .now) }) {
        case .use(let info): return info
        case .closed: throw self.peer.closed()
        case .wait, nil: break
        }
        let token = WaitToken()
        return try await withThrowingTaskGroup(of: Plugin_ConnInfo?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (waiter: Waiter) in
                        switch self.announcements.withLock({ $0.claim(id, waiter: waiter, at: .now) }) {
                        case .use(let info): waiter.resume(returning: info)
                        case .closed: waiter.resume(throwing: self.peer.closed())
                        case .wait(let claimed):
                            token.value.withLock { $0 = claimed }
                            if Task.isCancelled { self.abandon(id, token: claimed) }
                        }
                    }
                } onCancel: {
                    if let claimed = token.value.withLock({ $0 }) { self.abandon(id, token: claimed) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let info = try await group.next() ?? nil else {
                throw self.peer.timeout(id: id, after: timeout)
            }
            return info
        }
    }

    private func abandon(_ id: UInt32, token: Int) {
        self.announcements.withLock { $0.abandon(id, token: token) }?.resume(throwing: CancellationError())
    }
}

/// The TLS a broker's servers and dials use: the main connection's AutoMTLS identities.
package struct BrokerTLS: Sendable {
    /// For the servers this side offers: its own certificate, the peer's as the only client.
    package let server: MutualTLS
    /// For this side's dials: its own certificate as the client's, the peer's as the only server.
    package let client: MutualTLS

    package init(server: MutualTLS, client: MutualTLS) {
        self.server = server
        self.client = client
    }
}

/// Where a waiting dial's place in ``BrokerAnnouncements`` is kept, for its cancellation handler.
private final class WaitToken: Sendable {
    let value = Mutex<Int?>(nil)
}

/// Work ``PluginBroker/run()`` does for the broker's life.
private enum Job: Sendable {
    case serve(GRPCServer<UnixSocketTransport.Server>)
    case connect(GRPCClient<UnixSocketTransport.Client>, DirectRoute)
}
