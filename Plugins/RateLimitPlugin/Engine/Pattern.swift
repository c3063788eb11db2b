/// A rule's resource or key pattern: `*` for all, a prefix ending in `*` (`api/*`), or an exact
/// name. Matching compares UTF-8 bytes.
enum Pattern: Hashable, Sendable {
    case any
    case prefix(String)
    case exact(String)

    /// Parses `text`, or returns why it is not a pattern.
    static func parse(_ text: String) -> Result<Pattern, PatternError> {
        guard let star = text.utf8.firstIndex(of: UInt8(ascii: "*")) else {
            return text.isEmpty ? .failure(.empty) : .success(.exact(text))
        }
        guard text.utf8.index(after: star) == text.utf8.endIndex else { return .failure(.innerStar) }
        let prefix = String(text[..<star])
        return .success(prefix.isEmpty ? .any : .prefix(prefix))
    }

    func matches(_ value: String) -> Bool {
        switch self {
        case .any: true
        case .prefix(let prefix): value.utf8.starts(with: prefix.utf8)
        case .exact(let name): value.utf8.elementsEqual(name.utf8)
        }
    }
}

/// Why a pattern is invalid.
enum PatternError: Error {
    case empty
    case innerStar
}
