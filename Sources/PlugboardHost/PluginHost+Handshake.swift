import PlugboardCore

extension PluginHost {
    private enum StartOutcome: Sendable {
        case line(Result<String, PluginError>)
        case timedOut
    }

    /// Waits for the first stdout line, up to the start timeout, and validates it.
    static func awaitHandshake(_ spec: PluginSpec, child: ChildProcess, stdout: StdoutReader) async throws(PluginError)
        -> Handshake
    {
        let outcome = await withTaskGroup(of: StartOutcome?.self) { group in
            group.addTask { await stdout.handshakeLine().map(StartOutcome.line) }
            group.addTask {
                try? await Task.sleep(for: spec.startTimeout)
                return Task.isCancelled ? nil : .timedOut
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .timedOut
        }
        switch outcome {
        case .timedOut:
            throw PluginError.startTimeout(after: spec.startTimeout)
        case .line(.failure(let error)) where error.code == .exitedBeforeHandshake:
            let termination = await child.wait() ?? .exited(-1)
            throw PluginError.exitedBeforeHandshake(termination)
        case .line(.failure(let error)):
            throw error
        case .line(.success(let line)):
            if line.isEmpty, let termination = await child.wait(timeout: .milliseconds(100)) {
                throw PluginError.exitedBeforeHandshake(termination)
            }
            return try Handshake(parsing: line, accepting: spec.handshake)
        }
    }
}
