import GRPCCore
import Logging
import PlugboardCore
import PlugboardHost
import ServiceLifecycle
import Synchronization

/// Runs supervisors the way a host does, in a `ServiceGroup`, and records their events.
enum SupervisionHarness {
    /// A policy fast enough for tests: quick restarts and health checks. The health timeout is
    /// generous by default: with the whole suite on two cores a fixture plugin was seen to take
    /// 1.2 s to start, and two checks in a row past 0.5 s restarted plugins under tests that
    /// count restarts. A test of health checks themselves asks for a short one.
    static func policy(
        maximumFailures: Int = 20,
        initialBackoff: Duration = .milliseconds(20),
        healthInterval: Duration = .seconds(2),
        healthTimeout: Duration = .seconds(5),
        defaultDeadline: Duration = .seconds(20)
    ) -> SupervisionPolicy {
        SupervisionPolicy(
            initialBackoff: initialBackoff, maximumBackoff: max(initialBackoff, .milliseconds(500)),
            maximumFailures: maximumFailures,
            healthInterval: healthInterval, healthTimeout: healthTimeout, defaultDeadline: defaultDeadline
        )
    }

    /// Supervises the fixture plugin in `mode` with `policy` and a capturing logger, waits for
    /// its first start (unless `waitForReady` is false), then runs `body` as ``run(_:logger:_:)`` does.
    static func withFixture<Result: Sendable>(
        _ mode: String = "echo",
        policy: SupervisionPolicy = policy(),
        environment: [String: String] = [:],
        waitForReady: Bool = true,
        _ body: (PluginSupervisor, EventLog) async throws -> Result
    ) async throws -> Result {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture(mode)
        spec.environment = environment
        let supervisor = PluginSupervisor(spec: spec, policy: policy, logger: logger)
        return try await self.run(supervisor, logger: logger) { events in
            if waitForReady { _ = try await events.wait { $0.isReady } }
            return try await body(supervisor, events)
        }
    }

    /// Starts `supervisor` in a service group, runs `body` once it is ready, then shuts the group
    /// down gracefully and waits for the supervisor to stop. Returns `body`'s result.
    static func run<Result: Sendable>(
        _ supervisor: PluginSupervisor,
        logger: Logger,
        _ body: (EventLog) async throws -> Result
    ) async throws -> Result {
        let log = EventLog(supervisor.events)
        let group = ServiceGroup(services: [supervisor], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask { await log.record() }
            defer { tasks.cancelAll() }
            do {
                let result = try await body(log)
                await group.triggerGracefulShutdown()
                try await tasks.next()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}

/// The events a supervisor emitted so far, with waits for the next one of a kind.
final class EventLog: Sendable {
    private let stream: AsyncStream<SupervisorEvent>
    private let seen = Locked<[SupervisorEvent]>([])

    init(_ stream: AsyncStream<SupervisorEvent>) { self.stream = stream }

    var events: [SupervisorEvent] { self.seen.withLock { $0 } }

    func record() async {
        for await event in self.stream {
            self.seen.withLock { $0.append(event) }
        }
    }

    /// How many events there are so far, to wait for later ones with `wait(after:)`.
    var mark: Int { self.events.count }

    /// Waits until `count` events from index `after` on satisfy `matches`, up to `timeout`.
    func wait(
        for count: Int = 1, after mark: Int = 0, timeout: Duration = .seconds(20),
        _ matches: @escaping @Sendable (SupervisorEvent) -> Bool
    ) async throws -> [SupervisorEvent] {
        let met = await self.seen.wait(until: { $0.dropFirst(mark).filter(matches).count >= count }, timeout: timeout)
        guard met else {
            throw WaitTimedOut(
                description: "waited \(timeout) for \(count) matching events; saw: \(self.events.map(\.description))")
        }
        return self.events.dropFirst(mark).filter(matches)
    }

    /// The pids of every `ready` event so far.
    var readyPIDs: [Int32] {
        self.events.compactMap { if case .ready(let pid, _) = $0 { return pid } else { return nil } }
    }

    struct WaitTimedOut: Error, CustomStringConvertible { var description: String }
}

extension SupervisorEvent {
    var isReady: Bool { if case .ready = self { return true } else { return false } }
    var isQuarantined: Bool { if case .quarantined = self { return true } else { return false } }
    var failure: PluginError? { if case .failed(let error) = self { return error } else { return nil } }
}

extension Error {
    /// The `PluginError` a call failed with, under its `RPCError`.
    var pluginError: PluginError? {
        (self as? PluginError) ?? ((self as? RPCError)?.cause as? PluginError)
    }
}

/// A value shared between tasks of a test, which a task can wait on until it meets a condition:
/// every change wakes the waiters whose condition it met, so nothing polls.
final class Locked<Value: Sendable>: Sendable {
    private struct Waiter {
        let condition: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
        var timer: Task<Void, Never>?
    }

    private let state: Mutex<(value: Value, waiters: [UInt64: Waiter], next: UInt64)>

    init(_ value: Value) { self.state = Mutex((value, [:], 0)) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        let (result, met) = self.state.withLock { state in
            let result = body(&state.value)
            let met = state.waiters.filter { $0.value.condition(state.value) }
            for id in met.keys { state.waiters[id] = nil }
            return (result, Array(met.values))
        }
        for waiter in met {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: true)
        }
        return result
    }

    /// Waits until the value meets `condition`, up to `timeout`; false if it timed out first.
    @discardableResult
    func wait(until condition: @escaping @Sendable (Value) -> Bool, timeout: Duration = .seconds(20)) async -> Bool {
        await withCheckedContinuation { continuation in
            let id: UInt64? = self.state.withLock { state in
                if condition(state.value) { return nil }
                state.next += 1
                state.waiters[state.next] = Waiter(condition: condition, continuation: continuation)
                return state.next
            }
            guard let id else { return continuation.resume(returning: true) }
            let timer = Task {
                try? await Task.sleep(for: timeout)  // a bound, not a poll
                guard !Task.isCancelled else { return }
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
            }
            let waiting = self.state.withLock { state in
                state.waiters[id]?.timer = timer
                return state.waiters[id] != nil
            }
            if !waiting { timer.cancel() }  // met before the timer was stored
        }
    }
}
