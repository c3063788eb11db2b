internal import GRPCCore
internal import NIOCore
internal import NIOHTTP2

extension GRPCConnectionHandler {
    /// The peer ended its side of `stream` (END_STREAM).
    func peerFinished(_ stream: StreamCore) {
        switch self.role {
        case .server:
            if stream.loop.deframer.hasPartialMessage {
                self.refuse(
                    stream, status: Status(code: .internalError, message: "The client ended the stream mid-message."))
            } else {
                stream.finishInbound()
            }
        case .client:
            let status = Status(
                code: .internalError,
                message: "The server ended the stream without sending a grpc-status in trailers."
            )
            self.deliverStatus(status, metadata: [:], to: stream)
        }
    }

    /// A message on `stream` can't be accepted (too large, or compressed).
    func refuseMessage(on stream: StreamCore, failure: MessageDeframer.Failure) {
        self.refuse(stream, status: failure.status)
    }

    private func refuse(_ stream: StreamCore, status: Status) {
        let error = RPCError(code: RPCError.Code(status.code) ?? .internalError, message: status.message)
        switch self.role {
        case .server:
            stream.loop.receivedEnd = true
            self.writeStatus(status, metadata: [:], on: stream)
            stream.terminate(error, dropBufferedParts: true)
        case .client:
            self.deliverStatus(status, metadata: [:], to: stream)
            stream.closeOutbound(error)
            self.resetStream(stream, code: .cancel)
        }
    }

    /// The peer reset `stream`.
    func receivedReset(_ code: HTTP2ErrorCode, streamID: HTTP2StreamID) {
        guard let stream = self.streams[streamID] else { return }
        stream.loop.receivedEnd = true
        stream.loop.sentEnd = true
        switch self.role {
        case .server:
            let error = RPCError(code: .cancelled, message: "The client cancelled the RPC (RST_STREAM \(code)).")
            stream.terminate(error, dropBufferedParts: true)
        case .client:
            let status: Status
            switch code {
            case .cancel:
                status = Status(code: .cancelled, message: "The server cancelled the RPC (RST_STREAM CANCEL).")
            case .refusedStream:
                status = Status(code: .unavailable, message: "The server refused the stream; retry the call.")
            case .enhanceYourCalm:
                status = Status(code: .resourceExhausted, message: "The server reset the stream: ENHANCE_YOUR_CALM.")
            default:
                status = Status(code: .internalError, message: "The server reset the stream (RST_STREAM \(code)).")
            }
            self.deliverStatus(status, metadata: [:], to: stream)
            stream.closeOutbound(RPCError(code: .cancelled, message: status.message))
        }
    }

    /// The peer sent GOAWAY: streams above `lastStreamID` were never processed.
    func receivedGoAway(lastStreamID: HTTP2StreamID) {
        guard self.isClient else { return }
        for (id, stream) in self.streams where id > lastStreamID {
            let status = Status(
                code: .unavailable,
                message:
                    "The server at '\(self.core.socketPath)' is shutting down and didn't process the RPC; retry it."
            )
            self.deliverStatus(status, metadata: [:], to: stream)
            stream.closeOutbound(RPCError(code: .unavailable, message: status.message))
        }
        self.stopTakingStreams()
        self.closeIfDrained()
    }

    /// Client: the connection takes no new streams (the server went away, the connection closed,
    /// or its stream ids ran out); the transport opens another for the next calls.
    func stopTakingStreams() {
        guard case .client(let role) = self.role, !self.draining else { return }
        self.draining = true
        role.onDraining()
    }

    /// ``HTTP2Codec`` closed `stream` (both sides ended, or a reset).
    func streamClosed(_ stream: StreamCore, reason: HTTP2ErrorCode?) {
        stream.loop.receivedEnd = true
        stream.loop.sentEnd = true
        switch self.role {
        case .server:
            if reason != nil {
                stream.terminate(RPCError(code: .cancelled, message: "The stream was reset."), dropBufferedParts: true)
            } else {
                stream.closeOutbound(RPCError(code: .failedPrecondition, message: "The RPC already finished."))
            }
        case .client:
            let status = Status(code: .unavailable, message: "The stream closed before the server sent a status.")
            self.deliverStatus(status, metadata: [:], to: stream)
            stream.closeOutbound(RPCError(code: .failedPrecondition, message: "The RPC already finished."))
        }
    }

    /// The connection closed under `stream`.
    func connectionLost(_ stream: StreamCore) {
        let error: RPCError
        if let violation = self.core.protocolViolation {
            error = RPCError(code: .unavailable, message: "\(violation)", cause: violation)
        } else {
            let message = """
                The connection to unix socket '\(self.core.socketPath)' closed before the RPC finished; \
                check that the peer process is still running.
                """
            error = RPCError(code: .unavailable, message: message)
        }
        switch self.role {
        case .server:
            stream.terminate(error, dropBufferedParts: true)
        case .client where self.core.protocolViolation != nil && !stream.loop.deliveredStatus:
            // Thrown, not a status, so the caller gets the violation as the error's cause.
            stream.loop.deliveredStatus = true
            stream.terminate(error, dropBufferedParts: false)
        case .client:
            self.deliverStatus(Status(code: .unavailable, message: error.message), metadata: [:], to: stream)
            stream.closeOutbound(error)
        }
    }
}
