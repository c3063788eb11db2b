import GRPCCore
import StreamServiceSet
import StreamSyncEngine
import Synchronization
import Testing

@Suite("ControlStream over the in-process transport", .timeLimit(.minutes(1)))
struct ControlStreamTests {
    /// What the host saw on one stream.
    struct Transcript: Sendable {
        var answered: [UInt64] = []
        var rejections = 0
        var eventSequences: [UInt64] = []
        var eventsBeforeLastAnswer = 0
        var lastStatus: Stream_V1_Status?
        var lastDerived: Stream_V1_DerivedResource?
    }

    @Test("100,000 updates: one answer each, in order, with events interleaved")
    func hundredThousand() async throws {
        let total: UInt64 = 100_000
        let kinds = ["route", "cluster", "listener"]
        let ticker = ManualTicker()
        let service = ControlStreamService(
            configuration: .init(statusEveryAcceptedUpdates: 1000, ticker: ticker.ticker)
        )
        let firstEvent = Signal()
        let clock = ContinuousClock()
        let start = clock.now
        let transcript = try await withControlStream(service) { client in
            try await client.sync(
                requestProducer: { writer in
                    for i in 1...total {
                        // Half way, wait for an event: the plugin must send some while updates still come.
                        if i == total / 2 { await firstEvent.wait() }
                        let name = i % 1000 == 0 ? "" : "r\(i % 500)"  // every 1000th is rejected
                        try await writer.write(request(update(i, kind: kinds[Int(i % 3)], name: name, version: "\(i)")))
                    }
                },
                onResponse: { response in
                    var transcript = Transcript()
                    for try await message in response.messages {
                        if let sequence = message.answeredSequence {
                            transcript.answered.append(sequence)
                            if message.rejection != nil { transcript.rejections += 1 }
                            if transcript.answered.count % 25_000 == 0 { ticker.tick() }
                        } else if let event = message.event {
                            if transcript.eventSequences.isEmpty { firstEvent.signal() }
                            transcript.eventSequences.append(event.sequence)
                            if transcript.answered.count < total { transcript.eventsBeforeLastAnswer += 1 }
                            if let status = message.status { transcript.lastStatus = status }
                            if let derived = message.derived { transcript.lastDerived = derived }
                        }
                    }
                    return transcript
                }
            )
        }
        let elapsed = clock.now - start
        print("100,000 updates answered in \(elapsed); \(transcript.eventSequences.count) events")

        #expect(transcript.answered.count == Int(total))
        #expect(transcript.answered == Array(1...total))  // in order, no loss, no duplicates
        #expect(transcript.rejections == Int(total / 1000))
        #expect(transcript.eventsBeforeLastAnswer > 0)
        #expect(transcript.eventSequences == Array(1...UInt64(transcript.eventSequences.count)))
        let status = try #require(transcript.lastStatus)
        #expect(status.updatesReceived == total && status.updatesRejected == total / 1000)
        #expect(status.resources == ["route": 500, "cluster": 500, "listener": 500])
        let derived = try #require(transcript.lastDerived)
        #expect(derived.kind == "route-index")
        #expect(try JSONDecoderForTests.decode(derived.payload).count == 500)
        #expect(derived.sourceSequence > 0 && derived.sourceSequence <= total)
    }

    @Test("rejections carry a reason and leave the store as it was")
    func rejections() async throws {
        let ticker = ManualTicker()
        let service = ControlStreamService(
            configuration: .init(maxPayloadBytes: 64, statusEveryAcceptedUpdates: 0, ticker: ticker.ticker)
        )
        let updates = [
            update(1, name: "a", version: "5", payload: [1, 2, 3]),
            update(2, name: "a", version: "4"),
            update(3, name: "", version: "6"),
            update(4, kind: "", name: "b", version: "1"),
            update(5, kind: "cluster", name: "big", version: "1", payload: Array(repeating: 0, count: 65)),
            update(6, name: "a", version: "5", payload: [9]),
        ]
        let closeRequests = Signal()
        let (answers, statuses, final) = try await withControlStream(service) { client in
            try await client.sync(
                requestProducer: { writer in
                    for update in updates { try await writer.write(request(update)) }
                    await closeRequests.wait()
                },
                onResponse: { response in
                    var answers: [Stream_V1_SyncResponse] = []
                    var statuses: [Stream_V1_Status] = []
                    var derived: [Stream_V1_DerivedResource] = []
                    for try await message in response.messages {
                        if message.answeredSequence != nil {
                            answers.append(message)
                            if answers.count == updates.count { ticker.tick() }
                        } else if let status = message.status {
                            statuses.append(status)
                            closeRequests.signal()
                        } else if let message = message.derived {
                            derived.append(message)
                        }
                    }
                    #expect(derived.count == 1)
                    #expect(
                        derived.first.map { String(decoding: $0.payload, as: UTF8.self) }
                            == #"{"count":1,"routes":[{"bytes":3,"name":"a","version":"5"}]}"#)
                    return (answers, statuses, statuses.last)
                }
            )
        }
        #expect(answers.map { $0.ack != nil } == [true, false, false, false, false, true])
        let reasons = answers.compactMap(\.rejection).map(\.reason)
        #expect(reasons.count == 4)
        #expect(reasons[0].contains("older than the held version \"5\""))
        #expect(reasons[1].contains("name is empty"))
        #expect(reasons[2].contains("kind is empty"))
        #expect(reasons[3].contains("65 bytes, over the 64-byte limit"))
        let rejected = try #require(answers[1].rejection)
        #expect(rejected.sequence == 2 && rejected.kind == "route" && rejected.name == "a" && rejected.version == "4")
        // The Status after the tick, and the final one when the requests ended.
        #expect(statuses.count == 2)
        for status in statuses {
            #expect(status.resources == ["route": 1])
            #expect(status.updatesReceived == 6 && status.updatesRejected == 4)
        }
        #expect(final?.message.contains("request stream ended") == true)
    }

    @Test("the host cancelling ends the plugin's handler")
    func hostCancels() async throws {
        let (ends, ended) = AsyncStream.makeStream(of: String.self)
        var configuration = ControlStreamService.Configuration(ticker: .never)
        configuration.onStreamEnd = { error in ended.yield(error.map { "\($0)" } ?? "ok") }
        let service = ControlStreamService(configuration: configuration)
        let never = Signal()
        try await withControlStream(service) { client in
            try await client.sync(
                requestProducer: { writer in
                    try await writer.write(request(update(1, name: "a", version: "1")))
                    await never.wait()  // keeps the request stream open until the RPC is cancelled
                },
                onResponse: { response in
                    for try await message in response.messages where message.ack != nil {
                        return  // returning before the stream ends cancels the RPC
                    }
                }
            )
            var iterator = ends.makeAsyncIterator()
            let end = await iterator.next()
            // The in-process transport shows the handler a cancel as the end of the request stream,
            // so the handler may end with OK (its final Status goes nowhere): what matters is that it ends.
            #expect(end != nil)
        }
        never.signal()
    }

    @Test("the plugin ending the stream ends the host's response stream with a status")
    func pluginEnds() async throws {
        let (ends, ended) = AsyncStream.makeStream(of: String.self)
        var configuration = ControlStreamService.Configuration(ticker: .never)
        configuration.onStreamEnd = { error in ended.yield(error.map { "\($0)" } ?? "ok") }
        let service = ControlStreamService(configuration: configuration)
        let never = Signal()
        let code = try await withControlStream(service) { client in
            try await client.sync(
                requestProducer: { writer in
                    try await writer.write(request(update(1, name: "a", version: "1")))
                    await never.wait()
                },
                onResponse: { response -> RPCError.Code? in
                    do {
                        for try await message in response.messages where message.ack != nil {
                            service.endActiveStreams()
                        }
                        return nil
                    } catch let error as RPCError {
                        return error.code
                    }
                }
            )
        }
        never.signal()
        #expect(code == .unavailable)
        var iterator = ends.makeAsyncIterator()
        let end = await iterator.next()
        #expect(end?.contains("unavailable") == true, "the handler ended with: \(end ?? "nothing")")
    }

    @Test("a host that stops reading stops the plugin reading, without deadlocking its events")
    func backpressure() async throws {
        let capacity = 8
        let total = 2_000
        let ticker = ManualTicker()
        let service = ControlStreamService(
            configuration: .init(statusEveryAcceptedUpdates: 10, ticker: ticker.ticker, responseBufferSize: capacity)
        )
        let pulled = Counter()
        let requests = AsyncThrowingStream<Stream_V1_SyncRequest, any Error> {
            let i = pulled.value.add(1, ordering: .relaxed).newValue
            return i <= total ? request(update(UInt64(i), kind: "cluster", name: "c\(i % 7)", version: "\(i)")) : nil
        }
        let writer = SlowWriter(total: total, pulled: pulled, ticker: ticker)
        try await withServerContextRPCCancellationHandle { cancellation in
            let context = ServerContext(
                descriptor: Stream_V1_ControlStream.Method.Sync.descriptor,
                remotePeer: "test",
                localPeer: "test",
                cancellation: cancellation
            )
            try await service.sync(
                request: RPCAsyncSequence(wrapping: requests),
                response: RPCWriter(wrapping: writer),
                context: context
            )
        }
        let summary = writer.summary.withLock { $0 }
        #expect(summary.answers == total)
        #expect(summary.events > total / 10)  // events kept flowing while the queue was full
        // Never more requests taken than answers written, plus what the queue holds, plus one
        // waiting to be queued and one being written.
        #expect(summary.mostAhead <= capacity + 2, "the reader ran \(summary.mostAhead) requests ahead")
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// A writer that yields a few times per response (a slow host) and records how far the reader ran ahead.
    final class SlowWriter: RPCWriterProtocol, Sendable {
        struct Summary { var answers = 0, events = 0, mostAhead = 0 }
        let summary = Mutex(Summary())
        let total: Int
        let pulled: Counter
        let ticker: ManualTicker

        init(total: Int, pulled: Counter, ticker: ManualTicker) {
            self.total = total
            self.pulled = pulled
            self.ticker = ticker
        }

        func write(_ element: Stream_V1_SyncResponse) async throws {
            for _ in 0..<20 { await Task.yield() }
            summary.withLock { summary in
                if element.answeredSequence != nil { summary.answers += 1 } else { summary.events += 1 }
                let ahead = min(pulled.value.load(ordering: .relaxed), total) - summary.answers
                summary.mostAhead = max(summary.mostAhead, ahead)
                if summary.answers % 100 == 0 { ticker.tick() }
            }
        }

        func write(contentsOf elements: some Sequence<Stream_V1_SyncResponse>) async throws {
            for element in elements { try await write(element) }
        }
    }
}
