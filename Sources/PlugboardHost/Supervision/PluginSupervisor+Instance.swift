import GRPCCore
import GoPluginProtos
import PlugboardCore
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

extension PluginSupervisor {
    /// Starts one instance, prepares it, lets calls through and watches it until it fails or a
    /// stop is requested. Returns whether it became ready, and how it ended.
    func runInstance() async -> (reachedReady: Bool, end: InstanceEnd) {
        enum Outcome: Sendable {
            case ended(InstanceEnd)
            case stoppedBeforeReady
        }
        let reachedReady = OnceValue<Void>()
        let end: InstanceEnd = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { .ended(await self.launchAndWatch(reachedReady: reachedReady)) }
            // Once ready, the instance watches for a stop itself and stops gracefully; before
            // that, a stop cancels the launch.
            group.addTask {
                guard await self.stopRequest.wait() != nil, reachedReady.value == nil else { return nil }
                return .stoppedBeforeReady
            }
            while let outcome = await group.next() {
                switch outcome {
                case .ended(let end)?:
                    group.cancelAll()
                    return end
                case .stoppedBeforeReady?:
                    group.cancelAll()
                case nil:
                    continue
                }
            }
            return .stopRequested
        }
        return (reachedReady.value != nil, end)
    }

    /// `withPlugin`, with the instance published between `prepare` and the end of `watch`.
    private func launchAndWatch(reachedReady: OnceValue<Void>) async -> InstanceEnd {
        let started = ContinuousClock.now
        // Why the watch ended the instance. The connection drops as the process dies, so the error
        // `withPlugin` rethrows may be the transport's; this one says what happened.
        let observed = OnceValue<(PluginError, PluginProcess)>()
        do {
            try await PluginHost.withPlugin(
                self.spec, instrumentation: self.instrumentation, logger: self.logger, isolation: nil
            ) { plugin in
                do {
                    try await self.prepare(plugin)
                } catch {
                    throw PluginError(
                        code: .connectionFailed,
                        message:
                            "The supervisor's prepare step failed after the plugin started: \(error). The plugin is restarted; check the state being re-applied.",
                        cause: error)
                }
                reachedReady.set(())
                self.gate.publish(plugin)
                self.emit(.ready(pid: plugin.pid, startedIn: .now - started))
                defer { self.gate.withdraw() }
                do throws(PluginError) {
                    try await self.watch(plugin)
                } catch {
                    observed.set(
                        (
                            error.withContext(pluginName: plugin.name, executablePath: plugin.path, pid: plugin.pid),
                            plugin.process
                        ))
                    throw error
                }
                self.emit(.stopping)
            }
            return .stopRequested
        } catch {
            if let (observedFailure, process) = observed.value {
                var failure = observedFailure
                // `withPlugin` has reaped the process and read its stderr to the end by now.
                failure.termination = failure.termination ?? process.handle.termination
                if failure.stderrTail.isEmpty { failure.stderrTail = process.stderr.tail }
                return .failed(failure)
            }
            if let error = error as? PluginError { return .failed(error) }
            return .failed(
                PluginError(
                    code: .connectionFailed, message: "The plugin failed: \(error)", pluginName: self.spec.name,
                    executablePath: self.spec.path, cause: error))
        }
    }

    /// Returns when a stop is requested; throws (after killing the plugin) when it exits, stops
    /// answering its health checks or loses its socket. Runs `whileReady` alongside.
    private func watch(_ plugin: RunningPlugin) async throws(PluginError) {
        let failure: PluginError? = await withTaskGroup(of: PluginError??.self) { group in
            group.addTask { await self.stopRequest.wait() == nil ? nil : .some(nil) }
            group.addTask {
                guard await plugin.process.handle.waitForEnd() else { return nil }
                return .some(plugin.process.handle.endedError())
            }
            group.addTask { await self.checkHealth(plugin).map { .some($0) } }
            group.addTask {
                await self.whileReady(plugin)
                return nil
            }
            defer { group.cancelAll() }
            while let result = await group.next() {
                if let outcome = result { return outcome }
            }
            return nil
        }
        guard let failure else { return }
        plugin.process.handle.killIfOwned()  // so calls to a hung plugin fail now, not at their deadlines
        throw failure
    }

    /// Every `healthInterval`: the socket file must exist and the health service must answer.
    /// Returns the failure that should restart the plugin; `nil` when cancelled. An attached plugin
    /// that stops answering is only warned about: it is most likely stopped in a debugger.
    private func checkHealth(_ plugin: RunningPlugin) async -> PluginError? {
        let health = Grpc_Health_V1_Health.Client(wrapping: plugin.client)
        var failuresInARow = 0
        while true {
            do {
                try await Task.sleep(for: self.policy.healthInterval)
            } catch {
                return nil
            }
            var status = stat()
            if stat(plugin.socketPath, &status) != 0, errno == ENOENT {
                return .socketRemoved(path: plugin.socketPath)
            }
            do {
                let asked = ContinuousClock.now
                _ = try await health.check(
                    .with { $0.service = "plugin" }, options: .deadline(self.policy.healthTimeout))
                self.instrumentation.lifecycle.healthChecked(in: .now - asked)
                failuresInARow = 0
            } catch let error as RPCError where error.cause is HTTP2ProtocolViolation {
                // Not a slow plugin: a broken one, whose connection the transport already closed.
                return .protocolViolation(error.cause as! HTTP2ProtocolViolation, socketPath: plugin.socketPath)
            } catch {
                if Task.isCancelled { return nil }
                failuresInARow += 1
                if failuresInARow >= self.policy.unhealthyThreshold {
                    guard self.spec.reattach != nil else {
                        return .unhealthy(failures: failuresInARow, timeout: self.policy.healthTimeout, cause: error)
                    }
                    if failuresInARow == self.policy.unhealthyThreshold {
                        self.logger.warning(
                            "the attached plugin does not answer its health checks (stopped in a debugger?); calls wait for it until their deadlines",
                            metadata: ["plugin.pid": "\(plugin.pid)"])
                    }
                }
            }
        }
    }
}
