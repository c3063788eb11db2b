/// A reproducible random number generator (SplitMix64), so failing cases can be replayed by seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A value of an integer type, often at the edges of its range.
    public mutating func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T {
        switch UInt8.random(in: 0..<8, using: &self) {
        case 0: return .min
        case 1: return .max
        case 2: return 0
        case 3: return T(truncatingIfNeeded: Int.random(in: -100...100, using: &self))
        default: return T.random(in: .min ... .max, using: &self)
        }
    }

    /// A finite floating-point value (NaN never equals itself, so it cannot round-trip by `==`).
    public mutating func finite<T: BinaryFloatingPoint>(_ type: T.Type = T.self) -> T
    where T.RawSignificand: FixedWidthInteger {
        switch UInt8.random(in: 0..<6, using: &self) {
        case 0: return 0
        case 1: return T.greatestFiniteMagnitude * (Bool.random(using: &self) ? 1 : -1)
        case 2: return T.leastNonzeroMagnitude
        default: return T.random(in: -1e6...1e6, using: &self)
        }
    }

    /// A string of ASCII, accented, CJK and emoji characters, never containing NUL.
    public mutating func text(maxLength: Int = 12) -> String {
        let alphabet = Array("abcXYZ 019_-/\\\"'\n\téüß漢字🙂🚀")
        return String(
            (0..<Int.random(in: 0...maxLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }

    /// Bytes of any value, NUL included.
    public mutating func bytes(maxLength: Int = 16) -> [UInt8] {
        (0..<Int.random(in: 0...maxLength, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// Between zero and `max` elements made by `make`.
    public mutating func array<T>(max: Int = 4, _ make: (inout Self) -> T) -> [T] {
        (0..<Int.random(in: 0...max, using: &self)).map { _ in make(&self) }
    }

    public mutating func chance(_ oneIn: Int) -> Bool { Int.random(in: 0..<oneIn, using: &self) == 0 }
}
