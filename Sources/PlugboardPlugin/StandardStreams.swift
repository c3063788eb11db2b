import PlugboardSystem

/// Whole writes to fd 1 and fd 2, below Foundation's buffering (the handshake line must be out
/// before the SDK redirects fd 1).
enum StandardStreams {
    static func writeOutput(_ text: String) { Self.write(text, to: 1) }
    static func writeError(_ text: String) { Self.write(text, to: 2) }

    private static func write(_ text: String, to descriptor: Int32) {
        _ = SystemCall.writeAll(descriptor, text.utf8)
    }
}
