import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// The process behind a plugin: one the host started (its child, which it signals, kills with its
/// tree and reaps), or one it attached to from a reattach record (watched, never reaped, and
/// signalled only when the record says `killOnStop`).
enum ProcessHandle: Sendable {
    case started(ChildProcess)
    case attached(AttachedProcess)

    var pid: Int32 {
        switch self {
        case .started(let child): return child.pid
        case .attached(let process): return process.pid
        }
    }

    /// Whether the host may stop it: always when it started it, with `killOnStop` when it attached.
    var stopsWithHost: Bool {
        switch self {
        case .started: return true
        case .attached(let process): return process.killOnStop
        }
    }

    /// Whether the process has ended.
    var hasEnded: Bool {
        switch self {
        case .started(let child): return child.termination != nil
        case .attached(let process): return process.hasEnded
        }
    }

    /// How it ended: known only for a process the host started and reaped.
    var termination: PluginError.Termination? {
        switch self {
        case .started(let child): return child.termination
        case .attached: return nil
        }
    }

    /// Waits for the end; false if the task is cancelled first.
    func waitForEnd() async -> Bool {
        switch self {
        case .started(let child): return await child.wait() != nil
        case .attached(let process): return await process.waitForEnd()
        }
    }

    /// Waits up to `timeout` for the end; whether it has ended.
    func waitForEnd(timeout: Duration) async -> Bool {
        switch self {
        case .started(let child): return await child.wait(timeout: timeout) != nil
        case .attached(let process): return await process.waitForEnd(timeout: timeout)
        }
    }

    /// The error for a process that ended while the host used it (`during` a call, if known).
    func endedError(during method: String? = nil) -> PluginError {
        switch self {
        case .started(let child):
            let termination = child.termination ?? .exited(-1)
            guard let method else { return .exitedUnexpectedly(termination) }
            return PluginError(
                code: .exitedUnexpectedly,
                message:
                    "The plugin process ended during \(method). Its stderr usually says why; the call was not completed.",
                termination: termination
            )
        case .attached:
            return .attachedProcessEnded(during: method)
        }
    }

    /// SIGKILLs a process the host started (its whole tree), or an attached one only if the host
    /// may stop it (`killOnStop`); never a process the host was not given.
    func killIfOwned() {
        switch self {
        case .started(let child): child.send(SIGKILL)
        case .attached(let process): if process.killOnStop { process.send(SIGKILL) }
        }
    }
}
