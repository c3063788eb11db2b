/// Builds Swift source text line by line with four-space indentation.
struct SwiftWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ line: String = "") {
        self.text += line.isEmpty ? "\n" : String(repeating: "    ", count: self.depth) + line + "\n"
    }

    /// Writes `opening {`, the body one level deeper, then `}`.
    mutating func block(_ opening: String, closing: String = "}", _ body: (inout SwiftWriter) throws -> Void) rethrows {
        self.line(opening + " {")
        self.depth += 1
        try body(&self)
        self.depth -= 1
        self.line(closing)
    }

    /// Writes `switch … {`, the cases at the same depth (Swift style), then `}`.
    mutating func switchBlock(_ opening: String, _ body: (inout SwiftWriter) -> Void) {
        self.line(opening + " {")
        body(&self)
        self.line("}")
    }

    /// Writes a proto comment as `///` doc comment lines.
    mutating func docComment(_ comment: String) {
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0)
        }
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        for line in lines {
            self.line(line.isEmpty ? "///" : "/// " + line)
        }
    }
}
