extension HandshakeProblem {
    func checkProtocol(_ field: Substring?) throws(PluginError) {
        switch field {
        case Substring(Handshake.transportProtocol):
            return
        case nil, "netrpc":
            throw self.error(
                .netRPCRefused,
                expected: "protocol \"grpc\" in field 5",
                came: field == nil ? "the field is absent (meaning netrpc) in" : "the plugin speaks netrpc in",
                fix: "Plugboard supports gRPC plugins only; serve the plugin with a gRPC server."
            )
        case let field?:
            throw self.error(
                .unsupportedProtocol,
                expected: "protocol \"grpc\" in field 5",
                came: "it is \(Quoting.quote(field)) in",
                fix: "go-plugin only knows \"grpc\" and \"netrpc\"; the plugin is printing a malformed handshake."
            )
        }
    }

    /// Field 6: ignored when 50 characters or shorter; otherwise unpadded base64 of DER.
    func certificate(_ field: Substring?) throws(PluginError) -> [UInt8]? {
        guard let field, field.count > 50 else { return nil }
        let reason: String
        if field.hasSuffix("=") {
            reason = "it ends with `=` padding"
        } else if let der = Base64.decodeUnpadded(field) {
            // A DER certificate is a SEQUENCE; the host's TLS layer parses the rest.
            guard der.first != 0x30 else { return der }
            reason = "the decoded bytes are not a DER certificate (no SEQUENCE tag)"
        } else {
            reason = "it is not standard base64"
        }
        throw self.error(
            .invalidServerCertificate,
            expected: "field 6 to be the plugin's DER certificate in unpadded standard base64 (RawStdEncoding)",
            came: "\(reason) in",
            fix: "Encode the certificate's DER bytes with base64 RawStdEncoding, or leave the field empty."
        )
    }

    /// Field 7, parsed like Go's `strconv.ParseBool`.
    func multiplexFlag(_ field: Substring?) throws(PluginError) -> Bool? {
        guard let field else { return nil }
        switch field {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default:
            throw self.error(
                .invalidMultiplexField,
                expected: "field 7 (broker multiplexing) to be \"true\" or \"false\"",
                came: "it is \(Quoting.quote(field)) in",
                fix: "Print \"false\" (Plugboard has no multiplexing) or leave the field out."
            )
        }
    }
}
