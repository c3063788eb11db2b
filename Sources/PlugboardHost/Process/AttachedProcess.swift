import CPlugboardSystem
import Dispatch
import PlugboardCore
import PlugboardSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plugin process the host attached to instead of starting it. The host cannot reap it or read
/// its exit status, so a thread watches it: through a pidfd (which keeps naming this process even
/// if its pid is reused later), or, where the kernel has none, with `kill(pid, 0)` every 250 ms as
/// go-plugin does (a zombie counts as gone). Signals go to the pid only, never to a process group
/// the host did not make, and only while the process has not been seen to end.
final class AttachedProcess: Sendable {
    /// How often the watch thread looks again (and checks for ``stopWatching()``).
    static let pollInterval: Duration = .milliseconds(250)

    let pid: Int32
    /// Whether the host may stop it when it is done (the record's `killOnStop`).
    let killOnStop: Bool
    private let ended = OnceValue<Void>()
    private let watching = Atomic<Bool>(true)

    /// Starts watching `pid`.
    ///
    /// - Throws: `PluginError` with code `processNotFound` when no such process runs.
    init(pid: Int32, killOnStop: Bool) throws(PluginError) {
        guard Self.runs(pid) else { throw .reattachProcessNotFound(pid: pid) }
        self.pid = pid
        self.killOnStop = killOnStop
        let pidfd = CPlugboardSystem_pidfdOpen(pid)
        if pidfd < 0 && errno == ESRCH { throw .reattachProcessNotFound(pid: pid) }
        DetachedThread.start(name: "plugboard-attached-\(pid)") { [self] in self.watch(pidfd: pidfd) }
    }

    var hasEnded: Bool { self.ended.value != nil }

    /// Waits for the process to end; false if the task is cancelled first.
    func waitForEnd() async -> Bool { await self.ended.wait() != nil }

    /// Waits up to `timeout` for the process to end; whether it has.
    func waitForEnd(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForEnd() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first || self.hasEnded
        }
    }

    /// Sends `signal` to the pid unless the process was seen to end (the pid may name another
    /// process by then). Callers send only what the record allows (`killOnStop`).
    func send(_ signal: Int32) {
        guard !self.hasEnded else { return }
        _ = kill(self.pid, signal)
    }

    /// Ends the watch thread within ``pollInterval``; the host is done with the process.
    func stopWatching() { self.watching.store(false, ordering: .relaxed) }

    private func watch(pidfd: Int32) {
        defer { if pidfd >= 0 { close(pidfd) } }
        let interval = Int32(Self.pollInterval.wholeMilliseconds)
        while self.watching.load(ordering: .relaxed) {
            if pidfd >= 0 {
                var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                let ready = SystemCall.retrying { poll(&entry, 1, interval) }
                if ready > 0 || (ready < 0 && !Self.runs(self.pid)) { break }
            } else {
                if !Self.runs(self.pid) { break }
                usleep(useconds_t(interval) * 1000)
            }
        }
        if self.watching.load(ordering: .relaxed) { self.ended.set(()) }
    }

    /// Whether `pid` names a live process (not a zombie); a process of another user counts.
    static func runs(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let state = ProcessStat.fields(of: pid)?.first else { return true }
        return state != "Z" && state != "X"
    }
}
