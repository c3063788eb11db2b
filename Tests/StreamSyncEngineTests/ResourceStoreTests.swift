import StreamServiceSet
import StreamSyncEngine
import Testing

@Suite("ResourceStore")
struct ResourceStoreTests {
    @Test(
        "versions compare as integers when both are digits, else byte by byte",
        arguments: [
            ("9", "10", -1), ("10", "9", 1), ("007", "7", 0), ("5", "5", 0),
            ("123456789012345678901234567890", "99", 1), ("v9", "v10", 1), ("a", "b", -1),
            ("", "1", -1), ("1", "1a", -1), ("2024-01-02", "2024-01-10", -1),
        ]
    )
    func versionOrder(lhs: String, rhs: String, expected: Int) {
        #expect(ResourceVersion.compare(lhs, rhs) == expected)
        #expect(ResourceVersion.compare(rhs, lhs) == -expected)
    }

    @Test("sets, keeps newer versions, and acks the held version without change")
    func setAndVersions() {
        var store = ResourceStore()
        let outcome1 = store.apply(update(1, name: "a", version: "9", payload: [1]))
        #expect(outcome1 == .stored)
        let outcome2 = store.apply(update(2, name: "a", version: "10", payload: [2]))
        #expect(outcome2 == .stored)
        #expect(store.resource(kind: "route", name: "a") == StoredResource(version: "10", payload: [2]))
        let outcome3 = store.apply(update(3, name: "a", version: "10", payload: [3]))
        #expect(outcome3 == .unchanged)
        #expect(store.resource(kind: "route", name: "a")?.payload == [2])
        let outcome4 = store.apply(update(4, kind: "cluster", name: "a", version: "1"))
        #expect(outcome4 == .stored)
        #expect(store.counts == ["route": 1, "cluster": 1])
    }

    @Test("rejects stale versions, empty kinds and names, and oversized payloads, changing nothing")
    func rejections() throws {
        var store = ResourceStore(limits: .init(maxPayloadBytes: 4))
        let outcome5 = store.apply(update(1, name: "a", version: "5", payload: [1, 2, 3, 4]))
        #expect(outcome5 == .stored)
        let before = store.resourcesByKind
        let cases: [(Stream_V1_ResourceUpdate, String)] = [
            (update(2, name: "a", version: "4"), "older than the held version \"5\""),
            (update(3, name: "a", version: "4", delete: true), "older than the held version \"5\""),
            (update(4, name: "", version: "6"), "name is empty"),
            (update(5, kind: "", name: "a", version: "6"), "kind is empty"),
            (update(6, name: "a", version: "6", payload: [1, 2, 3, 4, 5]), "5 bytes, over the 4-byte limit"),
        ]
        for (update, expected) in cases {
            let outcome = store.apply(update)
            guard case .rejected(let reason) = outcome else {
                Issue.record("update \(update.sequence) was not rejected: \(outcome)")
                continue
            }
            #expect(reason.contains(expected), "reason: \(reason)")
            #expect(store.resourcesByKind == before)
        }
    }

    @Test("deletes at the held version or newer; deleting what is not held is acked; no tombstones")
    func deletes() {
        var store = ResourceStore(limits: .init(maxPayloadBytes: 1))
        let outcome6 = store.apply(update(1, name: "a", version: "3"))
        #expect(outcome6 == .stored)
        let outcome7 = store.apply(update(2, name: "a", version: "3", payload: [1, 2, 3], delete: true))
        #expect(outcome7 == .deleted)
        #expect(store.resource(kind: "route", name: "a") == nil)
        #expect(store.counts.isEmpty)
        let outcome8 = store.apply(update(3, name: "missing", version: "1", delete: true))
        #expect(outcome8 == .deleted)
        let outcome9 = store.apply(update(4, name: "a", version: "1"))
        #expect(outcome9 == .stored)
    }

    @Test("the route index lists routes sorted by name as JSON")
    func routeIndex() throws {
        let index = RouteIndex(
            routes: [
                "b": StoredResource(version: "1", payload: []), "a": StoredResource(version: "3", payload: [0, 1]),
            ],
            generation: 4,
            sourceSequence: 17
        )
        let text = String(decoding: index.payload, as: UTF8.self)
        #expect(
            text == #"{"count":2,"routes":[{"bytes":2,"name":"a","version":"3"},{"bytes":0,"name":"b","version":"1"}]}"#
        )
        let derived = index.derivedResource
        #expect(derived.kind == "route-index" && derived.name == "routes")
        #expect(derived.version == "4" && derived.sourceSequence == 17)
    }
}
