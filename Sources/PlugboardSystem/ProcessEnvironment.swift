#if canImport(Glibc)
import Glibc
#endif

/// The process's environment variables, read straight from `environ`.
///
/// What `ProcessInfo.processInfo.environment` returns, without starting Foundation's `ProcessInfo`
/// (whose first use showed in every plugin's start-up profile).
package enum ProcessEnvironment {
    /// Every `NAME=value` entry; of a name set twice, the first (the one `getenv` finds).
    package static func variables() -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), variables[String(text[..<equals])] == nil {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }
}
