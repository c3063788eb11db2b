public import GRPCCore
import Synchronization
public import Tracing

/// The metadata a host adds to every call it makes to a plugin.
public enum CallMetadata {
    /// The call's request id, the same in the host's and the plugin's log lines.
    public static let requestIDKey = "plugboard-request-id"

    /// The gRPC status code a call ended with, as metrics and log lines name it: `ok` without an
    /// error, `unknown` for an error that is not an `RPCError`.
    static func statusCodeName(_ error: (any Error)?) -> String {
        error.map { "\(($0 as? RPCError)?.code ?? .unknown)" } ?? "ok"
    }

    /// A new request id: 16 lower-case hex digits, never the same twice in a process and
    /// unrelated across processes. It costs no system call: a random seed, taken once, plus a
    /// count, through a bijective mix (splitmix64's finalizer).
    public static func newRequestID() -> String {
        var value = RequestIDs.seed &+ RequestIDs.count.wrappingAdd(1, ordering: .relaxed).oldValue
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        value ^= value >> 31
        return String(unsafeUninitializedCapacity: 16) { digits in
            for index in (0..<16).reversed() {
                let digit = UInt8(value & 0xF)
                digits[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                value >>= 4
            }
            return 16
        }
    }
}

/// The state behind ``CallMetadata/newRequestID()``.
private enum RequestIDs {
    static let seed = UInt64.random(in: .min ... .max)
    static let count = Atomic<UInt64>(0)
}

/// Writes a span context into a call's metadata (whatever keys the tracer uses: `traceparent`
/// for OpenTelemetry).
public struct MetadataInjector: Injector {
    public init() {}

    public func inject(_ value: String, forKey key: String, into metadata: inout Metadata) {
        metadata.replaceOrAddString(value, forKey: key)
    }
}

/// Reads a span context from a call's metadata.
public struct MetadataExtractor: Extractor {
    public init() {}

    public func extract(key: String, from metadata: Metadata) -> String? {
        metadata[stringValues: key].first(where: { _ in true })
    }
}
