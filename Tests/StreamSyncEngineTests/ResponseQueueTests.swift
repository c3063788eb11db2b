import StreamSyncEngine
import Testing

@Suite("ResponseQueue")
struct ResponseQueueTests {
    @Test("hands elements over in order, waiting for room when full")
    func order() async throws {
        let queue = ResponseQueue<Int>(capacity: 2)
        async let sent: Void = {
            for i in 1...50 { try await queue.send(i) }
            queue.finish()
        }()
        var received: [Int] = []
        while let i = try await queue.next() { received.append(i) }
        try await sent
        #expect(received == Array(1...50))
    }

    @Test("fail wakes a waiting consumer and producer and drops what is held")
    func failure() async throws {
        struct Boom: Error {}
        let queue = ResponseQueue<Int>(capacity: 1)
        try await queue.send(1)
        let blockedSender = Task { try await queue.send(2) }  // waits: the queue is full
        let consumerQueue = ResponseQueue<Int>(capacity: 1)
        let blockedConsumer = Task { try await consumerQueue.next() }  // waits: the queue is empty
        queue.fail(Boom())
        consumerQueue.fail(Boom())
        await #expect(throws: Boom.self) { try await blockedSender.value }
        await #expect(throws: Boom.self) { try await blockedConsumer.value }
        await #expect(throws: Boom.self) { try await queue.next() }
    }

    @Test("cancelling a waiting consumer fails the queue")
    func cancellation() async throws {
        let queue = ResponseQueue<Int>(capacity: 1)
        let consumer = Task { try await queue.next() }
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
        await #expect(throws: CancellationError.self) { try await queue.send(1) }
    }

    @Test("finish lets the consumer drain, then ends")
    func finish() async throws {
        let queue = ResponseQueue<Int>(capacity: 4)
        try await queue.send(1)
        try await queue.send(2)
        queue.finish()
        #expect(try await queue.next() == 1)
        #expect(try await queue.next() == 2)
        #expect(try await queue.next() == nil)
    }
}
