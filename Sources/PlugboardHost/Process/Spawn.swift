import CPlugboardSystem
import Dispatch
import PlugboardCore
import PlugboardSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Starts plugin processes through `CPlugboardSystem_spawn` (clone and exec with the plugin's own
/// process group, cgroup and PR_SET_PDEATHSIG), always from one thread that never ends: Linux
/// sends the death signal when the thread that forked the child ends, and the threads of Swift's
/// concurrency pool come and go.
enum Spawn {
    static func start(
        path: String,
        arguments: [String],
        environment: [String],
        stdout: Int32,
        stderr: Int32,
        cgroup: PluginCgroup?
    ) throws(PluginError) -> (pid: Int32, joinedCgroup: Bool) {
        let argv = CStrings([path] + arguments)
        let envp = CStrings(environment)
        let directory = cgroup.map { open($0.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } ?? -1
        let procs = cgroup.map { open("\($0.path)/cgroup.procs", O_WRONLY | O_CLOEXEC) } ?? -1
        defer {
            if directory >= 0 { close(directory) }
            if procs >= 0 { close(procs) }
        }
        let host = getpid()
        let spawnOnce = { () -> (pid: Int32, errno: Int32, cgroupError: Int32) in
            SpawnThread.shared.run {
                var cgroupError: Int32 = 0
                let pid = CPlugboardSystem_spawn(
                    path, argv.pointers, envp.pointers, stdout, stderr, directory, procs, host, &cgroupError
                )
                return (pid, pid < 0 ? errno : 0, cgroupError)
            }
        }
        var result = spawnOnce()
        // ETXTBSY: another thread's child still holds a write descriptor to the file (it was just
        // written, and a fork copied the descriptor before its exec). It clears within moments.
        for _ in 0..<25 where result.pid < 0 && result.errno == ETXTBSY {
            usleep(20_000)
            result = spawnOnce()
        }
        guard result.pid > 0 else { throw Self.error(result.errno, path: path) }
        return (result.pid, procs >= 0 && result.cgroupError == 0)
    }

    private static func error(_ code: Int32, path: String) -> PluginError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT: return .executableNotFound(path: path)
        case EACCES, EPERM: return .notExecutable(path: path, reason: reason)
        case ENOEXEC:
            return .wrongArchitecture(
                path: path, found: "a file the kernel cannot execute", expected: "an executable for this machine")
        case E2BIG:
            return PluginError(
                code: .launchFailed,
                message:
                    "Could not start the plugin: its arguments and environment are too large to exec (E2BIG: one over 128 KiB, or all of them over ARG_MAX with the host's own environment). Shorten them; `plugboard check` finds this in a configuration file.",
                executablePath: path)
        default:
            return PluginError(
                code: .launchFailed,
                message:
                    "Could not start the plugin: fork or exec failed with \(reason). Check the file and the host's resource limits.",
                executablePath: path)
        }
    }
}

/// A NULL-terminated array of C strings, freed with the value; used by one thread at a time.
private final class CStrings: @unchecked Sendable {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ strings: [String]) {
        self.pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { self.pointers[index] = strdup(string) }
        self.pointers[strings.count] = nil
    }

    deinit {
        var index = 0
        while let string = self.pointers[index] {
            free(string)
            index += 1
        }
        self.pointers.deallocate()
    }
}

/// One thread, started on first use and never ended, that runs the forks.
private final class SpawnThread: Sendable {
    static let shared = SpawnThread()

    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        DetachedThread.start(name: "plugboard-spawn") { [self] in
            while true {
                self.wake.wait()
                let work = self.queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                work?()
            }
        }
    }

    /// Runs `work` on the spawn thread and waits for its result.
    func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) -> Result {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result?>(nil)
        self.queue.withLock {
            $0.append {
                let value = work()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        self.wake.signal()
        done.wait()
        return result.withLock { $0! }
    }
}
