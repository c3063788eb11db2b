package import GRPCCore
package import NIOHPACK
internal import PlugboardCore

/// Header names with a meaning at the HTTP/2 or gRPC level, never sent from user metadata.
private let reservedNames = Set(
    [
        "content-type", "te", "grpc-status", "grpc-message", "grpc-encoding", "grpc-accept-encoding", "host",
    ] + MalformedField.connectionSpecificNames)

/// Metadata whose value is new on every call (a request id, a trace context): indexing it would
/// only push the headers every call repeats out of HPACK's dynamic table, on both sides.
private let perCallNames: Set<String> = ["plugboard-request-id", "traceparent", "tracestate"]

extension HPACKHeaders {
    /// Request headers for a call to `path` (the `/service/method` form); throws if `metadata`
    /// holds a field HTTP/2 forbids.
    package static func grpcRequest(
        path: String, authority: String, metadata: Metadata
    ) throws(MalformedField) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(7 + metadata.count)
        headers.add(name: ":method", value: "POST")
        headers.add(name: ":scheme", value: "http")
        headers.add(name: ":path", value: path)
        headers.add(name: ":authority", value: authority)
        headers.add(name: "content-type", value: "application/grpc")
        headers.add(name: "te", value: "trailers")
        headers.add(name: "user-agent", value: "grpc-swift-plugboard/1.0")
        try headers.addUserMetadata(metadata, skippingUserAgent: true)
        return headers
    }

    /// Response headers that precede the first message; throws if `metadata` holds a field HTTP/2
    /// forbids.
    static func grpcResponse(metadata: Metadata) throws(MalformedField) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(2 + metadata.count)
        headers.add(name: ":status", value: "200")
        headers.add(name: "content-type", value: "application/grpc")
        try headers.addUserMetadata(metadata)
        return headers
    }

    /// Trailers carrying `status` and `metadata`; throws if `metadata` holds a field HTTP/2 forbids.
    static func grpcTrailers(
        status: Status, metadata: Metadata, trailersOnly: Bool
    ) throws(MalformedField) -> HPACKHeaders {
        var headers = Self.grpcTrailers(status: status, trailersOnly: trailersOnly, reserving: metadata.count)
        try headers.addUserMetadata(metadata)
        return headers
    }

    /// Trailers carrying `status`; `trailersOnly` adds the response-header fields too.
    static func grpcTrailers(status: Status, trailersOnly: Bool, reserving extra: Int = 0) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(4 + extra)
        if trailersOnly {
            headers.add(name: ":status", value: "200")
            headers.add(name: "content-type", value: "application/grpc")
        }
        headers.add(name: "grpc-status", value: String(status.code.rawValue))
        if !status.message.isEmpty {
            headers.add(name: "grpc-message", value: PercentEncoding.encode(status.message))
        }
        return headers
    }

    private mutating func addUserMetadata(
        _ metadata: Metadata, skippingUserAgent: Bool = false
    ) throws(MalformedField) {
        for (key, value) in metadata {
            let name = key.lowercased()
            if name.hasPrefix(":") || reservedNames.contains(name) || (skippingUserAgent && name == "user-agent") {
                continue
            }
            let encoded = value.encoded()
            if let malformed = MalformedField.check(name: name, value: encoded, pseudo: false) { throw malformed }
            self.add(name: name, value: encoded, indexing: perCallNames.contains(name) ? .nonIndexable : .indexable)
        }
    }

    /// User metadata: every header except pseudo-headers and the gRPC status fields.
    package var grpcMetadata: Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(self.count)
        for (name, value, _) in self {
            if name.hasPrefix(":") || name == "grpc-status" || name == "grpc-message" { continue }
            if name.hasSuffix("-bin"), let decoded = Base64.decodeMetadata(value) {
                metadata.addBinary(decoded, forKey: name)
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    /// The first value of `name`, if present.
    func firstValue(_ name: String) -> String? {
        self.first(name: name)
    }

    /// Whether `content-type` is `application/grpc` or `application/grpc+<codec>`.
    var hasGRPCContentType: Bool {
        guard let value = self.first(name: "content-type") else { return false }
        return value == "application/grpc" || value.hasPrefix("application/grpc+")
            || value.hasPrefix("application/grpc;")
    }

    /// The status in these trailers, or a synthesised one explaining what's missing.
    var grpcStatus: Status {
        guard let raw = self.first(name: "grpc-status") else {
            return Status(code: .unknown, message: "The peer sent trailers without a grpc-status.")
        }
        guard let value = Int(raw), let code = Status.Code(rawValue: value) else {
            return Status(code: .unknown, message: "The peer sent an invalid grpc-status '\(raw)'.")
        }
        let message = self.first(name: "grpc-message").map { PercentEncoding.decode(Substring($0)) }
        return Status(code: code, message: message ?? "")
    }
}
