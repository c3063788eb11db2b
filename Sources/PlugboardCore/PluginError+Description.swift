extension PluginError {
    /// How many stderr lines ``description`` shows at most (the newest ones).
    static let describedStderrLines = 10

    /// One readable paragraph: code, which plugin (name, path, pid), the message, how it ended, its last
    /// stderr lines and the cause.
    public var description: String {
        var text = "\(self.code): \(self.subject): \(self.message)"
        if let termination = self.termination {
            text += text.hasSuffix(".") ? " " : ". "
            text += "The plugin ended with \(termination)."
        }
        if !self.stderrTail.isEmpty {
            let shown = self.stderrTail.suffix(Self.describedStderrLines)
            let skipped = self.stderrTail.count - shown.count
            text += text.hasSuffix(".") ? " " : ". "
            text += skipped > 0 ? "Its last \(shown.count) stderr lines: " : "Its stderr: "
            text += shown.map { Quoting.quote($0) }.joined(separator: " / ")
        }
        if let cause = self.cause {
            text += " (cause: \(cause))"
        }
        return text
    }

    /// "plugin "kv" (/path, pid 42)", or as much of it as is known.
    private var subject: String {
        var details: [String] = []
        if let path = self.executablePath { details.append(path) }
        if let pid = self.pid { details.append("pid \(pid)") }
        var subject = "plugin"
        if let name = self.pluginName { subject += " \(name.debugDescription)" }
        if !details.isEmpty { subject += " (\(details.joined(separator: ", ")))" }
        return subject
    }
}
