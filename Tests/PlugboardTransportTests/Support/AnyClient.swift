import GRPCCore
import GRPCNIOTransportHTTP2Posix
import PlugboardTransport
import ProtobufC

/// A client transport of either ``TransportKind``, so a test needn't be generic.
struct AnyClient: ClientTransport, DirectCallTransport {
    typealias Bytes = GRPCNIOTransportBytes

    private enum Wrapped: Sendable {
        case lean(UnixSocketTransport.Client)
        case stock(HTTP2ClientTransport.Posix)
    }

    private let wrapped: Wrapped

    /// A client of `kind` for the server on `path`; the stock one ignores `config`.
    init(kind: TransportKind, path: String, config: UnixSocketTransport.Config = .defaults) throws {
        switch kind {
        case .lean:
            self.wrapped = .lean(UnixSocketTransport.Client(path: path, config: config))
        case .stock:
            self.wrapped = .stock(
                try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext))
        }
    }

    var retryThrottle: RetryThrottle? {
        switch self.wrapped {
        case .lean(let client): client.retryThrottle
        case .stock(let client): client.retryThrottle
        }
    }

    func connect() async throws {
        switch self.wrapped {
        case .lean(let client): try await client.connect()
        case .stock(let client): try await client.connect()
        }
    }

    func beginGracefulShutdown() {
        switch self.wrapped {
        case .lean(let client): client.beginGracefulShutdown()
        case .stock(let client): client.beginGracefulShutdown()
        }
    }

    func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        switch self.wrapped {
        case .lean(let client): try await client.withStream(descriptor: descriptor, options: options, closure)
        case .stock(let client): try await client.withStream(descriptor: descriptor, options: options, closure)
        }
    }

    /// The stock client can't be asked whether it is shutting down: a call made after that gets
    /// its error rather than the `GRPCClient`'s (no test does).
    var takesCalls: Bool {
        switch self.wrapped {
        case .lean(let client): client.takesCalls
        case .stock: true
        }
    }

    /// The lean client times its calls' deadlines itself; the stock one's calls with a timeout go
    /// through the `GRPCClient`.
    var timesDeadlines: Bool {
        switch self.wrapped {
        case .lean(let client): client.timesDeadlines
        case .stock: false
        }
    }

    func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        deadline: CallDeadline,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        switch self.wrapped {
        case .lean(let client):
            try await client.withStream(descriptor: descriptor, options: options, deadline: deadline, closure)
        case .stock:
            preconditionFailure("DirectClient asks only a transport that times deadlines (timesDeadlines) to")
        }
    }

    var largestInlineRequest: Int {
        switch self.wrapped {
        case .lean(let client): client.largestInlineRequest
        case .stock: 32 * 1024
        }
    }

    func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? {
        switch self.wrapped {
        case .lean(let client): client.config(forMethod: descriptor)
        case .stock(let client): client.config(forMethod: descriptor)
        }
    }
}
