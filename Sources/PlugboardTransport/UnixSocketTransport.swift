/// gRPC over a unix domain socket, for talking to plugins.
///
/// ``Server`` and ``Client`` sit behind GRPCCore's `ServerTransport` and `ClientTransport`: one
/// HTTP/2 connection handler per socket that keeps a table of streams and frames gRPC messages
/// itself, with no per-stream channels. They carry `GRPCNIOTransportBytes`, as
/// grpc-swift-nio-transport's transports do, and speak to them (its tests run the same suite over
/// every pairing).
public enum UnixSocketTransport {}

extension UnixSocketTransport {
    /// Settings shared by the lean server and client.
    public struct Config: Sendable, Hashable {
        /// The largest message accepted from the peer, in bytes (prefix excluded). Larger messages
        /// fail the RPC with `RESOURCE_EXHAUSTED`. Defaults to 4 MiB, like grpc-go.
        public var maxReceiveMessageSize: Int

        /// The HTTP/2 flow-control window each stream grants the peer, in bytes. Defaults to 4 MiB.
        public var streamWindowSize: Int

        /// The HTTP/2 flow-control window the whole connection grants the peer. Defaults to 16 MiB.
        public var connectionWindowSize: Int

        /// Server only: how many streams a client may open at once. Defaults to 1,024.
        public var maxConcurrentStreams: Int

        /// How many PING, SETTINGS and other control frames the peer may send per second before the
        /// connection is closed as a flood. grpc-go pings after each DATA frame it receives, so this
        /// must be far above its normal pattern: at 10,000 a Go host's ping-pong stream tripped it.
        /// Defaults to 100,000.
        public var maxControlFramesPerSecond: Int

        /// Message bytes a stream may queue for the socket before its writer waits. Defaults to 1 MiB.
        public var outboundHighWatermark: Int

        /// Server only: run RPC handlers on the connection's event loop thread instead of the global
        /// concurrent executor. Saves thread hops per call; a handler that blocks its thread (rather
        /// than awaiting) holds up that connection's I/O, health checks included. Defaults to `true`.
        public var runHandlersOnEventLoop: Bool

        /// Client only: run each call's transport work (the part of GRPCCore's call machinery inside
        /// `withStream`) on the connection's event loop. Saves thread hops per message: with both
        /// options on, Swift host → Swift plugin unary p50 was about 20% lower and ping-pong about 50%
        /// higher, pipelined streams about 20% slower (alternating release runs of `plugin-bench`).
        /// Server-streaming calls (a `MethodDescriptor` whose `type` says so) always run on the
        /// caller's executor: their messages flow one way, and reading them beside the event loop
        /// rather than on it made a pipelined one 1.19× faster. Defaults to `true`.
        public var runCallsOnEventLoop: Bool

        /// Server only: remove a stale socket file at the path before binding. Defaults to `true`.
        public var removeExistingSocketFile: Bool

        /// How long a connection's event loop goes on polling after the connection last read or
        /// wrote, before it sleeps. Waking a sleeping thread costs tens of microseconds where idle
        /// CPUs halt at once, as on many virtual machines, and a call would pay it on each side;
        /// polling spends at most this much CPU each time the loop falls idle, and never happens on
        /// one CPU. With 75 µs on both sides, alternating runs on two CPUs of a VM put Swift host →
        /// Swift plugin unary p50 22–50% lower and ping-pong 45–60% higher, pipelined plugin → host
        /// about 10% lower (README, "Polling before sleeping"). Zero turns it off. Defaults to 75 µs.
        public var pollBeforeSleeping: Duration

        /// Defaults that match grpc-go where it matters (4 MiB messages).
        public static var defaults: Self {
            Self(
                maxReceiveMessageSize: 4 * 1024 * 1024,
                streamWindowSize: 4 * 1024 * 1024,
                connectionWindowSize: 16 * 1024 * 1024,
                maxConcurrentStreams: 1024,
                maxControlFramesPerSecond: 100_000,
                outboundHighWatermark: 1024 * 1024,
                runHandlersOnEventLoop: true,
                runCallsOnEventLoop: true,
                removeExistingSocketFile: true,
                pollBeforeSleeping: .microseconds(75)
            )
        }

        /// Creates a config; start from ``defaults`` and change what you need.
        public init(
            maxReceiveMessageSize: Int,
            streamWindowSize: Int,
            connectionWindowSize: Int,
            maxConcurrentStreams: Int,
            maxControlFramesPerSecond: Int,
            outboundHighWatermark: Int,
            runHandlersOnEventLoop: Bool,
            runCallsOnEventLoop: Bool,
            removeExistingSocketFile: Bool,
            pollBeforeSleeping: Duration = .microseconds(75)
        ) {
            self.maxReceiveMessageSize = maxReceiveMessageSize
            self.streamWindowSize = min(
                max(streamWindowSize, HTTP2WireFrame.defaultWindow), HTTP2WireFrame.largestWindow)
            self.connectionWindowSize = min(
                max(connectionWindowSize, HTTP2WireFrame.defaultWindow), HTTP2WireFrame.largestWindow)
            self.maxConcurrentStreams = maxConcurrentStreams
            self.maxControlFramesPerSecond = maxControlFramesPerSecond
            self.outboundHighWatermark = outboundHighWatermark
            self.runHandlersOnEventLoop = runHandlersOnEventLoop
            self.runCallsOnEventLoop = runCallsOnEventLoop
            self.removeExistingSocketFile = removeExistingSocketFile
            self.pollBeforeSleeping = max(pollBeforeSleeping, .zero)
        }

        /// Returns a copy with `body` applied, for one-line tweaks: `.defaults.with { ... }`.
        public func with(_ body: (inout Self) -> Void) -> Self {
            var copy = self
            body(&copy)
            return copy
        }
    }
}
