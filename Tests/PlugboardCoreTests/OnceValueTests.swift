import PlugboardCore
import Synchronization
import Testing

@Suite("OnceValue")
struct OnceValueTests {
    @Test("a value set while tasks wait wakes every one of them, with or without a timeout")
    func setWakesWaiters() async {
        let value = OnceValue<Int>()
        async let untimed = value.wait()
        async let timed = value.wait(timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(50))
        #expect(value.set(7))
        #expect(!value.set(8), "a second set is ignored")
        let started = ContinuousClock.now
        #expect(await untimed == 7)
        #expect(await timed == 7)
        #expect(ContinuousClock.now - started < .seconds(20), "woken by the value, not by the 60 s timeout")
    }

    @Test("a value set before the wait is returned at once")
    func alreadySet() async {
        let value = OnceValue<String>()
        value.set("done")
        #expect(await value.wait(timeout: .zero) == "done")
        #expect(await value.wait() == "done")
    }

    @Test("the timeout returns nil, no sooner than asked, and a later set still reaches new waiters")
    func timeout() async {
        let value = OnceValue<Int>()
        let started = ContinuousClock.now
        #expect(await value.wait(timeout: .milliseconds(100)) == nil)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(100))
        #expect(waited < .seconds(20))
        value.set(1)
        #expect(await value.wait(timeout: .seconds(60)) == 1)
    }

    @Test("a cancelled wait returns nil without waiting for its timeout")
    func cancellation() async {
        let value = OnceValue<Int>()
        let waiter = Task { await value.wait(timeout: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("whenSet runs on the setter's thread before waiters wake, once; registered after the set, at once")
    func whenSet() async {
        let value = OnceValue<Int>()
        let seen = Mutex<[String]>([])
        value.whenSet { number in seen.withLock { $0.append("first \(number)") } }
        value.whenSet { number in seen.withLock { $0.append("second \(number)") } }
        #expect(seen.withLock { $0 }.isEmpty, "ran before the value was set")
        async let waited = value.wait()
        try? await Task.sleep(for: .milliseconds(50))
        value.set(3)
        // `set` returned: the actions ran in it, on this thread, whether or not the waiter woke yet.
        #expect(seen.withLock { $0 } == ["first 3", "second 3"])
        value.set(4)
        #expect(seen.withLock { $0 } == ["first 3", "second 3"], "a second set ran the actions again")
        #expect(await waited == 3)
        value.whenSet { number in seen.withLock { $0.append("late \(number)") } }
        #expect(seen.withLock { $0 } == ["first 3", "second 3", "late 3"])
    }
}
