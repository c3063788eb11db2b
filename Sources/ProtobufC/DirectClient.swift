public import GRPCCore
internal import Synchronization

/// The channel a generated client calls through: a `GRPCClient`, whose unary and server-streaming
/// calls go straight to its transport's stream when Plugboard opened a direct route for it (a
/// client Plugboard made, with no interceptors). That skips GRPCCore's per-call executor: its task
/// group, the child task that writes the request, the task that sleeps until a timeout and the
/// response sequence adapters. Everything else, and a call with an execution policy (its own or
/// its method config's), goes through the `GRPCClient` as before.
public struct DirectClient<Transport: ClientTransport>: Sendable {
    private let client: GRPCClient<Transport>
    private let route: (route: DirectRoute, transport: Transport)?

    /// Wraps `client`, taking its direct route if Plugboard opened one.
    public init(_ client: GRPCClient<Transport>) {
        self.client = client
        self.route = DirectRoute.route(for: client)
    }

    /// Whether unary and server-streaming calls (with no execution policy) go straight to the
    /// transport.
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
            case let options = Self.merging(options, transport.config(forMethod: descriptor)),
            options.timeout == nil || (route.timesDeadlines && transport is any DirectCallTransport),
            options.executionPolicy == nil,
            let message = try? serializer.serialize(request.message) as Transport.Bytes
        else {
            return try await self.client.unary(
                request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
                options: options, onResponse: handleResponse)
        }
        if let timeout = options.timeout {
            // The route's transport is `transport`, cast here rather than taken from the route (an
            // `any DirectCallTransport` whose type nothing knows): where `Transport` is a concrete
            // type the optimizer folds the cast, and a call with a deadline is specialized as one
            // without is (from the route's, it looked up generic metadata on every call: about 6 µs
            // of a host's CPU per call on one CPU here).
            let direct = transport as! any DirectCallTransport
            return try await Self.unary(
                on: direct, message: message, metadata: request.metadata, descriptor: descriptor,
                options: options, deadline: CallDeadline(after: timeout),
                call: DirectUnaryCall(deserializer: deserializer, largestInlineRequest: route.largestInlineRequest),
                onResponse: handleResponse)
        }
        return try await DirectUnaryCall(deserializer: deserializer, largestInlineRequest: route.largestInlineRequest)
            .run(
                request.metadata, message: message, descriptor: descriptor, options: options, on: transport,
                onResponse: handleResponse)
    }

    /// `options` with what they leave unset taken from the transport's `config` for the method, as
    /// the `GRPCClient` merges them.
    private static func merging(_ options: CallOptions, _ config: MethodConfig?) -> CallOptions {
        guard let config else { return options }
        var merged = options
        merged.timeout = options.timeout ?? config.timeout
        merged.waitForReady = options.waitForReady ?? config.waitForReady
        merged.maxRequestMessageBytes = options.maxRequestMessageBytes ?? config.maxRequestMessageBytes
        merged.maxResponseMessageBytes = options.maxResponseMessageBytes ?? config.maxResponseMessageBytes
        merged.executionPolicy = options.executionPolicy ?? config.executionPolicy
        return merged
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

    /// A server-streaming call, as `GRPCClient.serverStreaming` makes it: straight to the
    /// transport's stream when it has a direct route and the call has no timeout or execution
    /// policy and a request small enough to write before reading.
    public func serverStreaming<Request, Response, ReturnValue: Sendable>(
        request: ClientRequest<Request>,
        descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        options: CallOptions,
        onResponse handleResponse: @Sendable @escaping (StreamingClientResponse<Response>) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        guard let (route, transport) = self.route, route.takesCalls,
            case let options = Self.merging(options, transport.config(forMethod: descriptor)),
            options.timeout == nil, options.executionPolicy == nil,
            let message = try? serializer.serialize(request.message) as Transport.Bytes,
            message.count <= route.largestInlineRequest
        else {
            return try await self.client.serverStreaming(
                request: request, descriptor: descriptor, serializer: serializer, deserializer: deserializer,
                options: options, onResponse: handleResponse)
        }
        return try await DirectServerStreamingCall(deserializer: deserializer).run(
            request.metadata, message: message, descriptor: descriptor, options: options, on: transport,
            onResponse: handleResponse)
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

/// The deadline of a direct unary call with a timeout: its transport times it (Plugboard's, on
/// the connection's event loop) and ends the call's stream with ``error`` when it passes first,
/// where GRPCCore races the call against a sleeping task.
package final class CallDeadline: Sendable {
    /// When the call times out.
    package let instant: ContinuousClock.Instant
    private let passed = Atomic(false)

    /// What a call that timed out throws, in GRPCCore's words.
    package static let error = RPCError(code: .deadlineExceeded, message: "RPC timed out before completing")

    init(after timeout: Duration) {
        self.instant = ContinuousClock.now + timeout
    }

    /// Whether the deadline passed before the call was done.
    var hasPassed: Bool { self.passed.load(ordering: .acquiring) }

    /// The transport's timer fired: the call is over, with ``error``.
    package func pass() {
        self.passed.store(true, ordering: .releasing)
    }

    /// The `grpc-timeout` for a request sent now: the time left, as GRPCCore encodes it (at most
    /// eight digits, in the finest unit that holds them, rounded up).
    var grpcTimeout: String {
        Self.encode(ContinuousClock.now.duration(to: self.instant))
    }

    package static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int64(Double(attoseconds) / 1e9)
        if seconds == 0 { return Self.rounded(nanoseconds, unit: 0) }
        if seconds > Self.largestAmount { return Self.rounded(seconds, unit: 3) }
        if nanoseconds / 1000 == 0 { return "\(seconds)S" }
        return Self.rounded(seconds * 1_000_000 + nanoseconds / 1000, unit: 1)
    }

    private static let largestAmount: Int64 = 99_999_999
    /// From the finest: nanoseconds, microseconds, milliseconds, seconds, minutes, hours; and how
    /// many of each the next one holds.
    private static let units: [(symbol: Character, perNext: Int64)] = [
        ("n", 1000), ("u", 1000), ("m", 1000), ("S", 60), ("M", 60), ("H", 0),
    ]

    private static func rounded(_ amount: Int64, unit: Int) -> String {
        var amount = max(amount, 0)
        var unit = unit
        while amount > Self.largestAmount {
            let perNext = Self.units[unit].perNext
            guard perNext > 0 else {
                amount = Self.largestAmount
                break
            }
            let (quotient, remainder) = amount.quotientAndRemainder(dividingBy: perNext)
            amount = quotient + (remainder == 0 ? 0 : 1)
            unit += 1
        }
        return "\(amount)\(Self.units[unit].symbol)"
    }
}
