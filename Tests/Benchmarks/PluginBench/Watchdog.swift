import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A hung peer must not hang the benchmark: after the deadline the watchdog kills the plugin
/// being benchmarked and exits with status 3, as echo-host does.
final class Watchdog: Sendable {
    private let pluginPid = Mutex<Int32>(0)

    /// Notes the running plugin's pid (0: none).
    func track(_ pid: Int32) { self.pluginPid.withLock { $0 = pid } }

    /// Arms the watchdog.
    func start(after deadline: Duration) {
        Task.detached {
            try await Task.sleep(for: deadline)
            writeStandardError("plugin-bench: the benchmark did not finish within \(deadline); killing the plugin\n")
            let pid = self.pluginPid.withLock { $0 }
            if pid > 0 { kill(pid, SIGKILL) }
            exit(3)
        }
    }
}
