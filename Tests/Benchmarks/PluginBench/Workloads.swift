import GRPCCore
import PlugboardCore
import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC
import Synchronization

/// How many messages one Collect or Expand stream carries in the pipelined figures (echo-host's
/// `batch`): large enough that opening a stream is noise.
let pipelineBatch = 10_000

/// The measured workloads, defined as echo-host's bench mode defines them.
struct Workloads<Transport: ClientTransport>: Sendable {
    let calls: EchoCalls<Transport>
    let payload: [UInt8]
    private let clock = ContinuousClock()

    init(calls: EchoCalls<Transport>, payloadBytes: Int) {
        self.calls = calls
        self.payload = [UInt8](repeating: 0, count: payloadBytes)
    }

    /// Gets one after another for `duration` (at least one); each call's latency.
    func unarySequential(for duration: Duration) async throws -> [Duration] {
        var latencies: [Duration] = []
        latencies.reserveCapacity(1 << 16)
        let end = self.clock.now + duration
        while true {
            let began = self.clock.now
            if began > end, !latencies.isEmpty { return latencies }
            try await self.calls.get(
                .with {
                    $0.text = "bench"; $0.payload = self.payload; $0.sequence = Int64(latencies.count)
                })
            latencies.append(self.clock.now - began)
        }
    }

    /// Gets from `callers` concurrent tasks on the one connection for `duration`; calls per second.
    func unaryConcurrent(callers: Int, for duration: Duration) async throws -> Double {
        let began = self.clock.now
        let end = began + duration
        let calls = try await withThrowingTaskGroup(of: Int.self, returning: Int.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    let request = EchoRequest.with {
                        $0.text = "bench"; $0.payload = self.payload; $0.sequence = Int64(caller)
                    }
                    var calls = 0
                    while self.clock.now < end {
                        try await self.calls.get(request)
                        calls += 1
                    }
                    return calls
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(calls) / (self.clock.now - began).seconds
    }

    /// Keeps one message in flight on an Update stream for `duration`: round trips per second.
    /// Each answer is handed from the response handler to the sending task, which checks it and
    /// sends the next message; the time is taken before half-closing, as echo-host does.
    func pingPong(for duration: Duration) async throws -> Double {
        let (answers, answered) = AsyncStream.makeStream(of: EchoResponse.self)
        let outcome = PingPongOutcome()
        let received = try await self.calls.echo.update { writer in
            var answers = answers.makeAsyncIterator()
            let began = self.clock.now
            let end = began + duration
            var sent = 0
            while sent == 0 || self.clock.now < end {
                let request = EchoRequest.with {
                    $0.text = "pingpong"; $0.payload = self.payload; $0.sequence = Int64(sent)
                }
                try await writer.write(request)
                guard let answer = await answers.next() else {
                    throw BenchError("Update: the stream ended before answer \(sent)")
                }
                try checkEcho(request, answer, "Update answer \(sent)")
                sent += 1
            }
            let elapsed = self.clock.now - began
            outcome.record(messages: sent, elapsed: elapsed)
        } onResponse: { response in
            defer { answered.finish() }
            var received = 0
            for try await message in response.messages {
                answered.yield(message)
                received += 1
            }
            return received
        }
        let (messages, elapsed) = outcome.recorded
        guard received == messages else {
            throw BenchError("Update: expected the stream to end after \(messages) answers, got \(received)")
        }
        return Double(messages) / elapsed.seconds
    }

    /// Runs `stream` (one batch of `pipelineBatch` messages) back to back for `duration`: messages per second.
    func pipelined(for duration: Duration, _ stream: () async throws -> Void) async throws -> Double {
        let began = self.clock.now
        let end = began + duration
        var messages = 0
        while messages == 0 || self.clock.now < end {
            try await stream()
            messages += pipelineBatch
        }
        return Double(messages) / (self.clock.now - began).seconds
    }
}

/// What the sending side of the ping-pong measured, handed out of its closure.
private final class PingPongOutcome: Sendable {
    private let state = Mutex((messages: 0, elapsed: Duration.zero))

    var recorded: (messages: Int, elapsed: Duration) { self.state.withLock { $0 } }

    func record(messages: Int, elapsed: Duration) { self.state.withLock { $0 = (messages, elapsed) } }
}
