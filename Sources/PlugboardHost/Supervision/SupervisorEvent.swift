public import PlugboardCore

/// Where a supervised plugin is in its life.
public enum SupervisorState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not yet started.
    case idle
    /// Launching: handshake, connection, health check and the `prepare` hook.
    case starting
    /// Serving calls.
    case ready
    /// Waiting out the backoff after a failure; calls wait for it to come back.
    case restarting
    /// Failed too often in the failure window; not restarted, calls fail at once.
    case quarantined
    /// Shutting down gracefully.
    case stopping
    /// Stopped for good.
    case stopped

    public var description: String { self.rawValue }
}

/// Something that happened to a supervised plugin, in order; see ``PluginSupervisor/events``.
public enum SupervisorEvent: Sendable, CustomStringConvertible {
    /// A launch began; `attempt` counts launches since the supervisor started, from 1.
    case starting(attempt: Int)
    /// The plugin answered its health check and `prepare` finished; calls flow.
    case ready(pid: Int32, startedIn: Duration)
    /// The plugin stopped serving for the reason in `error` (it crashed, stopped answering, lost
    /// its socket, or failed to start).
    case failed(PluginError)
    /// The next launch comes after `delay`; `failures` counts failures inside the window.
    case restarting(after: Duration, failures: Int)
    /// A crash loop: the plugin stays down; `error` says why and what to do.
    case quarantined(PluginError)
    /// A graceful stop began.
    case stopping
    /// The plugin is stopped and reaped; the last event.
    case stopped

    /// The state the supervisor is in after this event.
    public var state: SupervisorState {
        switch self {
        case .starting: return .starting
        case .ready: return .ready
        case .failed, .restarting: return .restarting
        case .quarantined: return .quarantined
        case .stopping: return .stopping
        case .stopped: return .stopped
        }
    }

    public var description: String {
        switch self {
        case .starting(let attempt): return "starting (attempt \(attempt))"
        case .ready(let pid, let startedIn): return "ready (pid \(pid), started in \(startedIn.wholeMilliseconds) ms)"
        case .failed(let error): return "failed: \(error.message)"
        case .restarting(let delay, let failures):
            return "restarting in \(delay.wholeMilliseconds) ms (\(failures) failures in the window)"
        case .quarantined(let error): return "quarantined: \(error.message)"
        case .stopping: return "stopping"
        case .stopped: return "stopped"
        }
    }
}
