internal import Synchronization

/// The tier directory of the active rule set. Rule sets activate in version order, and so do their
/// directories: when two `ApplyRules` race, the directory of the higher version stays, whichever
/// is installed last, and every directory replaced or refused is closed.
final class ActiveTierDirectory: Sendable {
    private let state = Mutex<(version: UInt64, directory: TierDirectory?)>((0, nil))

    /// The directory to ask, if the active set named one.
    var current: TierDirectory? {
        self.state.withLock { $0.directory }
    }

    /// Makes `directory` (or none) the active set's, now that rule set `version` is active, and
    /// closes the one it replaces; closes `directory` instead if a later set is active already.
    func install(_ directory: TierDirectory?, forVersion version: UInt64) {
        let displaced = self.state.withLock { state -> TierDirectory? in
            guard version > state.version else { return directory }
            defer { state = (version, directory) }
            return state.directory
        }
        displaced?.close()
    }

}
