import CPlugboardSystem
import Foundation
import PlugboardCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plugin process started with `posix_spawn`: its own process group (so a terminal's Ctrl-C
/// reaches only the host), default signal dispositions, `/dev/null` on stdin, and pipes on stdout
/// and stderr that threads drain into bounded streams. A reaper thread waits for the exit, so the
/// child never becomes a zombie and is never signalled after it has been reaped.
final class ChildProcess: Sendable {
    /// The process id.
    let pid: Int32
    /// Chunks of the child's stdout until it closes. Keeps at most 256 chunks (64 KiB each) when
    /// the reader falls behind, dropping the oldest.
    let stdout: AsyncStream<[UInt8]>
    /// Chunks of the child's stderr until it closes; bounded like `stdout`.
    let stderr: AsyncStream<[UInt8]>

    private let exit = OnceValue<PluginError.Termination>()
    /// Serializes signalling with reaping, so a reaped pid is never signalled.
    private let reaped = Mutex(false)

    /// Starts `path` with `arguments` and exactly `environment`.
    ///
    /// - Throws: `PluginError` with code `executableNotFound`, `notExecutable`, `wrongArchitecture`
    ///   or `launchFailed`.
    init(path: String, arguments: [String], environment: [String: String]) throws(PluginError) {
        let (stdoutRead, stdoutWrite) = try Self.pipe(path: path)
        let (stderrRead, stderrWrite) = try Self.pipe(path: path)
        let pid: pid_t
        do {
            pid = try Spawn.start(
                path: path,
                arguments: arguments,
                environment: environment.map { "\($0.key)=\($0.value)" },
                stdout: stdoutWrite,
                stderr: stderrWrite
            )
        } catch {
            [stdoutRead, stdoutWrite, stderrRead, stderrWrite].forEach { _ = close($0) }
            throw error
        }
        close(stdoutWrite)
        close(stderrWrite)
        self.pid = pid
        self.stdout = Self.drain(stdoutRead, name: "plugboard-stdout-\(pid)")
        self.stderr = Self.drain(stderrRead, name: "plugboard-stderr-\(pid)")
        let thread = Thread { [self] in self.reap() }
        thread.name = "plugboard-reaper-\(pid)"
        thread.start()
    }

    /// How the process ended, once it has; `nil` while it runs.
    var termination: PluginError.Termination? { self.exit.value }

    /// Waits for the process to end and returns how it ended; `nil` if the task is cancelled first.
    func wait() async -> PluginError.Termination? { await self.exit.wait() }

    /// Waits up to `timeout` for the process to end; `nil` if it is still running.
    func wait(timeout: Duration) async -> PluginError.Termination? {
        await withTaskGroup(of: PluginError.Termination?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first ?? self.termination
        }
    }

    /// Sends `signal` unless the process has already been reaped (its pid may belong to another
    /// process by then).
    func send(_ signal: Int32) {
        self.reaped.withLock { reaped in
            if !reaped { _ = kill(self.pid, signal) }
        }
    }

    private func reap() {
        // Wait for the exit without reaping (WNOWAIT), then reap under the lock that `send` takes,
        // so no signal can reach a recycled pid.
        var info = siginfo_t()
        while waitid(P_PID, id_t(self.pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
        var status: Int32 = 0
        let result = self.reaped.withLock { reaped -> Int32 in
            var result: Int32
            repeat { result = waitpid(self.pid, &status, 0) } while result < 0 && errno == EINTR
            reaped = true
            return result
        }
        guard result >= 0 else {
            self.exit.set(.exited(-1))
            return
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let termination: PluginError.Termination =
            status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        self.exit.set(termination)
    }

    private static func pipe(path: String) throws(PluginError) -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard CPlugboardSystem_pipeCloexec(&fds) == 0 else {
            throw PluginError(code: .launchFailed, message: "Could not create a pipe for the plugin: \(String(cString: strerror(errno))). The host may be out of file descriptors.", executablePath: path)
        }
        return (fds[0], fds[1])
    }

    /// Reads `fd` on its own thread until EOF, yielding chunks; closes `fd` at the end.
    private static func drain(_ fd: Int32, name: String) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    continuation.yield(Array(buffer[0..<count]))
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(fd)
            continuation.finish()
        }
        thread.name = name
        thread.start()
        return stream
    }
}
