internal import NIOCore
internal import NIOHTTP2

extension NIOHTTP2Handler {
    /// A client connection's HTTP/2 handler (no stream multiplexer), tuned for gRPC between a host
    /// and its plugins. (Server connections have ``HTTP2ServerCodec``.)
    ///
    /// swift-nio-http2's defaults allow only 200 PING/SETTINGS frames, 200 RST_STREAM frames and
    /// 200 stream errors per 30 s, and 200 stream errors per connection lifetime. grpc-go sends a
    /// BDP PING after each DATA frame it receives, so a Go host making sequential unary calls trips
    /// the control-frame limit after about 200 calls and gets GOAWAY ENHANCE_YOUR_CALM; a host that
    /// cancels many calls trips the others. Here each limit is a per-second rate far above what a
    /// well-behaved peer sends (`maxControlFramesPerSecond`, 100,000 by default), so every normal
    /// PING is answered and only a real flood closes the connection. The buffered-control-frame
    /// cap (frames we owe the peer but can't send, e.g. PING ACKs to a peer that doesn't read)
    /// stays at 10,000.
    ///
    /// Header blocks are checked by the connection itself (`MalformedField`: names, values and
    /// connection-specific fields, as RFC 9113 §8.2 requires), in one pass over their bytes, rather
    /// than by swift-nio-http2's header block validation, which took about 7 µs of a 100 µs call
    /// across the two processes; gRPC sends no content-length, so its validation goes too.
    ///
    /// `watch` learns of each connection-error GOAWAY the handler writes, so the connection can be
    /// closed (swift-nio-http2 answers a connection error with GOAWAY but leaves the channel open,
    /// and keeps buffering what the peer sends).
    static func plugboardClient(
        config: UnixSocketTransport.Config,
        watch: ConnectionErrorWatch
    ) -> NIOHTTP2Handler {
        let limit = max(config.maxControlFramesPerSecond, 1)
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: config.maxConcurrentStreams),
            HTTP2Setting(parameter: .initialWindowSize, value: config.streamWindowSize),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 20),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
        ]
        connection.initialSettings.append(HTTP2Setting(parameter: .enablePush, value: 0))
        connection.controlFrameRateLimit.maximumCount = limit
        connection.controlFrameRateLimit.windowLength = .seconds(1)
        connection.maximumBufferedControlFrames = 10_000
        connection.maximumConnectionGlitches = Int(Int32.max)
        connection.maximumRecentlyResetStreams = 4_096
        connection.maximumSequentialEmptyDataFrames = 64
        connection.headerBlockValidation = .disabled
        connection.contentLengthValidation = .disabled

        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.streamResetFrameRateLimit.maximumCount = limit
        stream.streamResetFrameRateLimit.windowLength = .seconds(1)
        stream.streamErrorRateLimit.maximumCount = limit
        stream.streamErrorRateLimit.windowLength = .seconds(1)

        return NIOHTTP2Handler(
            mode: .client,
            frameDelegate: watch,
            connectionConfiguration: connection,
            streamConfiguration: stream
        )
    }
}
