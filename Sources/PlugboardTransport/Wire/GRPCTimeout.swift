internal import GRPCCore

extension Metadata {
    /// The call's deadline from now, from its `grpc-timeout` (one to seven digits and a unit: `H`,
    /// `M`, `S`, `m`, `u` or `n`); `nil` when there is none or it is malformed, as GRPCCore reads it.
    var grpcTimeout: Duration? {
        guard let value = self[stringValues: "grpc-timeout"].first(where: { _ in true }) else { return nil }
        let digits = value.utf8.dropLast()
        guard let unit = value.utf8.last, (1...7).contains(digits.count),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let amount = Int64(Substring(digits))
        else { return nil }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }
}
