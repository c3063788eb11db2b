import PlugboardCore
import PlugboardHost
import Testing

/// The supervisor's decisions, fed directly: every input in every state, then the failure window,
/// quarantine, an attached plugin and the backoff. No process, clock or sleep.
@Suite("The supervisor's state machine")
struct SupervisorStateMachineTests {
    typealias Machine = PluginSupervisor.StateMachine

    static let policy = SupervisionPolicy(
        initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1), jitter: 0.2, maximumFailures: 3,
        failureWindow: .seconds(60)
    )
    static let crash = PluginError(code: .exitedUnexpectedly, message: "the plugin exited")
    static let start = ContinuousClock.now

    enum Input: String, CaseIterable, CustomTestStringConvertible {
        case start, launched, ended, backoffElapsed, stopRequested, instanceStopped

        var testDescription: String { self.rawValue }

        /// Feeds the input; `ended` comes at the suite's start time with neutral jitter.
        func feed(_ machine: inout Machine) -> Machine.Action {
            switch self {
            case .start: return machine.start()
            case .launched: return machine.launched()
            case .ended:
                return machine.ended(
                    SupervisorStateMachineTests.crash, at: SupervisorStateMachineTests.start, jitter: 0.5)
            case .backoffElapsed: return machine.backoffElapsed()
            case .stopRequested: return machine.stopRequested()
            case .instanceStopped: return machine.instanceStopped()
            }
        }
    }

    /// Every state, reached by feeding inputs to a new machine.
    enum Reached: String, CaseIterable, CustomTestStringConvertible {
        case idle, starting, ready, restarting, quarantined, stopping, stopped

        var testDescription: String { self.rawValue }

        var machine: Machine {
            var machine = Machine(
                policy: self == .quarantined
                    ? SupervisionPolicy(maximumFailures: 1) : SupervisorStateMachineTests.policy)
            let path: [Input] =
                switch self {
                case .idle: []
                case .starting: [.start]
                case .ready: [.start, .launched]
                case .restarting, .quarantined: [.start, .ended]
                case .stopping: [.start, .stopRequested]
                case .stopped: [.stopRequested]
                }
            for input in path { _ = input.feed(&machine) }
            return machine
        }
    }

    /// What each input does in each state: the action, and the state after it.
    static let transitions: [Reached: [Input: (Machine.Action, Machine.State)]] = {
        let waiting = Machine.Action.wait(delay: .milliseconds(100), failures: 1)
        let quarantine = PluginError.quarantined(failures: 1, window: .seconds(60), last: crash)
        return [
            .idle: [
                .start: (.launch(attempt: 1), .starting(attempt: 1)), .launched: (.none, .idle), .ended: (.none, .idle),
                .backoffElapsed: (.none, .idle), .stopRequested: (.finish, .stopped), .instanceStopped: (.none, .idle),
            ],
            .starting: [
                .start: (.none, .starting(attempt: 1)), .launched: (.none, .ready(attempt: 1)),
                .ended: (waiting, .restarting(attempt: 1)), .backoffElapsed: (.none, .starting(attempt: 1)),
                .stopRequested: (.stopInstance, .stopping), .instanceStopped: (.none, .starting(attempt: 1)),
            ],
            .ready: [
                .start: (.none, .ready(attempt: 1)), .launched: (.none, .ready(attempt: 1)),
                .ended: (waiting, .restarting(attempt: 1)), .backoffElapsed: (.none, .ready(attempt: 1)),
                .stopRequested: (.stopInstance, .stopping), .instanceStopped: (.none, .ready(attempt: 1)),
            ],
            .restarting: [
                .start: (.none, .restarting(attempt: 1)), .launched: (.none, .restarting(attempt: 1)),
                .ended: (.none, .restarting(attempt: 1)), .backoffElapsed: (.launch(attempt: 2), .starting(attempt: 2)),
                .stopRequested: (.finish, .stopped), .instanceStopped: (.none, .restarting(attempt: 1)),
            ],
            .quarantined: [
                .start: (.none, .quarantined(quarantine)), .launched: (.none, .quarantined(quarantine)),
                .ended: (.none, .quarantined(quarantine)), .backoffElapsed: (.none, .quarantined(quarantine)),
                .stopRequested: (.finish, .stopped), .instanceStopped: (.none, .quarantined(quarantine)),
            ],
            .stopping: [
                .start: (.none, .stopping), .launched: (.none, .stopping), .ended: (.finish, .stopped),
                .backoffElapsed: (.none, .stopping), .stopRequested: (.none, .stopping),
                .instanceStopped: (.finish, .stopped),
            ],
            .stopped: [
                .start: (.none, .stopped), .launched: (.none, .stopped), .ended: (.none, .stopped),
                .backoffElapsed: (.none, .stopped), .stopRequested: (.none, .stopped),
                .instanceStopped: (.none, .stopped),
            ],
        ]
    }()

    @Test("every input in every state", arguments: Reached.allCases, Input.allCases)
    func transition(from reached: Reached, input: Input) throws {
        var machine = reached.machine
        let (action, state) = try #require(Self.transitions[reached]?[input])
        #expect(input.feed(&machine) == action)
        #expect(machine.state == state)
    }

    @Test("failures inside the window add up to a quarantine; older ones drop out of it")
    func failureWindow() {
        var machine = Machine(policy: Self.policy)
        _ = machine.start()
        // Two failures, then a third 61 s after the first: the first has left the window.
        #expect(machine.ended(Self.crash, at: Self.start, jitter: 0.5) == .wait(delay: .milliseconds(100), failures: 1))
        _ = machine.backoffElapsed()
        #expect(
            machine.ended(Self.crash, at: Self.start + .seconds(30), jitter: 0.5)
                == .wait(delay: .milliseconds(200), failures: 2))
        _ = machine.backoffElapsed()
        #expect(
            machine.ended(Self.crash, at: Self.start + .seconds(61), jitter: 0.5)
                == .wait(delay: .milliseconds(200), failures: 2))
        _ = machine.backoffElapsed()
        #expect(machine.state == .starting(attempt: 4))
        // A third inside the window quarantines, with an error that says how many and when.
        let action = machine.ended(Self.crash, at: Self.start + .seconds(62), jitter: 0.5)
        let quarantine = PluginError.quarantined(failures: 3, window: .seconds(60), last: Self.crash)
        #expect(action == .quarantine(quarantine))
        #expect(machine.state == .quarantined(quarantine))
        #expect(machine.publicState == .quarantined)
    }

    @Test("a plugin the host attached to is quarantined at its first failure, never relaunched")
    func attached() {
        var machine = Machine(policy: Self.policy, restarts: false)
        _ = machine.start()
        _ = machine.launched()
        let quarantine = PluginError.attachedNotRestarted(last: Self.crash)
        #expect(machine.ended(Self.crash, at: Self.start, jitter: 0.5) == .quarantine(quarantine))
        #expect(machine.backoffElapsed() == .none)
        #expect(machine.state == .quarantined(quarantine))
    }

    @Test("the backoff doubles per failure up to its maximum, scaled by at most ±jitter")
    func backoff() {
        let machine = Machine(policy: Self.policy)
        let neutral = (1...6).map { machine.backoff(failures: $0, jitter: 0.5) }
        #expect(neutral == [100, 200, 400, 800, 1000, 1000].map { Duration.milliseconds($0) })
        #expect(machine.backoff(failures: 1, jitter: 0) == .milliseconds(80))
        #expect(machine.backoff(failures: 1, jitter: 0.999_999) > .milliseconds(119))
        #expect(machine.backoff(failures: 1, jitter: 0.999_999) < .milliseconds(120))
        #expect(machine.backoff(failures: 1_000, jitter: 0.5) == .seconds(1), "no overflow after many failures")
    }
}
