import StreamServiceSet
import StreamSyncEngine
import Testing

@Suite("SyncSession")
struct SyncSessionTests {
    @Test("a Status is due every N accepted updates; rejections do not count")
    func countCadence() {
        var session = SyncSession(cadence: .init(statusEveryAcceptedUpdates: 3))
        let wakes = (1...7).map { i in
            session.receive(update(UInt64(i), kind: "cluster", name: i == 2 ? "" : "c\(i)", version: "1")).wake
        }
        // Update 2 is rejected: accepted updates 3 and 6 are sequences 4 and 7.
        #expect(wakes == [false, false, false, true, false, false, true])
        let events = session.takeEvents().map(\.event)
        #expect(events.count == 1)
        guard case .status(let status)? = events.first?.event else {
            Issue.record("expected a Status, got \(events)")
            return
        }
        #expect(status.resources == ["cluster": 6])
        #expect(status.updatesReceived == 7 && status.updatesRejected == 1)
        let events1 = session.takeEvents()
        #expect(events1.isEmpty)
    }

    @Test("a tick makes a Status due only when updates arrived since the last one")
    func ticks() {
        var session = SyncSession(cadence: .init(statusEveryAcceptedUpdates: 0))
        let due1 = session.tick()
        #expect(!due1)
        let events2 = session.takeEvents()
        #expect(events2.isEmpty)
        _ = session.receive(update(1, kind: "cluster", name: "a", version: "1"))
        let due2 = session.tick()
        #expect(due2)
        let events3 = session.takeEvents()
        #expect(events3.map(\.event.sequence) == [1])
        let due3 = session.tick()
        #expect(!due3)
        _ = session.receive(update(2, kind: "cluster", name: "a", version: "1"))
        let due4 = session.tick()
        #expect(due4)
        let events4 = session.takeEvents()
        #expect(events4.map(\.event.sequence) == [2])
    }

    @Test("route changes publish a route-index before the Status, once per change set")
    func derivedRoutes() throws {
        var session = SyncSession(cadence: .init(statusEveryAcceptedUpdates: 0))
        _ = session.receive(update(1, name: "a", version: "1", payload: [7]))
        _ = session.receive(update(2, name: "b", version: "1"))
        _ = session.receive(update(3, name: "b", version: "1"))  // unchanged: not a route change
        _ = session.receive(update(4, kind: "cluster", name: "c", version: "1"))
        let due5 = session.tick()
        #expect(due5)
        let events = session.takeEvents().map(\.event)
        #expect(events.map(\.sequence) == [1, 2])
        guard case .derived(let derived)? = events.first?.event else {
            Issue.record("expected a DerivedResource first, got \(events)")
            return
        }
        #expect(derived.version == "2" && derived.sourceSequence == 2)
        let document = try JSONDecoderForTests.decode(derived.payload)
        #expect(document.routes.map(\.name) == ["a", "b"])
        _ = session.receive(update(5, kind: "cluster", name: "d", version: "1"))
        let due6 = session.tick()
        #expect(due6)
        #expect(session.takeEvents().count == 1)  // no route change: Status only
    }

    @Test("the end of requests gives one final Status, then nothing")
    func end() {
        var session = SyncSession()
        session.endOfRequests()
        let events5 = session.takeEvents()
        #expect(events5.count == 1)
        #expect(session.isFinished)
        _ = session.receive(update(1, name: "a", version: "1"))
        let due7 = session.tick()
        #expect(!due7)
        let events6 = session.takeEvents()
        #expect(events6.isEmpty)
    }
}
