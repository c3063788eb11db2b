import PlugboardCore

extension PluginSupervisor {
    /// The supervisor's decisions, free of I/O and clocks: the caller feeds in what happened (with
    /// the time and a random number for jitter) and performs the returned action.
    ///
    /// ```
    /// idle ─start→ starting ─launched→ ready ─ended→ restarting ─backoffElapsed→ starting …
    ///                  └──────────ended──────────────┘    (too many failures in the window → quarantined)
    /// any ─stopRequested→ stopping ─instanceStopped→ stopped      (from idle, restarting, quarantined: stopped at once)
    /// ```
    ///
    /// Without `restarts` (an attached plugin), `ended` goes straight to quarantined.
    package struct StateMachine: Sendable {
        package enum State: Sendable, Equatable {
            case idle
            case starting(attempt: Int)
            case ready(attempt: Int)
            case restarting(attempt: Int)
            case quarantined(PluginError)
            case stopping
            case stopped
        }

        /// What the supervisor must do next.
        package enum Action: Sendable, Equatable {
            /// Launch the plugin; `attempt` counts launches from 1.
            case launch(attempt: Int)
            /// Wait `delay`, then report `backoffElapsed`.
            case wait(delay: Duration, failures: Int)
            /// Stay down; report the error to waiting and future calls.
            case quarantine(PluginError)
            /// Stop the running instance gracefully, then report `instanceStopped`.
            case stopInstance
            /// Nothing more to do: the supervisor is stopped.
            case finish
            /// Nothing to do for this input.
            case none
        }

        package let policy: SupervisionPolicy
        /// False for a plugin the host attached to: it did not start it, so it cannot start it
        /// again, and the first failure quarantines it.
        package let restarts: Bool
        package private(set) var state: State = .idle
        /// When recent failures happened, oldest first; only those inside the window are kept.
        package private(set) var failures: [ContinuousClock.Instant] = []

        package init(policy: SupervisionPolicy, restarts: Bool = true) {
            self.policy = policy
            self.restarts = restarts
        }

        package mutating func start() -> Action {
            guard case .idle = self.state else { return .none }
            self.state = .starting(attempt: 1)
            return .launch(attempt: 1)
        }

        /// The instance is healthy and prepared.
        package mutating func launched() -> Action {
            guard case .starting(let attempt) = self.state else { return .none }
            self.state = .ready(attempt: attempt)
            return .none
        }

        /// The instance failed to start or stopped serving, at `now`. `jitter` is a random number in `0 ..< 1`.
        package mutating func ended(_ error: PluginError, at now: ContinuousClock.Instant, jitter: Double) -> Action {
            let attempt: Int
            switch self.state {
            case .starting(let current), .ready(let current): attempt = current
            case .stopping:
                self.state = .stopped
                return .finish
            case .idle, .restarting, .quarantined, .stopped:
                return .none
            }
            guard self.restarts else {
                let quarantine = PluginError.attachedNotRestarted(last: error)
                self.state = .quarantined(quarantine)
                return .quarantine(quarantine)
            }
            self.failures.append(now)
            self.failures.removeAll { now - $0 > self.policy.failureWindow }
            if self.failures.count >= self.policy.maximumFailures {
                let quarantine = PluginError.quarantined(
                    failures: self.failures.count, window: self.policy.failureWindow, last: error)
                self.state = .quarantined(quarantine)
                return .quarantine(quarantine)
            }
            self.state = .restarting(attempt: attempt)
            return .wait(
                delay: self.backoff(failures: self.failures.count, jitter: jitter), failures: self.failures.count)
        }

        package mutating func backoffElapsed() -> Action {
            guard case .restarting(let attempt) = self.state else { return .none }
            self.state = .starting(attempt: attempt + 1)
            return .launch(attempt: attempt + 1)
        }

        package mutating func stopRequested() -> Action {
            switch self.state {
            case .starting, .ready:
                self.state = .stopping
                return .stopInstance
            case .idle, .restarting, .quarantined:
                self.state = .stopped
                return .finish
            case .stopping, .stopped:
                return .none
            }
        }

        package mutating func instanceStopped() -> Action {
            guard case .stopping = self.state else { return .none }
            self.state = .stopped
            return .finish
        }

        /// `initialBackoff` doubled per failure after the first, capped, scaled by ±`policy.jitter`.
        package func backoff(failures: Int, jitter: Double) -> Duration {
            let doublings = min(max(failures - 1, 0), 30)
            let base = min(self.policy.initialBackoff * (1 << doublings), self.policy.maximumBackoff)
            return base * (1 + self.policy.jitter * (2 * jitter - 1))
        }

        /// The public view of `state`.
        package var publicState: SupervisorState {
            switch self.state {
            case .idle: return .idle
            case .starting: return .starting
            case .ready: return .ready
            case .restarting: return .restarting
            case .quarantined: return .quarantined
            case .stopping: return .stopping
            case .stopped: return .stopped
            }
        }
    }
}
