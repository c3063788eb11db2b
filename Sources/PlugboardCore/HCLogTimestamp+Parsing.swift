extension HCLogTimestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS.ffffff` followed by `Z` or `±hh:mm`; `nil` for anything else.
    ///
    /// Field ranges are checked (month 1–12, a day that exists, hour 0–23, minute and second 0–59,
    /// offset up to 23:59), like Go's `time.Parse`.
    package init?(parsing text: some StringProtocol) {
        var scanner = FixedScanner(bytes: Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
            let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skip("T"),
            let hour = scanner.number(digits: 2), scanner.skip(":"),
            let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2), scanner.skip("."),
            let microsecond = scanner.number(digits: 6),
            let offset = scanner.utcOffsetMinutes(), scanner.isAtEnd
        else { return nil }
        let date = CivilDate(year: year, month: month, day: day)
        guard date.isValid, hour < 24, minute < 60, second < 60 else { return nil }
        let secondOfDay = Int64(hour * 3600 + minute * 60 + second)
        let local = (date.daysSince1970 * 86_400 + secondOfDay) * 1_000_000 + Int64(microsecond)
        self.init(microsecondsSince1970: local - Int64(offset) * 60_000_000, utcOffsetMinutes: offset)
    }
}

/// Reads fixed-width ASCII fields from the front of a byte array.
private struct FixedScanner {
    let bytes: [UInt8]
    var index = 0

    var isAtEnd: Bool { self.index == self.bytes.count }

    mutating func skip(_ expected: Unicode.Scalar) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: expected) else { return false }
        self.index += 1
        return true
    }

    mutating func number(digits: Int) -> Int? {
        guard self.index + digits <= self.bytes.count else { return nil }
        var value = 0
        for byte in self.bytes[self.index..<self.index + digits] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self.index += digits
        return value
    }

    /// `Z` → 0, `+hh:mm` / `-hh:mm` → signed minutes.
    mutating func utcOffsetMinutes() -> Int? {
        if self.skip("Z") { return 0 }
        let sign: Int
        if self.skip("+") {
            sign = 1
        } else if self.skip("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = self.number(digits: 2), self.skip(":"), let minutes = self.number(digits: 2),
            hours < 24, minutes < 60
        else { return nil }
        return sign * (hours * 60 + minutes)
    }
}
