internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

extension HTTP2Codec {
    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = self.unwrapOutboundIn(data)
        let id = UInt32(Int32(frame.streamID))
        switch frame.payload {
        case .data, .headers:
            if self.streams[id] == nil {
                guard case .headers = frame.payload else {
                    promise?.fail(NIOHTTP2Errors.noSuchStream(streamID: frame.streamID))
                    return
                }
                guard self.opensStream(id) else {
                    promise?.fail(NIOHTTP2Errors.noSuchStream(streamID: frame.streamID))
                    if self.side == .client {
                        // A stream that can't open (after GOAWAY) closes, so its call ends.
                        let event = StreamClosedEvent(streamID: frame.streamID, reason: .refusedStream)
                        context.fireUserInboundEventTriggered(event)
                    }
                    return
                }
                if self.streams[id]!.waitingToOpen {
                    self.streams[id]!.queued.append((frame.payload, promise))
                    return
                }
            }
            var payload = frame.payload
            if self.streams[id]!.queued.isEmpty {
                guard let rest = self.send(payload, on: id, promise: promise, context: context) else { return }
                payload = rest
                self.blocked.append(id)
            }
            guard self.streams[id] != nil else {
                promise?.fail(NIOHTTP2Errors.noSuchStream(streamID: frame.streamID))
                return
            }
            self.streams[id]!.queued.append((payload, promise))
        case .rstStream(let code):
            let neverSent = self.streams[id]?.waitingToOpen == true
            guard self.dropStream(id) else {
                promise?.succeed()
                return
            }
            if neverSent {
                promise?.succeed()
                context.fireUserInboundEventTriggered(StreamClosedEvent(streamID: frame.streamID, reason: code))
                return
            }
            self.rememberReset(id)
            self.writeFrame(.rstStream, stream: id, promise: promise, context: context) {
                $0.writeInteger(UInt32(code.networkCode))
            }
            context.fireUserInboundEventTriggered(StreamClosedEvent(streamID: frame.streamID, reason: code))
        case .windowUpdate(let increment):
            if id == 0 {
                self.connectionReceiveWindow += increment
            } else if let stream = self.streams[id], !stream.receivedEnd, !stream.waitingToOpen {
                self.streams[id]!.receiveWindow += increment
            } else {
                promise?.succeed()
                return
            }
            self.writeFrame(.windowUpdate, stream: id, promise: promise, context: context) {
                $0.writeInteger(UInt32(increment))
            }
        default:
            self.encodeControl(frame.payload)
            if let promise { self.writeOutput(promise: promise, context: context) }
        }
    }

    func flush(context: ChannelHandlerContext) {
        self.openWaitingStreams()
        self.flushOutput(context: context)
    }

    /// A client's new stream `id`, open at once or waiting for the server's concurrency limit;
    /// false if this end may not open it.
    private func opensStream(_ id: UInt32) -> Bool {
        guard self.side == .client, !self.peerWentAway, id & 1 == 1,
            id > max(self.lastStreamID, self.waitingToOpen.last ?? 0)
        else { return false }
        var stream = Stream(sendWindow: self.initialSendWindow, receiveWindow: self.initialReceiveWindow)
        if self.waitingToOpen.isEmpty, self.openStreamCount < self.peerMaxConcurrentStreams {
            self.lastStreamID = id
        } else {
            stream.waitingToOpen = true
            self.waitingToOpen.append(id)
        }
        self.streams[id] = stream
        return true
    }

    /// Opens the streams waiting for the server's concurrency limit, as far as it now allows: at
    /// each flush and at the end of each read, so that the frames that closed other streams (an
    /// RST_STREAM this end wrote, say) go first.
    func openWaitingStreams() {
        guard !self.waitingToOpen.isEmpty, !self.peerWentAway, !self.failed, let context = self.context else { return }
        while let id = self.waitingToOpen.first, self.openStreamCount < self.peerMaxConcurrentStreams {
            self.waitingToOpen.removeFirst()
            self.streams[id]!.waitingToOpen = false
            self.lastStreamID = id
            if self.sendQueued(id, context: context) { self.blocked.append(id) }
        }
    }

    /// Encodes a DATA or HEADERS frame of stream `id`, or as much of a DATA frame as the send
    /// windows allow; returns what must wait for window (nil once all of it is encoded).
    private func send(
        _ payload: HTTP2Frame.FramePayload, on id: UInt32, promise: EventLoopPromise<Void>?,
        context: ChannelHandlerContext
    ) -> HTTP2Frame.FramePayload? {
        let endStream: Bool
        switch payload {
        case .headers(let headers):
            do {
                try self.encodeHeaders(headers.headers, endStream: headers.endStream, on: id)
            } catch {
                promise?.fail(error)
                return nil
            }
            endStream = headers.endStream
        case .data(var data):
            guard case .byteBuffer(var bytes) = data.data else {
                promise?.fail(ChannelError.operationUnsupported)
                return nil
            }
            let window = min(self.connectionSendWindow, self.streams[id]!.sendWindow)
            guard window > 0 || bytes.readableBytes == 0 else { return payload }
            var now = bytes.readSlice(length: min(max(window, 0), bytes.readableBytes))!
            self.connectionSendWindow -= now.readableBytes
            self.streams[id]!.sendWindow -= now.readableBytes
            let ends = data.endStream && bytes.readableBytes == 0
            repeat {
                var chunk = now.readSlice(length: min(self.peerMaxFrameSize, now.readableBytes))!
                let flags = ends && now.readableBytes == 0 ? HTTP2WireFrame.Flag.endStream : 0
                self.writeFrame(.data, flags: flags, stream: id) { $0.writeBuffer(&chunk) }
            } while now.readableBytes > 0
            if bytes.readableBytes > 0 {
                data.data = .byteBuffer(bytes)
                return .data(data)
            }
            endStream = data.endStream
        default:
            return nil
        }
        if endStream { self.streams[id]?.sentEnd = true }
        // Handing the bytes on can complete a promise at once (on a closed channel), whose
        // callback may write to this stream again: nothing below may assume it is still here.
        if let promise { self.writeOutput(promise: promise, context: context) }
        if endStream { self.closeIfDone(id, context: context) }
        return nil
    }

    /// A header block, split into HEADERS and CONTINUATION frames no larger than the peer takes.
    private func encodeHeaders(_ headers: HPACKHeaders, endStream: Bool, on id: UInt32) throws {
        let endFlag = endStream ? HTTP2WireFrame.Flag.endStream : 0
        self.startFrame()
        let start = self.output.writerIndex
        try self.output.writeHTTP2Frame(.headers, flags: endFlag | HTTP2WireFrame.Flag.endHeaders, stream: id) {
            try self.encoder.encode(headers: headers, to: &$0)
        }
        let length = self.output.writerIndex - start - 9
        guard length > self.peerMaxFrameSize else { return }
        var block = self.output.getSlice(at: start + 9, length: length)!
        self.output.moveWriterIndex(to: start)
        var kind = HTTP2WireFrame.Kind.headers
        while block.readableBytes > 0 {
            var chunk = block.readSlice(length: min(self.peerMaxFrameSize, block.readableBytes))!
            var flags = block.readableBytes == 0 ? HTTP2WireFrame.Flag.endHeaders : 0
            if kind == .headers { flags |= endFlag }
            self.writeFrame(kind, flags: flags, stream: id) { $0.writeBuffer(&chunk) }
            kind = .continuation
        }
    }

    /// Sends what the send windows now allow of the queued frames.
    func unblock(context: ChannelHandlerContext) {
        guard !self.blocked.isEmpty, self.connectionSendWindow > 0 else { return }
        let waiting = self.blocked
        self.blocked = []
        var stillBlocked: [UInt32] = []
        for id in waiting where self.sendQueued(id, context: context) {
            stillBlocked.append(id)
        }
        // A write made meanwhile (from an event this loop fired) may have queued more.
        self.blocked = stillBlocked + self.blocked.filter { !stillBlocked.contains($0) }
    }

    /// Sends what the send windows allow of stream `id`'s queued frames; true if some still wait.
    private func sendQueued(_ id: UInt32, context: ChannelHandlerContext) -> Bool {
        while let (payload, promise) = self.streams[id]?.queued.first {
            self.streams[id]!.queued.removeFirst()
            if let rest = self.send(payload, on: id, promise: promise, context: context) {
                self.streams[id]?.queued.insert((rest, promise), at: 0)
                return true
            }
        }
        return false
    }

    /// Forgets stream `id` once both ends finished it, and tells ``GRPCConnectionHandler``.
    func closeIfDone(_ id: UInt32, context: ChannelHandlerContext) {
        guard let stream = self.streams[id], stream.receivedEnd, stream.sentEnd, stream.queued.isEmpty else { return }
        self.streams[id] = nil
        context.fireUserInboundEventTriggered(StreamClosedEvent(streamID: HTTP2StreamID(Int(id)), reason: nil))
    }

    /// Forgets stream `id`, failing what it had queued; false if it was not open.
    func dropStream(_ id: UInt32) -> Bool {
        guard var stream = self.streams.removeValue(forKey: id) else { return false }
        self.failQueued(&stream)
        self.blocked.removeAll { $0 == id }
        if stream.waitingToOpen { self.waitingToOpen.removeAll { $0 == id } }
        return true
    }

    func failQueued(_ stream: inout Stream) {
        for (_, promise) in stream.queued { promise?.fail(ChannelError.ioOnClosedChannel) }
        stream.queued = []
    }

    func failAllQueued() {
        for id in self.blocked + self.waitingToOpen where self.streams[id] != nil {
            self.failQueued(&self.streams[id]!)
        }
        for id in self.waitingToOpen { self.streams[id] = nil }
        self.blocked = []
        self.waitingToOpen = []
    }

    // MARK: Encoding

    func encodeControl(_ payload: HTTP2Frame.FramePayload) {
        switch payload {
        case .goAway(let last, let code, _):
            self.writeFrame(.goAway, stream: 0) {
                $0.writeInteger(UInt32(Int32(last)))
                $0.writeInteger(UInt32(code.networkCode))
            }
        case .ping(let data, let ack):
            self.writeFrame(.ping, flags: ack ? HTTP2WireFrame.Flag.ack : 0, stream: 0) {
                $0.writeInteger(data.integer)
            }
        default:
            ()  // no SETTINGS but the first, no PRIORITY, no PUSH_PROMISE
        }
    }

    func writeFrame(
        _ kind: HTTP2WireFrame.Kind, flags: UInt8 = 0, stream: UInt32, promise: EventLoopPromise<Void>? = nil,
        context: ChannelHandlerContext? = nil, body: (inout ByteBuffer) -> Void
    ) {
        self.startFrame()
        self.output.writeHTTP2Frame(kind, flags: flags, stream: stream, body: body)
        if let promise, let context { self.writeOutput(promise: promise, context: context) }
    }

    /// Before a frame goes into ``output``: it holds more than acknowledgements now, and a frame
    /// written while the socket takes nothing more is counted (the read loop ends the connection
    /// of a peer that makes this end owe it too many).
    func startFrame() {
        self.outputIsAcksOnly = false
        if let context = self.context, !context.channel.isWritable { self.unsentFrames += 1 }
    }

    /// Remembers that this end reset or refused stream `id`.
    func rememberReset(_ id: UInt32) {
        guard self.recentlyReset.insert(id).inserted else { return }
        self.recentlyResetOrder.append(id)
        if self.recentlyResetOrder.count > Self.rememberedResets {
            self.recentlyReset.remove(self.recentlyResetOrder.removeFirst())
        }
    }

    /// Hands what is encoded so far to the channel, with `promise`.
    private func writeOutput(promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard self.output.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        context.write(self.wrapOutboundOut(.byteBuffer(self.output)), promise: promise)
        self.unflushed = true
        self.output = context.channel.allocator.buffer(capacity: 1_024)
        self.outputIsAcksOnly = false
    }

    func flushOutput(context: ChannelHandlerContext) {
        self.ackTimer?.cancel()
        self.ackTimer = nil
        if self.output.readableBytes > 0 { self.writeOutput(promise: nil, context: context) }
        self.unflushed = false
        context.flush()
    }
}
