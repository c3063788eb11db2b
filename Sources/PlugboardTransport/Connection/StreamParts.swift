internal import GRPCCore
internal import GRPCNIOTransportHTTP2Posix

/// What the event loop hands a stream's reader: request parts on a server, response parts on a
/// client. One enum for both keeps ``StreamCore`` non-generic.
enum InboundPart: Sendable {
    case metadata(Metadata)
    case message(GRPCNIOTransportBytes)
    case status(Status, Metadata)

    /// The status and trailers, if this part is the status.
    var statusAndTrailers: (Status, Metadata)? {
        if case .status(let status, let metadata) = self { return (status, metadata) }
        return nil
    }
}

/// One stream's inbound parts as GRPCCore reads them: response parts on a client, request parts
/// (which have no status: it ends the sequence) on a server.
struct InboundParts<Element: ConvertibleFromInboundPart>: AsyncSequence, Sendable {
    let core: StreamCore
    /// Client: what the caller gets instead of an error or a non-OK status (see
    /// ``CallFailureExplainer``), with the method it called.
    var explainer: (any CallFailureExplainer, MethodDescriptor)? = nil

    func makeAsyncIterator() -> Iterator { Iterator(core: self.core, explainer: self.explainer) }

    struct Iterator: AsyncIteratorProtocol {
        let core: StreamCore
        let explainer: (any CallFailureExplainer, MethodDescriptor)?

        mutating func next() async throws -> Element? {
            try await self.next(isolation: nil)
        }

        /// GRPCCore reads with this one: one hop to `actor`'s executor for each part, and none
        /// below it (each hop locks the task's executor preference).
        mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            let part: InboundPart?
            if let (explainer, method) = self.explainer {
                part = try await explainer.nextPart(of: self.core, calling: method)
            } else {
                part = try await self.core.nextPart()
            }
            return part.flatMap(Element.init)
        }
    }
}

/// A GRPCCore stream part made from an ``InboundPart``; `nil` ends the stream.
protocol ConvertibleFromInboundPart: Sendable {
    init?(_ part: InboundPart)
}

extension RPCResponsePart<GRPCNIOTransportBytes>: ConvertibleFromInboundPart {
    init?(_ part: InboundPart) {
        switch part {
        case .metadata(let metadata): self = .metadata(metadata)
        case .message(let bytes): self = .message(bytes)
        case .status(let status, let metadata): self = .status(status, metadata)
        }
    }
}

extension RPCRequestPart<GRPCNIOTransportBytes>: ConvertibleFromInboundPart {
    init?(_ part: InboundPart) {
        switch part {
        case .metadata(let metadata): self = .metadata(metadata)
        case .message(let bytes): self = .message(bytes)
        case .status: return nil
        }
    }
}

/// One stream's writer as GRPCCore writes it: request parts on a client, response parts on a
/// server.
struct OutboundWriter<Element: ConvertibleToOutboundPart>: ClosableRPCWriterProtocol {
    let core: StreamCore

    func write(_ element: Element) async throws {
        try await self.core.write(element.outboundPart)
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        for element in elements { try await self.write(element) }
    }

    func finish() async {
        self.core.finishWriting(.end)
    }

    func finish(throwing error: any Error) async {
        self.core.finishWriting(.abort)
    }
}

/// A GRPCCore stream part as the ``OutboundPart`` the event loop writes.
protocol ConvertibleToOutboundPart: Sendable {
    var outboundPart: OutboundPart { get }
}

extension RPCRequestPart<GRPCNIOTransportBytes>: ConvertibleToOutboundPart {
    var outboundPart: OutboundPart {
        switch self {
        case .metadata(let metadata): return .metadata(metadata)
        case .message(let bytes): return .message(bytes)
        }
    }
}

extension RPCResponsePart<GRPCNIOTransportBytes>: ConvertibleToOutboundPart {
    var outboundPart: OutboundPart {
        switch self {
        case .metadata(let metadata): return .metadata(metadata)
        case .message(let bytes): return .message(bytes)
        case .status(let status, let metadata): return .status(status, metadata)
        }
    }
}

/// What a stream's writer hands the event loop.
enum OutboundPart: Sendable {
    case metadata(Metadata)
    case message(GRPCNIOTransportBytes)
    case status(Status, Metadata)
    /// The writer finished: END_STREAM on a client; on a server, a reset if no status was sent.
    case end
    /// The writer gave up: the stream is reset.
    case abort

    /// Bytes this part adds to the stream's outbound buffer.
    var size: Int {
        if case .message(let bytes) = self { return bytes.wireSize }
        return 0
    }

    /// Whether the writer writes nothing after this part.
    var isLast: Bool {
        switch self {
        case .metadata, .message: false
        case .status, .end, .abort: true
        }
    }
}
