public import GRPCCore
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

    /// A new request id: 16 lower-case hex digits, random.
    public static func newRequestID() -> String {
        var value = UInt64.random(in: .min ... .max)
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
