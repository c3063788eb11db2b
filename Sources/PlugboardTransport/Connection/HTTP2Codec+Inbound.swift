internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

extension HTTP2Codec {
    /// Handles one frame from the peer; throws what ends the connection.
    func process(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        if !self.sawSettings {
            // The peer's preface is a SETTINGS frame (RFC 9113 §3.4): anything else isn't HTTP/2.
            guard frame.kind == .settings, !frame.has(HTTP2WireFrame.Flag.ack) else {
                throw .protocolError("its first frame wasn't SETTINGS: it doesn't speak HTTP/2")
            }
            self.sawSettings = true
        }
        if let pending = self.headerBlock, frame.kind != .continuation || frame.stream != pending.stream {
            throw .protocolError("it sent another frame inside the header block of stream \(pending.stream)")
        }
        switch frame.kind {
        case .data:
            try self.receivedData(frame, context: context)
        case .headers:
            try self.receivedHeaders(frame, context: context)
        case .continuation:
            guard self.headerBlock != nil else { throw .protocolError("it sent CONTINUATION without HEADERS") }
            var payload = frame.payload
            guard self.headerBlock!.block.readableBytes + payload.readableBytes <= Self.maxHeaderBlockSize else {
                throw .flood("it sent a header block larger than allowed")
            }
            self.headerBlock!.block.writeBuffer(&payload)
            if frame.has(HTTP2WireFrame.Flag.endHeaders) { try self.endHeaderBlock(context: context) }
        case .rstStream:
            try self.receivedReset(frame, context: context)
        case .settings:
            try self.receivedSettings(frame, context: context)
        case .ping:
            try self.checkControlFrame(frame, length: 8)
            guard !frame.has(HTTP2WireFrame.Flag.ack) else { return }
            try self.controlFrames.spend(limit: self.config.maxControlFramesPerSecond)
            self.acknowledge(ping: frame.payload, context: context)
        case .goAway:
            guard frame.stream == 0 else { throw .protocolError("it sent GOAWAY on stream \(frame.stream)") }
            var payload = frame.payload
            guard let last = payload.readInteger(as: UInt32.self), let code = payload.readInteger(as: UInt32.self)
            else {
                throw .frameSizeError("it sent a GOAWAY shorter than 8 bytes")
            }
            let goAway = HTTP2Frame.FramePayload.goAway(
                lastStreamID: HTTP2StreamID(Int(last & 0x7fff_ffff)), errorCode: HTTP2ErrorCode(networkCode: Int(code)),
                opaqueData: nil)
            context.fireChannelRead(self.wrapInboundOut(HTTP2Frame(streamID: .rootStream, payload: goAway)))
            if self.side == .client { self.serverWentAway(lastStreamID: last & 0x7fff_ffff, context: context) }
        case .windowUpdate:
            try self.receivedWindowUpdate(frame, context: context)
        case .pushPromise:
            throw .protocolError(
                self.side == .server
                    ? "it sent PUSH_PROMISE, which a client may not"
                    : "it sent PUSH_PROMISE, which this client disabled")
        case .priority:
            guard frame.stream != 0 else { throw .protocolError("it sent PRIORITY on stream 0") }
            guard frame.payload.readableBytes == 5 else {
                throw .frameSizeError("it sent a PRIORITY frame that isn't 5 bytes")
            }
        case nil:
            ()  // an extension's frame type: ignored (§5.5)
        }
    }

    // MARK: Streams

    private func receivedHeaders(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        guard frame.stream != 0 else { throw .protocolError("it sent HEADERS on stream 0") }
        var payload = frame.payload
        _ = try payload.removeHTTP2Padding(flags: frame.flags)
        if frame.has(HTTP2WireFrame.Flag.priority) {
            guard payload.readableBytes >= 5 else { throw .protocolError("it sent HEADERS too short for its priority") }
            payload.moveReaderIndex(forwardBy: 5)
        }
        guard payload.readableBytes <= Self.maxHeaderBlockSize else {
            throw .flood("it sent a header block larger than allowed")
        }
        self.headerBlock = (frame.stream, frame.flags, payload)
        if frame.has(HTTP2WireFrame.Flag.endHeaders) { try self.endHeaderBlock(context: context) }
    }

    /// A whole header block: a new stream's request headers, or a client's trailers.
    private func endHeaderBlock(context: ChannelHandlerContext) throws(Failure) {
        guard let (id, flags, block) = self.headerBlock else { return }
        self.headerBlock = nil
        var bytes = block
        // Decoded whatever becomes of the stream: the decoder's table must follow the peer's.
        let headers: HPACKHeaders
        do {
            headers = try self.decoder.decodeHeaders(from: &bytes)
        } catch {
            throw .compressionError("it sent a header block HPACK can't decode (\(error))")
        }
        let endStream = flags & HTTP2WireFrame.Flag.endStream != 0
        let streamID = HTTP2StreamID(Int(id))
        if id <= self.lastStreamID, let stream = self.streams[id] {
            guard !stream.receivedEnd else {
                return self.resetStream(id, .streamClosed, context: context)
            }
            guard endStream || self.side == .client else {
                // A client's trailers must end the stream (RFC 9113 §8.1); a server's response
                // headers come first without END_STREAM.
                return self.resetStream(id, .protocolError, context: context)
            }
        } else if self.side == .client {
            // Late headers of a stream this end reset or closed (a client opened every odd id up
            // to the last, or skipped it): decoded above, ignored.
            guard id & 1 == 1, id <= self.lastStreamID else {
                throw .protocolError("it sent HEADERS on stream \(id), a stream never opened")
            }
            return
        } else {
            // Late trailers of a stream this end reset or refused: decoded above, ignored.
            if self.recentlyReset.contains(id) { return }
            guard id & 1 == 1, id > self.lastStreamID else {
                throw .protocolError("it sent HEADERS on stream \(id), which it may not open")
            }
            self.lastStreamID = id
            guard self.streams.count < self.config.maxConcurrentStreams else {
                self.rememberReset(id)
                self.writeFrame(.rstStream, stream: id) {
                    $0.writeInteger(UInt32(HTTP2ErrorCode.refusedStream.networkCode))
                }
                return
            }
            self.streams[id] = Stream(sendWindow: self.initialSendWindow, receiveWindow: self.initialReceiveWindow)
        }
        if endStream { self.streams[id]!.receivedEnd = true }
        let payload = HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: endStream))
        context.fireChannelRead(self.wrapInboundOut(HTTP2Frame(streamID: streamID, payload: payload)))
        if endStream { self.closeIfDone(id, context: context) }
    }

    private func receivedData(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        guard frame.stream != 0 else { throw .protocolError("it sent DATA on stream 0") }
        guard frame.stream & 1 == 1, frame.stream <= self.lastStreamID else {
            throw .protocolError("it sent DATA on stream \(frame.stream), a stream never opened")
        }
        let length = frame.payload.readableBytes
        self.connectionReceiveWindow -= length
        guard self.connectionReceiveWindow >= 0 else {
            throw .flowControlError("it sent DATA beyond its flow-control window")
        }
        let endStream = frame.has(HTTP2WireFrame.Flag.endStream)
        if length == 0, !endStream {
            self.emptyDataFrames += 1
            guard self.emptyDataFrames <= Self.maxEmptyDataFrames else {
                throw .flood("it flooded a stream with empty DATA frames")
            }
        } else {
            self.emptyDataFrames = 0
        }
        var payload = frame.payload
        let padding = try payload.removeHTTP2Padding(flags: frame.flags)
        guard var stream = self.streams[frame.stream], !stream.receivedEnd else {
            // A stream already closed (reset, say): its bytes still count against the
            // connection's window, which goes back to the peer at once.
            if length > 0 { self.returnConnectionWindow(length) }
            return
        }
        stream.receiveWindow -= length
        guard stream.receiveWindow >= 0 else {
            // RFC 9113 makes this a stream error; a peer that ignores flow control would go on
            // filling the connection's window with frames this end drops, so the connection goes.
            throw .flowControlError("it sent DATA beyond the flow-control window of stream \(frame.stream)")
        }
        if endStream { stream.receivedEnd = true }
        self.streams[frame.stream] = stream
        let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(payload), endStream: endStream, paddingBytes: padding)
        context.fireChannelRead(
            self.wrapInboundOut(HTTP2Frame(streamID: HTTP2StreamID(Int(frame.stream)), payload: .data(data))))
        if endStream { self.closeIfDone(frame.stream, context: context) }
    }

    /// Gives back the connection window of DATA this end drops (once per read, all together).
    private func returnConnectionWindow(_ length: Int) {
        self.droppedDataCredit += length
    }

    private func receivedReset(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        guard frame.stream != 0 else { throw .protocolError("it sent RST_STREAM on stream 0") }
        var payload = frame.payload
        guard payload.readableBytes == 4, let raw = payload.readInteger(as: UInt32.self) else {
            throw .frameSizeError("it sent an RST_STREAM that isn't 4 bytes")
        }
        guard frame.stream & 1 == 1, frame.stream <= self.lastStreamID else {
            throw .protocolError("it reset stream \(frame.stream), a stream never opened")
        }
        try self.resets.spend(limit: self.config.maxControlFramesPerSecond, flood: "it reset too many streams")
        guard self.dropStream(frame.stream) else { return }
        let code = HTTP2ErrorCode(networkCode: Int(raw))
        let id = HTTP2StreamID(Int(frame.stream))
        context.fireChannelRead(self.wrapInboundOut(HTTP2Frame(streamID: id, payload: .rstStream(code))))
        context.fireUserInboundEventTriggered(StreamClosedEvent(streamID: id, reason: code))
    }

    /// Resets stream `id` for the peer's error on it; the connection goes on.
    private func resetStream(_ id: UInt32, _ code: HTTP2ErrorCode, context: ChannelHandlerContext) {
        self.rememberReset(id)
        self.writeFrame(.rstStream, stream: id) { $0.writeInteger(UInt32(code.networkCode)) }
        guard self.dropStream(id) else { return }
        context.fireUserInboundEventTriggered(StreamClosedEvent(streamID: HTTP2StreamID(Int(id)), reason: code))
    }

    // MARK: The connection

    private func receivedSettings(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        guard frame.stream == 0 else { throw .protocolError("it sent SETTINGS on stream \(frame.stream)") }
        if frame.has(HTTP2WireFrame.Flag.ack) {
            guard frame.payload.readableBytes == 0 else {
                throw .frameSizeError("it acknowledged SETTINGS with a payload")
            }
            self.settingsAcknowledged()
            return
        }
        guard frame.payload.readableBytes % 6 == 0 else {
            throw .frameSizeError("it sent SETTINGS whose length isn't a multiple of 6")
        }
        try self.controlFrames.spend(limit: self.config.maxControlFramesPerSecond)
        var payload = frame.payload
        var initialWindow: Int?
        while let id = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
            switch id {
            case 0x1:  // HEADER_TABLE_SIZE
                try? self.encoder.setDynamicTableSize(min(Int(value), HPACKDecoder.maxDynamicTableSize))
            case 0x2 where value > 1 || (value == 1 && self.side == .client):  // ENABLE_PUSH: a server's must be 0
                throw .protocolError("it sent SETTINGS_ENABLE_PUSH \(value)")
            case 0x4:  // INITIAL_WINDOW_SIZE
                guard value <= HTTP2WireFrame.largestWindow else {
                    throw .flowControlError("it sent SETTINGS_INITIAL_WINDOW_SIZE \(value)")
                }
                initialWindow = Int(value)  // the last one counts, applied once below
            case 0x5:  // MAX_FRAME_SIZE
                guard (16_384...16_777_215).contains(value) else {
                    throw .protocolError("it sent SETTINGS_MAX_FRAME_SIZE \(value)")
                }
                self.peerMaxFrameSize = Int(value)
            case 0x3:  // MAX_CONCURRENT_STREAMS: only a client opens streams
                if self.side == .client { self.peerMaxConcurrentStreams = Int(value) }
            default:
                ()  // others, unknown ones
            }
        }
        if let initialWindow, initialWindow != self.initialSendWindow {
            let delta = initialWindow - self.initialSendWindow
            self.initialSendWindow = initialWindow
            for id in self.streams.keys {
                self.streams[id]!.sendWindow += delta
                guard self.streams[id]!.sendWindow <= HTTP2WireFrame.largestWindow else {
                    throw .flowControlError("its settings overflowed a stream's window")
                }
            }
        }
        self.writeFrame(.settings, flags: HTTP2WireFrame.Flag.ack, stream: 0) { _ in }
        self.unblock(context: context)
    }

    private func receivedWindowUpdate(_ frame: HTTP2WireFrame, context: ChannelHandlerContext) throws(Failure) {
        var payload = frame.payload
        guard payload.readableBytes == 4, let raw = payload.readInteger(as: UInt32.self) else {
            throw .frameSizeError("it sent a WINDOW_UPDATE that isn't 4 bytes")
        }
        let increment = Int(raw & 0x7fff_ffff)
        if frame.stream == 0 {
            guard increment > 0 else { throw .protocolError("it sent a WINDOW_UPDATE of 0 for the connection") }
            self.connectionSendWindow += increment
            guard self.connectionSendWindow <= HTTP2WireFrame.largestWindow else {
                throw .flowControlError("it overflowed the connection's window")
            }
            self.unblock(context: context)
        } else if frame.stream <= self.lastStreamID, self.streams[frame.stream] != nil {
            guard increment > 0 else { return self.resetStream(frame.stream, .protocolError, context: context) }
            self.streams[frame.stream]!.sendWindow += increment
            guard self.streams[frame.stream]!.sendWindow <= HTTP2WireFrame.largestWindow else {
                return self.resetStream(frame.stream, .flowControlError, context: context)
            }
            if self.streams[frame.stream]!.queued.isEmpty == false { self.unblock(context: context) }
        } else if frame.stream & 1 == 0 || frame.stream > self.lastStreamID {
            throw .protocolError("it sent WINDOW_UPDATE on stream \(frame.stream), a stream never opened")
        }
    }

    /// The peer acknowledged this end's SETTINGS: its stream window (``initialReceiveWindow``)
    /// holds from now on, for the open streams too (RFC 9113 §6.9.2).
    private func settingsAcknowledged() {
        guard !self.peerAckedSettings else { return }
        self.peerAckedSettings = true
        let delta = self.config.streamWindowSize - HTTP2WireFrame.defaultWindow
        for id in self.streams.keys { self.streams[id]!.receiveWindow += delta }
    }

    /// The server sent GOAWAY: the streams above `lastStreamID` it never saw, and those waiting to
    /// open, close as refused (``GRPCConnectionHandler`` fails their calls as retryable), and no
    /// more open.
    private func serverWentAway(lastStreamID: UInt32, context: ChannelHandlerContext) {
        self.peerWentAway = true
        let refused = self.streams.filter { $0.key > lastStreamID || $0.value.waitingToOpen }.keys.sorted()
        for id in refused where self.dropStream(id) {
            let event = StreamClosedEvent(streamID: HTTP2StreamID(Int(id)), reason: .refusedStream)
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func checkControlFrame(_ frame: HTTP2WireFrame, length: Int) throws(Failure) {
        guard frame.stream == 0 else { throw .protocolError("it sent a connection frame on stream \(frame.stream)") }
        guard frame.payload.readableBytes == length else {
            throw .frameSizeError("it sent a PING that isn't \(length) bytes")
        }
    }

    /// Owes the peer an acknowledgement of `ping`, held until other frames go or
    /// ``longestAckDelay`` passes.
    private func acknowledge(ping: ByteBuffer, context: ChannelHandlerContext) {
        let acksOnly = self.output.readableBytes == 0 || self.outputIsAcksOnly
        self.startFrame()
        self.output.writeHTTP2Frame(.ping, flags: HTTP2WireFrame.Flag.ack, stream: 0) { $0.writeImmutableBuffer(ping) }
        self.outputIsAcksOnly = acksOnly
        guard acksOnly, self.ackTimer == nil else { return }
        self.ackTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.longestAckDelay) {
            self.ackTimer = nil
            guard let context = self.context else { return }
            self.flushOutput(context: context)
        }
    }
}

/// How many frames of a kind a peer sent in the current second.
struct ControlFrameBudget {
    private var windowStart = NIODeadline.now().uptimeNanoseconds
    private var spent = 0

    /// Counts one frame; throws `flood` once more than `limit` came within one second.
    mutating func spend(
        limit: Int, flood: String = "it flooded the connection with control frames"
    ) throws(HTTP2Codec.Failure) {
        self.spent += 1
        guard self.spent > max(limit, 1) else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        if now - self.windowStart >= 1_000_000_000 {
            self.windowStart = now
            self.spent = 1
            return
        }
        throw .flood(flood)
    }
}
