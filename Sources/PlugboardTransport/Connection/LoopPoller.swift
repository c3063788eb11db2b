internal import NIOCore
internal import NIOPosix
internal import PlugboardSystem

#if canImport(Glibc)
internal import Glibc
#endif

/// Keeps an event loop polling for a moment after its connections last read or wrote, instead of
/// going to sleep at once (``UnixSocketTransport/Config/pollBeforeSleeping``).
///
/// Where an idle CPU halts at once (virtual machines without halt polling), waking a sleeping
/// thread costs tens of microseconds, and a call pays it on each side: the request wakes the
/// plugin's loop, the answer the host's, the host's loop wakes the caller's thread and the caller
/// the loop again. Go's runtime avoids most of that by spinning its idle threads a while; this is
/// the same trade for one thread per loop. While it polls, the loop checks its sockets and tasks
/// without blocking and yields the CPU between checks, so a task queued from another thread needs
/// no wake-up either. It never polls on one CPU, where it could only take the CPU from the
/// thread it waits for.
///
/// One per event-loop thread; only that thread touches it, hence `@unchecked Sendable`.
final class LoopPoller: @unchecked Sendable {
    private let eventLoop: any EventLoop
    private var pollUntil = NIODeadline.distantPast
    private var polling = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Whether polling can help: more than one CPU to run on.
    private static let canPoll = UsableCPUs.count > 1
    private static let current = ThreadSpecificVariable<LoopPoller>()

    /// `eventLoop`, the loop this runs on, was just busy: it goes on polling for `window` more.
    static func keepPolling(_ eventLoop: any EventLoop, for window: TimeAmount) {
        guard window > .zero, Self.canPoll else { return }
        let poller: LoopPoller
        if let current = Self.current.currentValue, current.eventLoop === eventLoop {
            poller = current
        } else {
            // The first connection on this thread's loop, or a test's loop on a thread that ran another.
            poller = LoopPoller(eventLoop: eventLoop)
            Self.current.currentValue = poller
        }
        poller.pollUntil = max(poller.pollUntil, .now() + window)
        guard !poller.polling else { return }
        poller.polling = true
        eventLoop.execute { poller.poll() }
    }

    /// Whether `eventLoop`, the loop this runs on, is polling now (for tests).
    static func isPolling(_ eventLoop: any EventLoop) -> Bool {
        guard let current = Self.current.currentValue, current.eventLoop === eventLoop else { return false }
        return current.polling
    }

    /// One turn: while the window lasts, yields the CPU and queues itself again, which makes the
    /// loop's next turn check its sockets without blocking.
    private func poll() {
        guard NIODeadline.now() < self.pollUntil else {
            self.polling = false
            return
        }
        sched_yield()
        self.eventLoop.execute { self.poll() }
    }
}
