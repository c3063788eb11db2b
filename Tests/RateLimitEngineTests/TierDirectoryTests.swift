import Logging
import RateLimitEngine
import Synchronization
import Testing

/// A directory asks its source once per key, remembers a bounded number of answers, and turns
/// failures into unscaled checks that are asked about again later.
@Suite("Tier directories")
struct TierDirectoryTests {
    func directory(
        _ source: StubTierSource, policy: TierPolicy = TierPolicy(), clock: FakeClock = FakeClock(),
        logs: CapturedLogs = CapturedLogs(), statistics: TierStatistics = TierStatistics()
    ) -> TierDirectory {
        TierDirectory(id: 7, source: source, policy: policy, clock: clock, logger: logs.logger, statistics: statistics)
    }

    @Test("each key is asked about once, and its answer remembered")
    func remembers() async {
        let source = StubTierSource.premium()
        let statistics = TierStatistics()
        let directory = self.directory(source, statistics: statistics)
        #expect(await directory.tier(of: "premium-1") == .known(Tier(name: "premium", multiplier: 10)))
        #expect(await directory.tier(of: "client") == .known(Tier(name: "standard", multiplier: 1)))
        #expect(await directory.tier(of: "premium-1") == .known(Tier(name: "premium", multiplier: 10)))
        #expect(source.asked == ["premium-1", "client"])
        #expect(statistics.counts == (2, 0))
        #expect(directory.rememberedKeys == 2)
    }

    @Test("a multiplier of 0 is 1")
    func zeroMultiplier() async {
        let directory = self.directory(StubTierSource { _ in Tier(name: "free", multiplier: 0) })
        #expect(await directory.tier(of: "k").multiplier == 1)
    }

    @Test("at most `capacity` answers are held; the least recently used is forgotten and asked again")
    func bounded() async {
        let source = StubTierSource.premium()
        let directory = self.directory(source, policy: TierPolicy(capacity: 2))
        for key in ["a", "b", "a", "c"] { _ = await directory.tier(of: key) }  // c pushes out b, not a
        #expect(directory.rememberedKeys == 2)
        _ = await directory.tier(of: "a")
        _ = await directory.tier(of: "b")
        #expect(source.asked == ["a", "b", "c", "b"])
    }

    @Test("a failed lookup is unavailable until `retryAfter`, counted, and logged once per directory")
    func failures() async {
        let down = Atomic<Bool>(true)
        let source = StubTierSource { key in
            if down.load(ordering: .relaxed) { throw DirectoryDown() }
            return Tier(name: "premium", multiplier: 10)
        }
        let clock = FakeClock()
        let logs = CapturedLogs()
        let statistics = TierStatistics()
        let directory = self.directory(
            source, policy: TierPolicy(retryAfter: .seconds(1)), clock: clock, logs: logs, statistics: statistics)
        #expect(await directory.tier(of: "k") == .unavailable)
        #expect(await directory.tier(of: "j") == .unavailable)
        #expect(await directory.tier(of: "k") == .unavailable)
        #expect(source.asked == ["k", "j"], "a failed key is not asked again at once")
        #expect(logs.messages(atLeast: .warning).count == 1)
        #expect(logs.messages(atLeast: .warning).first?.contains("tier lookup failed") == true)

        down.store(false, ordering: .relaxed)
        clock.advance(milliseconds: 999)
        #expect(await directory.tier(of: "k") == .unavailable)
        clock.advance(milliseconds: 1)
        #expect(await directory.tier(of: "k") == .known(Tier(name: "premium", multiplier: 10)))
        #expect(source.asked == ["k", "j", "k"])
        #expect(statistics.counts == (1, 2))
    }

    @Test("close closes the source once; a lookup that fails after it is neither counted nor logged")
    func close() async {
        let source = StubTierSource { _ in throw DirectoryDown() }
        let logs = CapturedLogs()
        let statistics = TierStatistics()
        let directory = self.directory(source, logs: logs, statistics: statistics)
        directory.close()
        directory.close()
        #expect(source.closed == 1)
        #expect(await directory.tier(of: "k") == .unavailable)
        #expect(statistics.counts == (0, 0) && logs.messages(atLeast: .warning).isEmpty)
    }
}
