import CPlugboardSystem
import Dispatch
import PlugboardCore
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// Notices when the host process dies, so a plugin never outlives its host.
///
/// Linux sends `PR_SET_PDEATHSIG` when the *thread* that spawned us exits, which in a
/// multi-threaded host can happen while the host lives on; so the signal only prompts a check of
/// `getppid()`, which changes only when the host process is gone. A poll every 250 ms is the
/// fallback where the signal is unavailable.
///
/// The direct parent is not always the host: go-plugin's example hosts start plugins through
/// `sh -c`, and a shell outlives the host that started it. A Plugboard host therefore names itself
/// in `PLUGBOARD_HOST_PID`; when that process is one of our ancestors, it is watched too, through
/// a pidfd (which keeps naming it even if the pid is reused), or through the 250 ms poll where the
/// kernel has no pidfds. A go-plugin host sets no such variable: then only the parent is watched.
enum ParentWatch {
    static func start(
        environment: [String: String] = ProcessEnvironment.variables(),
        onHostExit: @escaping @Sendable () -> Void
    ) {
        let parent = getppid()
        if parent == 1 {
            onHostExit()  // the host died before we got here
            return
        }
        let host = Self.namedHost(environment)
        signal(SIGUSR2, SIG_IGN)
        _ = CPlugboardSystem_setParentDeathSignal(SIGUSR2)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: .global())
        source.setEventHandler { if getppid() != parent { onHostExit() } }
        source.resume()
        let watchedByPidfd = host.map { Self.watch($0, onExit: onHostExit) } ?? false
        let pollHost = watchedByPidfd ? nil : host
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler {
            if getppid() != parent || pollHost.map({ !Self.isAncestor($0) }) == true { onHostExit() }
        }
        timer.resume()
        Self.sources = [source, timer]
    }

    /// The pid in `PLUGBOARD_HOST_PID` if it is one of this process's ancestors (a variable
    /// inherited from elsewhere, or a lie, names some other process: it is ignored).
    static func namedHost(_ environment: [String: String]) -> Int32? {
        guard let text = environment[PluginEnvironment.hostPID], let pid = Int32(text), pid > 1, pid != getpid(),
            Self.isAncestor(pid)
        else { return nil }
        return pid
    }

    /// Whether `pid` is the parent of this process, or the parent's parent, and so on.
    static func isAncestor(_ pid: Int32) -> Bool {
        var current = getppid()
        for _ in 0..<256 {
            if current == pid { return true }
            guard current > 1, let parent = ProcessStat.parent(of: current) else { return false }
            current = parent
        }
        return false
    }

    /// Waits on a pidfd for `host` on a thread of its own; false where pidfds are unavailable.
    private static func watch(_ host: Int32, onExit: @escaping @Sendable () -> Void) -> Bool {
        let fd = CPlugboardSystem_pidfdOpen(host)
        guard fd >= 0 else { return false }
        // Opened after the ancestry check: if the host died in between and its pid was reused,
        // the pidfd names a stranger, which is no longer our ancestor.
        guard Self.isAncestor(host) else {
            close(fd)
            onExit()
            return true
        }
        DetachedThread.start(name: "plugboard-host-watch") {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if SystemCall.retrying({ poll(&entry, 1, -1) }) < 0 {
                // Cannot wait on the pidfd: poll the ancestry.
                while Self.isAncestor(host) { usleep(250_000) }
            }
            close(fd)
            onExit()
        }
        return true
    }

    /// Keeps the dispatch sources alive for the life of the process; set once, before serving.
    nonisolated(unsafe) private static var sources: [any DispatchSourceProtocol] = []
}
