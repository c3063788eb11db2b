public import GRPCCore
internal import Synchronization

/// The channel a generated client calls through: a `GRPCClient`, whose unary calls go straight
/// to its transport's stream when Plugboard opened a direct route for it (a client Plugboard
/// made, with no interceptors). That skips GRPCCore's per-call executor: its task group, the
/// child task that writes the request, the task that sleeps until a timeout and the response
/// sequence adapters. Everything else, and a unary call with an execution policy or a method
/// config, goes through the `GRPCClient` as before.
public struct DirectClient<Transport: ClientTransport>: Sendable {
    private let client: GRPCClient<Transport>
    private let route: (route: DirectRoute, transport: Transport)?

    /// Wraps `client`, taking its direct route if Plugboard opened one.
    public init(_ client: GRPCClient<Transport>) {
        self.client = client
        self.route = DirectRoute.route(for: client)
    }

    /// Whether unary calls (with no execution policy) go straight to the transport.
    package var callsDirectly: Bool { self.route?.route.takesCalls ?? false }

    /// A unary call, as `GRPCClient.unary` makes it.
    public func unary<Request, Response, ReturnValue: Sendable>(
        request: ClientRequest<Request>,
        descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        options: CallOptions,
        onResponse handleResponse: @Sendable @escaping (ClientResponse<Response>) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        guard let (route, transport) = self.route, route.takesCalls,
            options.timeout == nil || route.timesDeadlines,
            options.executionPolicy == nil, transport.config(forMethod: descriptor) == nil,
            let message = try? serializer.serialize(request.message) as Transport.Bytes
        else {
            return try await self.client.unary(
                request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
                options: options, onResponse: handleResponse)
        }
        if let timeout = options.timeout {
            return try await Self.unary(
                on: route.transport, message: message, metadata: request.metadata, descriptor: descriptor,
                options: options, deadline: CallDeadline(after: timeout),
                call: DirectUnaryCall(deserializer: deserializer, largestInlineRequest: route.largestInlineRequest),
                onResponse: handleResponse)
        }
        return try await DirectUnaryCall(deserializer: deserializer, largestInlineRequest: route.largestInlineRequest)
            .run(
                request.metadata, message: message, descriptor: descriptor, options: options, on: transport,
                onResponse: handleResponse)
    }

    /// A unary call with a deadline, which `transport` (the route's: this client's own) times.
    static func unary<Direct: DirectCallTransport, Deserializer: MessageDeserializer, ReturnValue: Sendable>(
        on transport: Direct,
        message: Transport.Bytes,
        metadata: Metadata,
        descriptor: MethodDescriptor,
        options: CallOptions,
        deadline: CallDeadline,
        call: DirectUnaryCall<Deserializer>,
        onResponse handleResponse:
            @Sendable @escaping (ClientResponse<Deserializer.Message>) async throws
            -> ReturnValue
    ) async throws -> ReturnValue {
        // The route's transport is this client's `Transport`, so its bytes are the same type.
        try await call.run(
            metadata, message: message as! Direct.Bytes, descriptor: descriptor, options: options, on: transport,
            deadline: deadline, onResponse: handleResponse)
    }

    /// A client-streaming call, through the `GRPCClient`.
    public func clientStreaming<Request, Response, ReturnValue: Sendable>(
        request: StreamingClientRequest<Request>,
        descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        options: CallOptions,
        onResponse handleResponse: @Sendable @escaping (ClientResponse<Response>) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        try await self.client.clientStreaming(
            request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
            options: options, onResponse: handleResponse)
    }

    /// A server-streaming call, through the `GRPCClient`.
    public func serverStreaming<Request, Response, ReturnValue: Sendable>(
        request: ClientRequest<Request>,
        descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        options: CallOptions,
        onResponse handleResponse: @Sendable @escaping (StreamingClientResponse<Response>) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        try await self.client.serverStreaming(
            request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
            options: options, onResponse: handleResponse)
    }

    /// A bidirectional-streaming call, through the `GRPCClient`.
    public func bidirectionalStreaming<Request, Response, ReturnValue: Sendable>(
        request: StreamingClientRequest<Request>,
        descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        options: CallOptions,
        onResponse handleResponse: @Sendable @escaping (StreamingClientResponse<Response>) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        try await self.client.bidirectionalStreaming(
            request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
            options: options, onResponse: handleResponse)
    }
}

/// A client transport that ``DirectClient`` may call directly.
package protocol DirectCallTransport: ClientTransport {
    /// Whether it takes new calls: `false` once it began shutting down, as the `GRPCClient` that
    /// owns it then does (calls fall back to the client, which refuses them with its own error).
    var takesCalls: Bool { get }
    /// The largest request a call may write before it reads the response: one that cannot wait
    /// on the server, which may answer before it reads it.
    var largestInlineRequest: Int { get }
    /// Whether it times a call's deadline itself (`withStream(descriptor:options:deadline:_:)`);
    /// calls with a timeout go through the `GRPCClient` otherwise.
    var timesDeadlines: Bool { get }

    /// `withStream`, ending the stream when `deadline` passes before `closure` returns: the
    /// deadline passes (``CallDeadline/pass()``), the stream's reads and writes fail with
    /// ``CallDeadline/error`` and the server is told (`RST_STREAM`). Called only if
    /// ``timesDeadlines``.
    func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        deadline: CallDeadline,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T
}

/// Lets ``DirectClient``s wrapping one `GRPCClient` call its transport directly, until closed.
/// Plugboard opens one for each client it makes (those have no interceptors) and closes it when
/// the client's scope ends; a transport that began shutting down takes no more calls either.
package final class DirectRoute: Sendable {
    private struct Entry {
        weak var client: AnyObject?
        let route: DirectRoute
    }

    private static let routes = Mutex<[ObjectIdentifier: Entry]>([:])

    private let key: ObjectIdentifier
    /// The client's transport.
    let transport: any DirectCallTransport
    private let open = Atomic(true)
    let largestInlineRequest: Int
    let timesDeadlines: Bool

    private init(key: ObjectIdentifier, transport: some DirectCallTransport) {
        self.key = key
        self.transport = transport
        self.largestInlineRequest = transport.largestInlineRequest
        self.timesDeadlines = transport.timesDeadlines
    }

    /// Opens the route from `client` to `transport`, which must be the client's own transport,
    /// and the client must have no interceptors.
    package static func open<Transport: DirectCallTransport>(
        from client: GRPCClient<Transport>, to transport: Transport
    ) -> DirectRoute {
        let route = DirectRoute(key: ObjectIdentifier(client), transport: transport)
        Self.routes.withLock { routes in
            routes = routes.filter { $0.value.client != nil }
            routes[route.key] = Entry(client: client, route: route)
        }
        return route
    }

    /// `withGRPCClient` for a client with no interceptors, whose calls take a route to
    /// `transport` while `body` runs.
    package static func withClient<Transport: DirectCallTransport, Result: Sendable>(
        transport: Transport,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (GRPCClient<Transport>) async throws -> Result
    ) async throws -> Result {
        try await withGRPCClient(transport: transport, isolation: isolation) { client in
            let route = Self.open(from: client, to: transport)
            defer { route.close() }
            return try await body(client)
        }
    }

    /// Closes the route: calls through it from now on go through the `GRPCClient`.
    package func close() {
        self.open.store(false, ordering: .releasing)
        Self.routes.withLock { routes in
            if routes[self.key]?.route === self { routes[self.key] = nil }
        }
    }

    /// Whether calls may take the route now.
    var takesCalls: Bool { self.open.load(ordering: .acquiring) && self.transport.takesCalls }

    fileprivate static func route<Transport>(
        for client: GRPCClient<Transport>
    ) -> (route: DirectRoute, transport: Transport)? {
        let route = Self.routes.withLock { routes -> DirectRoute? in
            guard let entry = routes[ObjectIdentifier(client)], entry.client === client else { return nil }
            return entry.route
        }
        guard let route, let transport = route.transport as? Transport else { return nil }
        return (route, transport)
    }
}
