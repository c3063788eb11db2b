import GRPCCore
import NIOCore
import PlugboardTransport
import Testing

@Suite("MessageDeframer")
struct MessageDeframerTests {
    private func frame(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        let count = UInt32(payload.count)
        return [compressed ? 1 : 0] + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) } + payload
    }

    @Test("Whole and split messages come out intact with credit accounted exactly once")
    func splitAndWhole() throws {
        var deframer = MessageDeframer(maxMessageSize: 100)
        let wire = frame([1, 2, 3]) + frame([]) + frame(Array(repeating: 9, count: 20))
        var messages: [[UInt8]] = []
        var credit = 0
        // Feed the bytes in awkward chunks.
        for chunk in stride(from: 0, to: wire.count, by: 4).map({ Array(wire[$0..<min($0 + 4, wire.count)]) }) {
            credit += try deframer.process(ByteBuffer(bytes: chunk)) { message, deferred in
                messages.append(Array(message.readableBytesView))
                credit += deferred
            }
        }
        #expect(messages == [[1, 2, 3], [], Array(repeating: 9, count: 20)])
        #expect(credit == wire.count)
        #expect(!deframer.hasPartialMessage)
    }

    @Test("Oversized messages are refused from their prefix alone")
    func tooLarge() {
        var deframer = MessageDeframer(maxMessageSize: 10)
        #expect(throws: MessageDeframer.Failure.tooLarge(size: 11, limit: 10)) {
            _ = try deframer.process(ByteBuffer(bytes: self.frame(Array(repeating: 0, count: 11)).prefix(5))) { _, _ in
            }
        }
    }

    @Test("Compressed messages are refused with a clear status")
    func compressed() {
        var deframer = MessageDeframer(maxMessageSize: 10)
        #expect(throws: MessageDeframer.Failure.compressed) {
            _ = try deframer.process(ByteBuffer(bytes: self.frame([1], compressed: true))) { _, _ in }
        }
        #expect(MessageDeframer.Failure.compressed.status.code == .internalError)
        let status = MessageDeframer.Failure.tooLarge(size: 11, limit: 10).status
        #expect(status.code == .resourceExhausted && status.message.contains("11") && status.message.contains("10"))
    }
}

@Suite("InboundBufferStateMachine")
struct InboundBufferStateMachineTests {
    typealias Machine = InboundBufferStateMachine<Int, String>

    @Test("Buffered parts are returned without parking, credit is batched")
    func fastPath() {
        var machine = Machine(creditBatch: 10)
        guard case .buffered = machine.receive(1, credit: 6) else { Issue.record("not buffered"); return }
        guard case .buffered = machine.receive(2, credit: 6) else { Issue.record("not buffered"); return }
        guard case .part(1, credit: 0) = machine.next(parking: nil) else { Issue.record("expected 1"); return }
        guard case .part(2, credit: 12) = machine.next(parking: nil) else { Issue.record("expected 2"); return }
        guard case .empty = machine.next(parking: nil) else { Issue.record("expected empty"); return }
    }

    @Test("A parked reader is handed the next part directly")
    func parked() {
        var machine = Machine(creditBatch: 1)
        guard case .parked = machine.next(parking: "reader") else { Issue.record("not parked"); return }
        guard case .resume("reader", 7, credit: 3) = machine.receive(7, credit: 3) else {
            Issue.record("not resumed")
            return
        }
    }

    @Test("The end comes after buffered parts; a failure drops them")
    func ending() {
        var machine = Machine(creditBatch: 1)
        _ = machine.receive(1, credit: 0)
        let parked = machine.finish(.finished)
        #expect(parked == nil)
        guard case .part(1, _) = machine.next(parking: nil) else { Issue.record("expected 1"); return }
        guard case .finished = machine.next(parking: nil) else { Issue.record("expected end"); return }
        guard case .dropped = machine.receive(2, credit: 0) else { Issue.record("expected drop"); return }

        var failing = Machine(creditBatch: 1)
        _ = failing.receive(1, credit: 0)
        _ = failing.fail(RPCError(code: .cancelled, message: "reset"))
        guard case .failed = failing.next(parking: nil) else { Issue.record("expected failure"); return }
    }

    @Test("Cancelling a parked reader unparks it once")
    func cancel() {
        var machine = Machine(creditBatch: 1)
        _ = machine.next(parking: "reader")
        let first = machine.cancelWaiter()
        let second = machine.cancelWaiter()
        let atEnd = machine.finish(.finished)
        #expect(first == "reader" && second == nil && atEnd == nil)
    }
}

@Suite("ClientConnectionStateMachine")
struct ClientConnectionStateMachineTests {
    typealias Machine = ClientConnectionStateMachine<String, String>

    @Test("Calls wait for the first connection, then use it")
    func firstConnection() {
        var machine = Machine()
        guard case .wait(let id) = machine.openStream(waitForReady: nil, waiter: "call"), id >= 0 else {
            Issue.record("expected wait")
            return
        }
        let woken = machine.connected("conn")
        #expect(woken == ["call"])
        guard case .use("conn") = machine.openStream(waitForReady: nil, waiter: nil) else {
            Issue.record("expected use")
            return
        }
        #expect(machine.activeStreams == 2)
    }

    @Test("After a failed attempt, only wait-for-ready calls wait")
    func failure() {
        var machine = Machine()
        _ = machine.openStream(waitForReady: nil, waiter: "fast")
        _ = machine.openStream(waitForReady: true, waiter: "patient")
        let failed = machine.disconnected(RPCError(code: .unavailable, message: "down"))
        #expect(failed == ["fast"])
        guard case .fail(let error) = machine.openStream(waitForReady: false, waiter: nil) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.code == .unavailable)
        let woken = machine.connected("conn")
        #expect(woken == ["patient"])
    }

    @Test("Graceful shutdown refuses new streams and closes after the last one")
    func shutdown() {
        var machine = Machine()
        _ = machine.connected("conn")
        _ = machine.openStream(waitForReady: nil, waiter: nil)
        let closing = machine.close()
        #expect(closing.closeNow == false)
        guard case .fail(let error) = machine.openStream(waitForReady: true, waiter: "late") else {
            Issue.record("expected failure")
            return
        }
        #expect(error.code == .failedPrecondition)
        let closeNow = machine.streamFinished()
        #expect(closeNow)
    }
}

@Suite("Header encodings")
struct HeaderEncodingTests {
    @Test("grpc-message percent-encoding round-trips", arguments: ["plain", "100% sure", "héllo\nworld", ""])
    func percent(message: String) {
        let encoded = PercentEncoding.encode(message)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
        #expect(PercentEncoding.decode(Substring(encoded)) == message)
    }
}
