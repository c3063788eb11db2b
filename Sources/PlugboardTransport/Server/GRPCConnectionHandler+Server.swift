internal import GRPCCore
internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

extension GRPCConnectionHandler {
    /// A HEADERS frame from a client: a new RPC, or the client's trailers.
    func serverReceived(headers: HTTP2Frame.FramePayload.Headers, streamID: HTTP2StreamID, role: ServerRole) {
        if let stream = self.streams[streamID] {
            // Trailers from a client end its side of the stream; they carry nothing gRPC uses.
            stream.loop.receivedEnd = true
            self.peerFinished(stream)
            return
        }
        if streamID > self.lastPeerStreamID { self.lastPeerStreamID = streamID }
        if self.draining {
            self.write(HTTP2Frame(streamID: streamID, payload: .rstStream(.refusedStream)))
            return
        }

        let fields = headers.headers
        if fields.malformedField != nil {
            // A malformed request (RFC 9113 §8.1.1), answered as grpc-go answers it.
            self.write(HTTP2Frame(streamID: streamID, payload: .rstStream(.protocolError)))
            return
        }
        guard fields.first(name: ":method") == "POST", fields.hasGRPCContentType else {
            // Not gRPC: answer at the HTTP level (415 Unsupported Media Type), as grpc-go does.
            var response = HPACKHeaders()
            response.add(name: ":status", value: "415")
            self.rejectStream(streamID, headers: response, clientFinished: headers.endStream)
            return
        }
        if let encoding = fields.first(name: "grpc-encoding"), encoding != "identity" {
            let status = Status(
                code: .unimplemented,
                message: "Compression '\(encoding)' isn't supported by this server; call it without compression."
            )
            self.rejectStream(streamID, status: status, clientFinished: headers.endStream)
            return
        }
        guard let path = fields.first(name: ":path"), let descriptor = Self.descriptor(path: path, role: role)
        else {
            let path = fields.first(name: ":path") ?? "<none>"
            let status = Status(code: .unimplemented, message: "Invalid gRPC method path '\(path)'.")
            self.rejectStream(streamID, status: status, clientFinished: headers.endStream)
            return
        }

        let stream = StreamCore(connection: self.core, path: path)
        stream.loop.streamID = streamID
        self.streams[streamID] = stream
        stream.deliver(.metadata(fields.grpcMetadata))
        if headers.endStream {
            stream.loop.receivedEnd = true
            stream.finishInbound()
        }
        if !role.backgroundPaths.contains(path) { role.calls.started() }
        role.onStream.yield(AcceptedStream(stream: stream, descriptor: descriptor))
    }

    private static func descriptor(path: String, role: ServerRole) -> MethodDescriptor? {
        if let known = role.methods[path] { return known }
        guard path.first == "/", let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            return nil
        }
        let service = path[path.index(after: path.startIndex)..<slash]
        let method = path[path.index(after: slash)...]
        guard !service.isEmpty, !method.isEmpty else { return nil }
        return MethodDescriptor(fullyQualifiedService: String(service), method: String(method))
    }

    private func rejectStream(_ id: HTTP2StreamID, status: Status, clientFinished: Bool) {
        let trailers = HPACKHeaders.grpcTrailers(status: status, trailersOnly: true)
        self.rejectStream(id, headers: trailers, clientFinished: clientFinished)
    }

    private func rejectStream(_ id: HTTP2StreamID, headers: HPACKHeaders, clientFinished: Bool) {
        self.write(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true))))
        if !clientFinished {
            self.write(HTTP2Frame(streamID: id, payload: .rstStream(.noError)))
        }
    }

    /// Writes one response part of a server stream.
    func serverWrite(_ part: OutboundPart, of stream: StreamCore) {
        guard let id = stream.loop.streamID, !stream.loop.sentEnd, self.streams[id] === stream else { return }
        switch part {
        case .metadata(let metadata):
            guard !stream.loop.sentHeaders else { return }
            do {
                let headers = try HPACKHeaders.grpcResponse(metadata: metadata)
                stream.loop.sentHeaders = true
                self.write(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers))))
            } catch {
                self.writeStatus(Self.unsendable(error), metadata: [:], on: stream)
            }
        case .message:
            preconditionFailure("Messages are written by drainOutbox.")
        case .status(let status, let metadata):
            self.writeStatus(status, metadata: metadata, on: stream)
        case .end:
            // The handler returned without a status (e.g. it was cancelled): reset the stream.
            self.resetStream(stream, code: .cancel)
        case .abort:
            self.resetStream(stream, code: .internalError)
        }
    }

    /// Sends trailers (or a trailers-only response) and ends the stream.
    func writeStatus(_ status: Status, metadata: Metadata, on stream: StreamCore) {
        guard let id = stream.loop.streamID, !stream.loop.sentEnd else { return }
        let trailersOnly = !stream.loop.sentHeaders
        let trailers: HPACKHeaders
        do {
            trailers = try HPACKHeaders.grpcTrailers(status: status, metadata: metadata, trailersOnly: trailersOnly)
        } catch {
            trailers = HPACKHeaders.grpcTrailers(status: Self.unsendable(error), trailersOnly: trailersOnly)
        }
        stream.loop.sentHeaders = true
        stream.loop.sentEnd = true
        // If the client is still sending, tell it to stop, as grpc-go does: once the trailers are
        // out, since a reset drops frames still queued for the stream. A client that has finished
        // (as a unary call's client has, almost always) needs no reset, so no promise either.
        let written = stream.loop.receivedEnd ? nil : self.context?.eventLoop.makePromise(of: Void.self)
        self.write(
            HTTP2Frame(streamID: id, payload: .headers(.init(headers: trailers, endStream: true))), promise: written)
        stream.closeOutbound(RPCError(code: .failedPrecondition, message: "The RPC's status was already sent."))
        written?.futureResult.assumeIsolated().whenSuccess { _ in
            guard !stream.loop.receivedEnd, self.streams[id] === stream else { return }
            self.write(HTTP2Frame(streamID: id, payload: .rstStream(.noError)))
            self.flushIfNeeded()
        }
    }

    /// The status a call ends with when its handler's metadata can't be sent.
    private static func unsendable(_ malformed: MalformedField) -> Status {
        Status(code: .internalError, message: "The server's response metadata can't be sent: \(malformed).")
    }

    /// Starts a graceful shutdown: GOAWAY, finish streams already open, then close.
    func beginGracefulShutdown() {
        guard case .server = self.role, !self.draining, !self.isClosed else { return }
        self.draining = true
        self.write(
            HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: self.lastPeerStreamID, errorCode: .noError, opaqueData: nil))
        )
        self.flushIfNeeded()
        self.closeIfDrained()
    }
}
