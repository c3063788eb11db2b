#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A timestamp in hclog's JSON layout, `2006-01-02T15:04:05.000000Z07:00`.
///
/// Exactly six fractional digits, then `Z` or `±hh:mm`. Parsing is strict, as Go's `time.Parse` with that
/// layout is: a timestamp that does not fit makes a go-plugin host treat the whole log line as plain text.
package struct HCLogTimestamp: Hashable, Sendable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    package var microsecondsSince1970: Int64
    /// The UTC offset the text carried, in minutes east of UTC; `0` formats as `Z`.
    package var utcOffsetMinutes: Int

    /// Creates a timestamp for an instant, shown at the given UTC offset.
    package init(microsecondsSince1970: Int64, utcOffsetMinutes: Int = 0) {
        self.microsecondsSince1970 = microsecondsSince1970
        self.utcOffsetMinutes = utcOffsetMinutes
    }

    /// The current time in UTC, with microsecond resolution.
    package static func now() -> Self {
        let seconds = Date().timeIntervalSince1970
        return Self(microsecondsSince1970: Int64((seconds * 1_000_000).rounded(.down)))
    }

    /// The text in hclog's layout, for example `2026-11-21T22:26:07.152518Z`.
    package var description: String {
        let local = self.microsecondsSince1970 + Int64(self.utcOffsetMinutes) * 60_000_000
        let (days, microsecondOfDay) = local.floorDivided(by: 86_400_000_000)
        let date = CivilDate(daysSince1970: days)
        let seconds = Int(microsecondOfDay / 1_000_000)
        var text = DigitWriter()
        text.write(date.year, width: 4, then: "-")
        text.write(date.month, width: 2, then: "-")
        text.write(date.day, width: 2, then: "T")
        text.write(seconds / 3600, width: 2, then: ":")
        text.write(seconds / 60 % 60, width: 2, then: ":")
        text.write(seconds % 60, width: 2, then: ".")
        text.write(Int(microsecondOfDay % 1_000_000), width: 6, then: nil)
        if self.utcOffsetMinutes == 0 {
            text.bytes.append(UInt8(ascii: "Z"))
        } else {
            let offset = abs(self.utcOffsetMinutes)
            text.bytes.append(UInt8(ascii: self.utcOffsetMinutes < 0 ? "-" : "+"))
            text.write(offset / 60, width: 2, then: ":")
            text.write(offset % 60, width: 2, then: nil)
        }
        return String(decoding: text.bytes, as: UTF8.self)
    }
}

/// Appends zero-padded decimal numbers to a byte buffer, without Foundation formatting.
struct DigitWriter {
    var bytes: [UInt8] = []

    init() { self.bytes.reserveCapacity(32) }

    mutating func write(_ value: Int, width: Int, then separator: Unicode.Scalar?) {
        var digits: [UInt8] = []
        var rest = Swift.max(value, 0)
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        self.bytes.append(contentsOf: digits.reversed())
        if let separator { self.bytes.append(UInt8(ascii: separator)) }
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity, and the non-negative remainder.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = self.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
