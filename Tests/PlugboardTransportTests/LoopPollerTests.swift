import NIOCore
import NIOPosix
import PlugboardSystem
import Testing

@testable import PlugboardTransport

/// An event loop polls for its window after a connection's activity, then sleeps again.
@Suite("Loop poller")
struct LoopPollerTests {
    /// CPU time the calling thread has used (`/proc/thread-self/schedstat`, in nanoseconds).
    private static func threadCPU() -> Int64 {
        let text = SystemCall.readFile("/proc/thread-self/schedstat") ?? ""
        return text.split(separator: " ").first.flatMap { Int64($0) } ?? 0
    }

    @Test("the loop polls after activity, stops once the window has passed, and then spends no CPU")
    func pollsThenSleeps() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let pollingAtOnce = try await loop.submit {
            LoopPoller.keepPolling(loop, for: .milliseconds(40))
            return LoopPoller.isPolling(loop)
        }.get()
        try await Task.sleep(for: .milliseconds(200))
        // A turn that finds the window passed stops; one is queued ahead of this check.
        let (pollingLater, afterWindow) = try await loop.submit { (LoopPoller.isPolling(loop), Self.threadCPU()) }.get()
        try await Task.sleep(for: .milliseconds(150))
        let later = try await loop.submit { Self.threadCPU() }.get()
        try await group.shutdownGracefully()

        #expect(pollingAtOnce == (UsableCPUs.count > 1), "polling right after activity, with \(UsableCPUs.count) CPUs")
        #expect(!pollingLater, "still polling 200 ms after a 40 ms window")
        let idle = Duration.nanoseconds(later - afterWindow)
        #expect(idle < .milliseconds(4), "the loop used \(idle) of CPU in 150 ms after its window")
    }

    @Test("polling is on by default, and a negative window means none")
    func config() {
        #expect(UnixSocketTransport.Config.defaults.pollBeforeSleeping == .microseconds(75))
        let off = UnixSocketTransport.Config.defaults.with { $0.pollBeforeSleeping = .zero }
        #expect(off.pollBeforeSleeping == .zero)
        let config = UnixSocketTransport.Config(
            maxReceiveMessageSize: 1024, streamWindowSize: 65_535, connectionWindowSize: 65_535,
            maxConcurrentStreams: 1, maxControlFramesPerSecond: 1, outboundHighWatermark: 1024,
            runHandlersOnEventLoop: true, runCallsOnEventLoop: true, removeExistingSocketFile: true,
            pollBeforeSleeping: .microseconds(-5))
        #expect(config.pollBeforeSleeping == .zero)
    }
}
