import PlugboardCore

extension PluginSupervisor {
    /// How one instance's life ended.
    enum InstanceEnd: Sendable {
        /// The host asked it to stop, and it was stopped gracefully.
        case stopRequested
        /// It failed to start or stopped serving; it has been killed and reaped.
        case failed(PluginError)
    }

    /// Performs the state machine's actions until it says `finish`.
    func supervise() async {
        var machine = StateMachine(policy: self.policy, restarts: self.spec.reattach == nil)
        var action = machine.start()
        while true {
            switch action {
            case .launch(let attempt):
                self.emit(.starting(attempt: attempt))
                let (reachedReady, end) = await self.runInstance()
                if reachedReady { _ = machine.launched() }
                if case .failed(let error) = end, self.stopRequest.value == nil {
                    self.emit(.failed(error))
                    action = machine.ended(error, at: .now, jitter: Double.random(in: 0..<1))
                } else {
                    // Stopped on request; the instance is already stopped and reaped.
                    action = machine.stopRequested()
                    if action == .stopInstance { action = machine.instanceStopped() }
                }
            case .wait(let delay, let failures):
                self.emit(.restarting(after: delay, failures: failures))
                let stopped = await self.stopRequested(within: delay)
                action = stopped ? machine.stopRequested() : machine.backoffElapsed()
            case .quarantine(let error):
                // The failures behind it may not say which plugin this is (a health check's, say).
                let error = error.withContext(pluginName: self.spec.name, executablePath: self.spec.path)
                self.emit(.quarantined(error))
                self.gate.close(error)
                _ = await self.stopRequest.wait()
                action = machine.stopRequested()
            case .stopInstance, .none:
                // `runInstance` stops instances itself, and every input above yields a next step.
                assertionFailure("the supervisor's state machine returned \(action) to the loop")
                action = .finish
            case .finish:
                self.gate.close(.stopped(reason: "the host"))
                self.emit(.stopped)
                self.broadcaster.finish()
                return
            }
        }
    }

    /// Whether a stop was requested before `delay` passed.
    private func stopRequested(within delay: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.stopRequest.wait() != nil }
            group.addTask {
                try? await Task.sleep(for: delay)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }
}
