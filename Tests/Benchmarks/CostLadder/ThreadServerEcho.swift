import NIOCore
import NIOHPACK
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A server with no event-loop library, to measure what an own stack could cost: a thread per
/// connection that polls its socket (and a pipe that wakes it when a task is queued from
/// elsewhere), `H2EchoServer` for HTTP/2, each request's method a task whose executor is that same
/// thread, and one `write` per read. Its client is the lean rung's, so the peer's CPU per call
/// compares with the lean rung's server (swift-nio, Plugboard's HTTP/2 codec and connection
/// handler).
enum ThreadServerEcho {
    static func serve(path: String) throws {
        let listener = try RawSocketEcho.socket(path, connect: false)
        announceReady()
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { throw EchoFailed() }
        defer { close(fd) }
        setNonBlocking(fd)
        let executor = InlineExecutor(wake: try WakePipe())
        let server = H2EchoServer(executor: executor)
        var input = ByteBufferAllocator().buffer(capacity: 65_536)
        while true {
            guard try server.receive(&input) else { return }
            executor.runPending()
            try server.output.writeAvailable(to: fd)
            let writable = server.output.readableBytes > 0 ? Int16(POLLOUT) : 0
            let ready = try executor.wait(for: fd, events: Int16(POLLIN) | writable)
            if ready & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                guard try input.readAvailable(from: fd) else { return }
            }
        }
    }
}

/// Runs the jobs of tasks that prefer it on the connection's thread, between reads; a job queued
/// while that thread waits in `poll` wakes it.
final class InlineExecutor: TaskExecutor {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var sleeping = false
    }

    let wake: WakePipe
    private let queue = Mutex(Queue())

    init(wake: WakePipe) { self.wake = wake }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wakes = self.queue.withLock { queue in
            queue.jobs.append(job)
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if wakes { self.wake.wake() }
    }

    /// Runs every job queued, and those they queue, then returns.
    func runPending() {
        while true {
            let batch = self.queue.withLock { queue in
                defer { queue.jobs.removeAll(keepingCapacity: true) }
                return queue.jobs
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Waits for `events` on `fd`, or for a job; returns `fd`'s ready events (none for a job).
    func wait(for fd: Int32, events: Int16) throws -> Int16 {
        let idle = self.queue.withLock { queue in
            queue.sleeping = queue.jobs.isEmpty
            return queue.sleeping
        }
        guard idle else { return 0 }
        defer { self.queue.withLock { $0.sleeping = false } }
        return try self.wake.wait(for: fd, events: events)
    }
}
