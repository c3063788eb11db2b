internal import GRPCCore
internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

extension GRPCConnectionHandler {
    /// A HEADERS frame from the server: response headers, trailers, or a trailers-only response.
    func clientReceived(headers: HTTP2Frame.FramePayload.Headers, streamID: HTTP2StreamID) {
        guard let stream = self.streams[streamID] else { return }
        let fields = headers.headers
        if headers.endStream { stream.loop.receivedEnd = true }

        if let malformed = fields.malformedField {
            let status = Status(
                code: .internalError, message: "The server sent a malformed header block: \(malformed).")
            stream.loop.receivedHeaders = true
            self.deliverStatus(status, metadata: [:], to: stream)
            self.resetStream(stream, code: .protocolError)
        } else if stream.loop.receivedHeaders {
            self.deliverStatus(fields.grpcStatus, metadata: fields.grpcMetadata, to: stream)
        } else if fields.first(name: ":status") == "200" || fields.first(name: "grpc-status") != nil {
            stream.loop.receivedHeaders = true
            if fields.first(name: "grpc-status") != nil {
                self.deliverStatus(fields.grpcStatus, metadata: fields.grpcMetadata, to: stream)
            } else if !fields.hasGRPCContentType {
                let contentType = fields.first(name: "content-type") ?? "<none>"
                let status = Status(
                    code: .internalError,
                    message: "The server answered with content-type '\(contentType)', not application/grpc."
                )
                self.deliverStatus(status, metadata: fields.grpcMetadata, to: stream)
                self.resetStream(stream, code: .cancel)
            } else {
                stream.deliver(.metadata(fields.grpcMetadata))
            }
        } else if let code = fields.first(name: ":status").flatMap({ Int($0) }), (100..<200).contains(code) {
            return  // Informational headers: the real ones follow.
        } else {
            let code = fields.first(name: ":status").flatMap { Int($0) } ?? 0
            var status = Status(httpStatusCode: code)
            status = Status(code: status.code, message: "The server answered with HTTP status \(code), not 200.")
            stream.loop.receivedHeaders = true
            self.deliverStatus(status, metadata: fields.grpcMetadata, to: stream)
            self.resetStream(stream, code: .cancel)
        }
        if headers.endStream { self.peerFinished(stream) }
    }

    /// Gives the reader its final part, once.
    func deliverStatus(_ status: Status, metadata: Metadata, to stream: StreamCore) {
        guard !stream.loop.deliveredStatus else { return }
        stream.loop.deliveredStatus = true
        stream.deliver(.status(status, metadata))
        stream.finishInbound()
    }

    /// Writes one request part of a client stream.
    func clientWrite(_ part: OutboundPart, of stream: StreamCore, authority: String) {
        switch part {
        case .metadata(let metadata):
            guard stream.loop.streamID == nil else { return }
            if let violation = self.core.protocolViolation {
                // Thrown rather than a status, so the caller gets the violation as the cause.
                stream.loop.deliveredStatus = true
                stream.terminate(
                    RPCError(code: .unavailable, message: "\(violation)", cause: violation), dropBufferedParts: false)
                return
            }
            if self.draining || self.isClosed {
                let status = Status(
                    code: .unavailable,
                    message: "The connection to '\(self.core.socketPath)' is closing; retry the call."
                )
                self.deliverStatus(status, metadata: [:], to: stream)
                stream.closeOutbound(RPCError(code: .unavailable, message: status.message))
                return
            }
            let headers: HPACKHeaders
            do {
                headers = try HPACKHeaders.grpcRequest(path: stream.path, authority: authority, metadata: metadata)
            } catch {
                // As grpc-go refuses such metadata: before anything is sent.
                let status = Status(
                    code: .internalError, message: "The call's metadata can't be sent: \(error); change it.")
                self.deliverStatus(status, metadata: [:], to: stream)
                stream.closeOutbound(RPCError(code: .internalError, message: status.message))
                return
            }
            let id = HTTP2StreamID(self.nextStreamID)
            if self.nextStreamID > Int32.max - 2 {
                // The last stream id (RFC 9113 §5.1.1): later calls go to a new connection.
                self.stopTakingStreams()
            } else {
                self.nextStreamID += 2
            }
            stream.loop.streamID = id
            self.streams[id] = stream
            self.write(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers))))
        case .message:
            preconditionFailure("Messages are written by drainOutbox.")
        case .status:
            ()  // Clients don't send statuses.
        case .end:
            guard let id = stream.loop.streamID, !stream.loop.sentEnd, self.streams[id] === stream else { return }
            stream.loop.sentEnd = true
            let empty = self.context?.channel.allocator.buffer(capacity: 0) ?? ByteBuffer()
            self.write(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(empty), endStream: true))))
        case .abort:
            guard let id = stream.loop.streamID, self.streams[id] === stream else { return }
            if !stream.loop.deliveredStatus {
                self.deliverStatus(
                    Status(code: .cancelled, message: "The RPC was cancelled."), metadata: [:], to: stream)
            }
            if !(stream.loop.sentEnd && stream.loop.receivedEnd) {
                stream.loop.sentEnd = true
                self.write(HTTP2Frame(streamID: id, payload: .rstStream(.cancel)))
            }
        }
    }
}
