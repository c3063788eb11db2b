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

    @Test("the loop spends CPU polling for the window, and none once it has passed")
    func pollsThenSleeps() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let window = TimeAmount.milliseconds(40)
        let start = try await loop.submit {
            let start = Self.threadCPU()
            LoopPoller.keepPolling(loop, for: window)
            return start
        }.get()
        try await Task.sleep(for: .milliseconds(150))
        let afterWindow = try await loop.submit { Self.threadCPU() }.get()
        try await Task.sleep(for: .milliseconds(150))
        let later = try await loop.submit { Self.threadCPU() }.get()
        try await group.shutdownGracefully()

        let polled = Duration.nanoseconds(afterWindow - start)
        let idle = Duration.nanoseconds(later - afterWindow)
        if UsableCPUs.count > 1 {
            // The loop yields between checks, so a busy machine may take some of the window from it.
            #expect(polled >= .milliseconds(4), "the loop polled for \(polled) of a 40 ms window")
        } else {
            #expect(polled < .milliseconds(4), "on one CPU the loop polled for \(polled)")
        }
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
