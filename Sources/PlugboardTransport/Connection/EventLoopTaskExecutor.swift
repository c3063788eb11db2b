package import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop, so tasks that talk to a connection
/// can do so without thread hops.
package final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
