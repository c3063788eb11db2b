import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` with the file actions and attributes a plugin needs; the only C in the host's
/// process layer besides the pipe and wait calls in `ChildProcess`.
enum Spawn {
    static func start(
        path: String,
        arguments: [String],
        environment: [String],
        stdout: Int32,
        stderr: Int32
    ) throws(PluginError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        // ETXTBSY: another thread's child still holds a write descriptor to the file (it was just
        // written, and a fork copied the descriptor before its exec). It clears within moments.
        for _ in 0..<25 where result == ETXTBSY {
            usleep(20_000)
            result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw Self.error(result, path: path) }
        return pid
    }

    private static func error(_ code: Int32, path: String) -> PluginError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT: return .executableNotFound(path: path)
        case EACCES, EPERM: return .notExecutable(path: path, reason: reason)
        case ENOEXEC: return .wrongArchitecture(path: path, found: "a file the kernel cannot execute", expected: "an executable for this machine")
        default:
            return PluginError(code: .launchFailed, message: "Could not start the plugin: posix_spawn failed with \(reason). Check the file and the host's resource limits.", executablePath: path)
        }
    }
}
