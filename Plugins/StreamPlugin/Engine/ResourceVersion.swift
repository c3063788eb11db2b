/// How the stream plugin orders resource versions.
///
/// Two versions that are both non-empty runs of ASCII digits compare as unsigned integers of any
/// length (`"10"` is newer than `"9"`, and `"007"` equals `"7"`). Any other pair compares byte by
/// byte on its UTF-8 form (`"v10"` is older than `"v9"`, and `""` is older than everything else).
package enum ResourceVersion {
    /// Orders `lhs` against `rhs`: negative when `lhs` is older, zero when equal, positive when newer.
    package static func compare(_ lhs: String, _ rhs: String) -> Int {
        if let left = digits(lhs), let right = digits(rhs) {
            if left.count != right.count { return left.count < right.count ? -1 : 1 }
            return lexical(left, right)
        }
        return lexical(Substring(lhs).utf8, Substring(rhs).utf8)
    }

    /// The digits of `version` without leading zeros, or `nil` when it is not a run of digits.
    private static func digits(_ version: String) -> Substring.UTF8View? {
        let utf8 = version.utf8
        guard !utf8.isEmpty, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        let significant = utf8.firstIndex { $0 != UInt8(ascii: "0") } ?? utf8.endIndex
        return Substring(version)[significant...].utf8
    }

    private static func lexical(_ lhs: Substring.UTF8View, _ rhs: Substring.UTF8View) -> Int {
        if lhs.elementsEqual(rhs) { return 0 }
        return lhs.lexicographicallyPrecedes(rhs) ? -1 : 1
    }
}
