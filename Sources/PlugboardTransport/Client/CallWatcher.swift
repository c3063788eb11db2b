public import GRPCCore

/// Watches the calls a lean client carries from inside the transport, so that a watched call's
/// streams are the transport's own, unwrapped: a watched message costs what any other does.
///
/// The host's metrics, spans and request ids come through here (PlugboardObservability).
public protocol CallWatcher: Sendable {
    /// A call to `descriptor` is starting, in the caller's task. The record returned hears the
    /// rest of the call; `nil` leaves the call unwatched.
    func callStarting(_ descriptor: MethodDescriptor) -> (any WatchedCall)?
}

/// One watched call, as its transport reports it. `sending` and `carried` come once per
/// connection the call reaches (a supervisor may try a second instance when the first was going
/// away before the call went out); `ended` comes once, last.
public protocol WatchedCall: AnyObject, Sendable {
    /// The call's request metadata, as it goes out: the record may add to it.
    func sending(_ metadata: inout Metadata)

    /// What the connection carried: the messages each way and the status the server sent, if
    /// one came.
    func carried(sent: Int, received: Int, status: Status?)

    /// The call is over; `error` is what the caller's call threw, if anything.
    func ended(_ error: (any Error)?)
}

extension Optional where Wrapped == any CallWatcher {
    /// Runs `call` with the record of a call to `descriptor` (`nil` when there is no watcher or
    /// it leaves the call unwatched), then ends the record with what `call` threw.
    package func watching<T>(
        _ descriptor: MethodDescriptor, _ call: ((any WatchedCall)?) async throws -> T
    ) async throws -> T {
        guard let watched = self?.callStarting(descriptor) else { return try await call(nil) }
        do {
            let result = try await call(watched)
            watched.ended(nil)
            return result
        } catch {
            watched.ended(error)
            throw error
        }
    }
}
