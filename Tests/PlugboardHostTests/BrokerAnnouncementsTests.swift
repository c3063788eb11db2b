import GoPluginProtos
import PlugboardBroker
import PlugboardCore
import Testing

/// The broker's table of announcements, and what a dial makes of a bad one.
@Suite("Broker announcements")
struct BrokerAnnouncementsTests {
    typealias Table = BrokerAnnouncements<String, String>
    let now = ContinuousClock.now

    @Test("an announcement is claimed by one dial; a second dial for the same id waits")
    func claimedOnce() {
        var table = Table()
        #expect(table.announced(1, "socket-1", at: self.now) == nil, "nobody waits yet: kept")
        guard case .use("socket-1") = table.claim(1, waiter: "first", at: self.now) else {
            Issue.record("the kept announcement is used")
            return
        }
        guard case .wait = table.claim(1, waiter: "second", at: self.now) else {
            Issue.record("the announcement was used up; a second dial waits")
            return
        }
    }

    @Test("a waiting dial is resumed by the announcement; an abandoned one is not")
    func waiting() {
        var table = Table()
        guard case .wait(let first) = table.claim(7, waiter: "first", at: self.now),
            case .wait(let second) = table.claim(7, waiter: "second", at: self.now)
        else {
            Issue.record("no announcement yet: both dials wait")
            return
        }
        #expect(table.abandon(7, token: first) == "first", "the first gave up (its deadline)")
        #expect(table.abandon(7, token: first) == nil, "abandoning twice returns nothing")
        #expect(table.announced(7, "socket-7", at: self.now) == "second", "the one still waiting gets it")
        #expect(table.abandon(7, token: second) == nil, "already resumed")
    }

    @Test("announcements nobody claims are forgotten after 5 s, as go-plugin does")
    func expiry() {
        var table = Table()
        _ = table.announced(3, "socket-3", at: self.now)
        let later = self.now + Table.unclaimedLifetime + .milliseconds(1)
        guard case .wait = table.claim(3, waiter: "late", at: later) else {
            Issue.record("a stale announcement was used")
            return
        }
    }

    @Test("closing fails every waiting dial and refuses new ones")
    func closing() {
        var table = Table()
        _ = table.claim(1, waiter: "a", at: self.now)
        _ = table.claim(2, waiter: "b", at: self.now)
        #expect(Set(table.close()) == ["a", "b"])
        guard case .closed = table.claim(1, waiter: "c", at: self.now) else {
            Issue.record("a closed table takes no dials")
            return
        }
        #expect(table.announced(1, "socket", at: self.now) == nil)
    }

    @Test(
        "a peer's announcement Plugboard cannot dial is a clear error naming it, and nothing is dialled",
        arguments: [
            ("tcp", "127.0.0.1:4321"), ("unix", "relative/plugin.sock"),
            ("unix", "/" + String(repeating: "d", count: 120)),
        ]
    )
    func malformed(network: String, address: String) async throws {
        let broker = PluginBroker(
            peer: .plugin(name: "kv", path: "/bin/kv"), socketDirectory: "/tmp", tls: nil, dialCheck: nil)
        broker.received(
            .with {
                $0.serviceId = 5; $0.network = network; $0.address = address
            })
        let error = await #expect(throws: PluginError.self) {
            try await broker.withClient(id: 5, timeout: .seconds(1)) { _ in }
        }
        #expect(error?.code == .invalidBrokerAnnouncement)
        #expect(error?.pluginName == "kv" && error?.executablePath == "/bin/kv")
        #expect(
            error?.message.contains(network) == true && error?.message.contains("broker id 5") == true,
            "\(error?.message ?? "")")
        broker.close()
    }

    @Test("a dial on a closed broker fails at once with brokerClosed")
    func closedBroker() async throws {
        let broker = PluginBroker(peer: .host, socketDirectory: "/tmp", tls: nil, dialCheck: nil)
        broker.close()
        let started = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await broker.withClient(id: 1, timeout: .seconds(60)) { _ in }
        }
        #expect(error?.code == .brokerClosed)
        #expect(ContinuousClock.now - started < .seconds(20), "not after the 60 s timeout")
        let serveError = await #expect(throws: PluginError.self) { try await broker.serve(id: 1, services: []) }
        #expect(serveError?.code == .brokerClosed)
    }
}
