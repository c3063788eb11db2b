import CPlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// A detached OS thread for work that blocks in a system call for the life of the process (a
/// `read` on a pipe, a `poll` on a pidfd), so it never holds a thread of Swift's cooperative pool.
///
/// Foundation's `Thread` does the same, but linking the full Foundation (and ICU) costs a plugin
/// about 7 ms of start-up and several MB of memory; this needs only pthreads.
package enum DetachedThread {
    /// Starts `body` on a new thread named `name` (the kernel keeps 15 bytes); returns false if
    /// the thread could not be created.
    @discardableResult
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(name: name, run: body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let created = pthread_create(
            &thread, &attributes,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                CPlugboardSystem_nameThisThread(body.name)
                body.run()
                return nil
            }, box.toOpaque())
        if created != 0 { box.release() }
        return created == 0
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void

        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
