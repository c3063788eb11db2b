import PlugboardCore
import Testing

@Suite("Duration in whole nanoseconds")
struct DurationFractionsTests {
    @Test("nanoseconds are exact in range and saturate beyond what an Int64 holds")
    func nanoseconds() {
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(-7).nanoseconds == -7)
        #expect(Duration.seconds(9_999_999 * 3600).nanoseconds == .max)
        #expect(Duration.seconds(-9_999_999 * 3600).nanoseconds == .min)
        #expect((Duration.seconds(Int64.max / 1_000_000_000) + .seconds(1)).nanoseconds == .max)
    }
}
