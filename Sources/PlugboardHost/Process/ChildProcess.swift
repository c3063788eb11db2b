import CPlugboardSystem
import Dispatch
import Logging
import PlugboardCore
import PlugboardSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plugin process and its whole tree: started through `Spawn` in its own process group (so a
/// terminal's Ctrl-C reaches only the host, and signals reach the plugin's children too), in a
/// cgroup of its own where the host may create one, with PR_SET_PDEATHSIG, default signal
/// dispositions, `/dev/null` on stdin, and pipes on stdout and stderr that threads drain into
/// bounded streams. A reaper thread waits for the exit, so the child never becomes a zombie and is
/// never signalled after it has been reaped; when it exits, whatever it left in its process group
/// and cgroup is killed, and the pipes are given up shortly after even if a process that escaped
/// both still holds them.
final class ChildProcess: Sendable {
    /// How long the pipes may stay open after the process has exited and its tree was killed.
    static let pipeGrace: Duration = .milliseconds(250)

    /// The process id, which is also its process group id.
    let pid: Int32
    /// Chunks of the child's stdout until it closes. Keeps at most 256 chunks (64 KiB each) when
    /// the reader falls behind, dropping the oldest (counted in `stdoutDrops`).
    let stdout: AsyncStream<[UInt8]>
    /// Chunks of the child's stderr until it closes; bounded like `stdout`.
    let stderr: AsyncStream<[UInt8]>
    /// The bytes of each pipe dropped because its reader fell 256 chunks behind.
    let stdoutDrops = PipeDrops()
    let stderrDrops = PipeDrops()
    /// The cgroup holding the plugin's tree, or `nil` with the reason there is none.
    let cgroup: Result<String, PluginCgroup.Unavailable>

    private let exit = OnceValue<PluginError.Termination>()
    /// Set once the process is reaped and what it left behind is killed and its cgroup removed.
    private let finished = OnceValue<Void>()
    /// Serializes signalling with reaping, so a reaped pid is never signalled.
    private let reaped = Mutex(false)
    private let group: PluginCgroup?
    /// Why the host's warden does not watch this plugin's tree, if it does not.
    private let unwatched: HostWarden.Unavailable?
    /// Written to give up on the pipes; the drain threads poll it beside their pipe.
    private let abandon: WakePipe
    private let drained = DispatchSemaphore(value: 0)

    /// Starts `path` with `arguments` and exactly `environment`.
    ///
    /// - Throws: `PluginError` with code `executableNotFound`, `notExecutable`, `wrongArchitecture`
    ///   or `launchFailed`.
    init(path: String, arguments: [String], environment: [String: String]) throws(PluginError) {
        let (stdoutRead, stdoutWrite) = try Self.pipe(path: path)
        let (stderrRead, stderrWrite) = try Self.pipe(path: path)
        let abandon: WakePipe
        do {
            let (read, write) = try Self.pipe(path: path)
            abandon = WakePipe(read: read, write: write)
        } catch {
            [stdoutRead, stdoutWrite, stderrRead, stderrWrite].forEach { _ = close($0) }
            throw error
        }
        var cgroup = PluginCgroup.create()
        let started: (pid: Int32, joinedCgroup: Bool)
        do {
            started = try Spawn.start(
                path: path,
                arguments: arguments,
                environment: environment.map { "\($0.key)=\($0.value)" },
                stdout: stdoutWrite,
                stderr: stderrWrite,
                cgroup: try? cgroup.get()
            )
        } catch {
            [stdoutRead, stdoutWrite, stderrRead, stderrWrite].forEach { _ = close($0) }
            (try? cgroup.get())?.remove()
            throw error
        }
        close(stdoutWrite)
        close(stderrWrite)
        if case .success(let created) = cgroup, !started.joinedCgroup {
            created.remove()
            cgroup = .failure(PluginCgroup.Unavailable(reason: "the plugin could not join \(created.path)"))
        }
        self.pid = started.pid
        self.group = try? cgroup.get()
        self.cgroup = cgroup.map(\.path)
        self.unwatched = HostWarden.watch(processGroup: started.pid, cgroup: self.group?.path)
        self.abandon = abandon
        self.stdout = Self.drain(
            stdoutRead, abandon: abandon, done: self.drained, drops: self.stdoutDrops,
            name: "plugboard-stdout-\(started.pid)")
        self.stderr = Self.drain(
            stderrRead, abandon: abandon, done: self.drained, drops: self.stderrDrops,
            name: "plugboard-stderr-\(started.pid)")
        DetachedThread.start(name: "plugboard-reaper-\(started.pid)") { [self] in self.reap() }
    }

    /// How the process ended, once it has; `nil` while it runs.
    var termination: PluginError.Termination? { self.exit.value }

    /// Waits for the process to end and returns how it ended; `nil` if the task is cancelled first.
    func wait() async -> PluginError.Termination? { await self.exit.wait() }

    /// Waits up to `timeout` for the process to end; `nil` if it is still running.
    func wait(timeout: Duration) async -> PluginError.Termination? {
        await self.exit.wait(timeout: timeout) ?? self.termination
    }

    /// Sends `signal` to the plugin's process group unless the plugin has already been reaped (its
    /// pid may belong to another process by then). SIGKILL also kills the plugin's cgroup.
    func send(_ signal: Int32) {
        self.reaped.withLock { reaped in
            guard !reaped else { return }
            if kill(-self.pid, signal) != 0 { _ = kill(self.pid, signal) }
            if signal == SIGKILL { self.group?.kill() }
        }
    }

    /// SIGKILLs the plugin's whole tree (if it still runs) and waits until it is reaped, what it
    /// left behind is killed and its cgroup removed, even if the task is cancelled meanwhile (a
    /// stop must not leave the kill half done).
    func killTree() async {
        self.send(SIGKILL)
        let finished = self.finished
        if finished.value != nil { return }
        _ = await Task { await finished.wait() }.value
    }

    private func reap() {
        // Wait for the exit without reaping (WNOWAIT), so the process group still exists; kill
        // what the plugin left in it; then reap under the lock that `send` takes, so no signal can
        // reach a recycled pid. An empty cgroup goes before the exit is published, so that a stop
        // finds everything done when it wakes; a populated one (a setsid daemon) after, since
        // killing it can take a while and callers waiting to explain a dropped connection have
        // little time.
        var info = siginfo_t()
        _ = SystemCall.retrying { waitid(P_PID, id_t(self.pid), &info, WEXITED | WNOWAIT) }
        var status: Int32 = 0
        let result = self.reaped.withLock { reaped -> Int32 in
            _ = kill(-self.pid, SIGKILL)
            let result = SystemCall.retrying { waitpid(self.pid, &status, 0) }
            reaped = true
            return result
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let termination: PluginError.Termination =
            result < 0 ? .exited(-1) : status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        if self.group?.removeIfEmpty() ?? true {
            self.exit.set(termination)
        } else {
            self.exit.set(termination)
            self.group?.remove()  // kills what is left in it, waits for it to empty
        }
        self.finished.set(())
        // After the stop is told: the warden's note is a message to another process, which
        // the stop need not wait for (the group is reaped already, watched or not).
        HostWarden.forget(processGroup: self.pid)
        // The pipes close when the last holder exits; one that escaped the group and the cgroup
        // (or a host without cgroups) must not hold the host's readers.
        let grace = DispatchTime.now() + .milliseconds(Int(Self.pipeGrace.wholeMilliseconds))
        let bothDrained = self.drained.wait(timeout: grace) == .success && self.drained.wait(timeout: grace) == .success
        if !bothDrained {
            var byte: UInt8 = 1
            _ = Glibc.write(self.abandon.write, &byte, 1)
        }
    }

    private static func pipe(path: String) throws(PluginError) -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard CPlugboardSystem_pipeCloexec(&fds) == 0 else {
            throw PluginError(
                code: .launchFailed,
                message:
                    "Could not create a pipe for the plugin: \(String(cString: strerror(errno))). The host may be out of file descriptors.",
                executablePath: path)
        }
        return (fds[0], fds[1])
    }

    /// Reads `fd` on its own thread until EOF, or until `abandon` becomes readable, yielding
    /// chunks and counting in `drops` those the full buffer pushes out; closes `fd` at the end and
    /// signals `done`.
    private static func drain(
        _ fd: Int32, abandon: WakePipe, done: DispatchSemaphore, drops: PipeDrops, name: String
    ) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(256))
        DetachedThread.start(name: name) {
            var buffer = [UInt8](repeating: 0, count: 65536)
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: abandon.read, events: Int16(POLLIN), revents: 0),
            ]
            while true {
                fds[0].revents = 0
                fds[1].revents = 0
                guard SystemCall.retrying({ poll(&fds, 2, -1) }) >= 0 else { break }
                if fds[1].revents != 0 && fds[0].revents & Int16(POLLIN) == 0 { break }
                guard let count = SystemCall.read(fd, into: &buffer), count > 0 else { break }
                if case .dropped(let oldest) = continuation.yield(Array(buffer[0..<count])) {
                    drops.add(oldest.count)
                }
                if fds[1].revents != 0 { break }
            }
            close(fd)
            continuation.finish()
            done.signal()
            withExtendedLifetime(abandon) {}
        }
        return stream
    }
}

/// Bytes of a pipe that its drain dropped, for the reader to report.
final class PipeDrops: Sendable {
    private let bytes = Atomic(0)

    fileprivate func add(_ count: Int) { self.bytes.wrappingAdd(count, ordering: .relaxed) }

    /// The bytes dropped since the last call. Drops are always of the oldest chunks waiting, so
    /// those counted here were (all but in a race) just before the chunk the reader took last.
    func take() -> Int { self.bytes.exchange(0, ordering: .relaxed) }
}

/// A close-on-exec pipe whose ends close when the last user lets go.
private final class WakePipe: Sendable {
    let read: Int32
    let write: Int32

    init(read: Int32, write: Int32) {
        self.read = read
        self.write = write
    }

    deinit {
        close(self.read)
        close(self.write)
    }
}

extension ChildProcess {
    /// Says at debug where the plugin's tree lives: its cgroup, or only its process group, and why.
    func logPlacement(_ logger: Logger) {
        switch self.cgroup {
        case .success(let path):
            logger.debug("plugin tree in its own cgroup and process group", metadata: ["plugin.cgroup": "\(path)"])
        case .failure(let unavailable):
            logger.debug("plugin tree in its own process group only; no cgroup: \(unavailable.reason)")
        }
        if let unwatched = self.unwatched {
            logger.debug("the plugin's children may outlive a host killed with SIGKILL: \(unwatched)")
        }
    }
}
