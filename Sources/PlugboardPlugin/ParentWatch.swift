import CPlugboardSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Notices when the host process dies, so a plugin never outlives its host.
///
/// Linux sends `PR_SET_PDEATHSIG` when the *thread* that spawned us exits, which in a
/// multi-threaded host can happen while the host lives on; so the signal only prompts a check of
/// `getppid()`, which changes only when the host process is gone. A poll every 250 ms is the
/// fallback where the signal is unavailable.
enum ParentWatch {
    static func start(onHostExit: @escaping @Sendable () -> Void) {
        let parent = getppid()
        if parent == 1 {
            onHostExit()  // the host died before we got here
            return
        }
        signal(SIGUSR2, SIG_IGN)
        _ = CPlugboardSystem_setParentDeathSignal(SIGUSR2)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: .global())
        source.setEventHandler { if getppid() != parent { onHostExit() } }
        source.resume()
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { if getppid() != parent { onHostExit() } }
        timer.resume()
        Self.sources = [source, timer]
    }

    /// Keeps the dispatch sources alive for the life of the process; set once, before serving.
    nonisolated(unsafe) private static var sources: [any DispatchSourceProtocol] = []
}
