import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import PlugboardTransport

/// One timer per connection times every call's deadline.
@Suite("Call deadlines")
struct CallDeadlinesTests {
    @Test("each deadline runs its action once, in order, an earlier one added later included; a settled one never runs")
    func order() async throws {
        let deadlines = CallDeadlines(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let ran = Mutex<[String]>([])
        let start = ContinuousClock.now
        func add(_ name: String, after milliseconds: Int) -> CallDeadlines.Entry {
            deadlines.add(at: start + .milliseconds(milliseconds)) {
                #expect(ContinuousClock.now >= start + .milliseconds(milliseconds), "\(name) ran early")
                ran.withLock { $0.append(name) }
            }
        }
        let late = add("late", after: 300)
        _ = add("early", after: 50)  // earlier than the armed timer: re-arms
        let settled = add("settled", after: 100)
        _ = add("middle", after: 150)
        settled.settle()
        // Each action checks it ran no earlier than its deadline; how late a busy machine runs
        // them doesn't matter here, only which ran, and in what order.
        try await waitUntil { ran.withLock { $0.count } >= 3 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(ran.withLock { $0 } == ["early", "middle", "late"])
        late.settle()  // after it ran: nothing more happens
        _ = add("past", after: 0)  // already passed: runs at once
        try await waitUntil { ran.withLock { $0.count } >= 4 }
        #expect(ran.withLock { $0 } == ["early", "middle", "late", "past"])
    }

    /// Polls `condition` every 10 ms for up to 20 s.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let giveUp = ContinuousClock.now + .seconds(20)
        while !condition() {
            try #require(ContinuousClock.now < giveUp, "timed out")
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
