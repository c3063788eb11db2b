internal import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

extension UnixSocketTransport {
    /// Starts NIO's shared event-loop group, which the transport's servers and clients run on, with
    /// one thread instead of one per core, unless `NIO_SINGLETON_GROUP_LOOP_COUNT` is set (then
    /// that count) or the group is already running (then nothing changes).
    ///
    /// For a plugin's process (`PluginServer.serve` calls it first): it serves one host connection
    /// and perhaps a few brokered ones, whose handlers run on their connection's event loop or on
    /// the global executor, so a second loop thread only adds its start-up, and the host's first
    /// connection is accepted and served on one thread with no hand-off. NIO reads the variable
    /// once, when the group starts, and crashes a program that sets its count after that: setting
    /// the variable for that moment is the one way that is safe whatever ran before.
    package static func startOneEventLoopThread() {
        let name = "NIO_SINGLETON_GROUP_LOOP_COUNT"
        guard getenv(name) == nil else { return }
        setenv(name, "1", 0)
        _ = MultiThreadedEventLoopGroup.singleton
        unsetenv(name)
    }
}
