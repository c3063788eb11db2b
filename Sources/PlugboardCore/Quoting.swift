/// Quotes untrusted text (a handshake line, a stderr line) for error messages.
enum Quoting {
    /// Characters kept before a quoted text is cut.
    static let defaultLimit = 120

    /// The text in double quotes with control characters escaped, cut after `limit` characters with a note
    /// saying how much was left out.
    static func quote(_ text: some StringProtocol, limit: Int = Self.defaultLimit) -> String {
        guard text.count > limit else { return String(text).debugDescription }
        let kept = String(text.prefix(limit))
        return "\(kept.debugDescription)… (\(text.count - limit) more characters)"
    }
}
