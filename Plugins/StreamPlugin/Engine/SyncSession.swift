package import StreamServiceSet  // Package API takes and returns its messages.

/// The state of one sync stream, without I/O: the store, the counters, and when events are due.
///
/// The stream's reader calls ``receive(_:)`` for each update and writes the answer it returns; the
/// ticker calls ``tick()``; when the request stream ends the reader calls ``endOfRequests()``. Each
/// of these says whether the event task should wake; when it wakes it calls ``takeEvents()`` and
/// writes what that returns, in order. The owner guards a session with a lock and holds it only
/// for these calls.
///
/// Events are due:
/// - a `Status` each time the count of accepted updates reaches a multiple of
///   ``Cadence/statusEveryAcceptedUpdates``;
/// - a `Status` on a tick when updates arrived since the last `Status` (a quiet stream stays quiet);
/// - a final `Status` when the request stream ends;
/// - a `route-index` ``RouteIndex`` just before any `Status` when routes changed since the last one.
///
/// Wakes coalesce: several triggers before the event task runs produce one `Status`, reflecting
/// the state when it runs.
package struct SyncSession: Sendable {
    /// When `Status` events are due.
    package struct Cadence: Hashable, Sendable {
        /// Every this many accepted updates, a `Status` is due; 0 turns the count trigger off.
        package var statusEveryAcceptedUpdates: UInt64

        package init(statusEveryAcceptedUpdates: UInt64 = 1000) {
            self.statusEveryAcceptedUpdates = statusEveryAcceptedUpdates
        }
    }

    /// An event ready to write; ``event`` builds the message (outside the owner's lock).
    package enum PendingEvent: Sendable {
        case status(Stream_V1_Event)
        case routeIndex(sequence: UInt64, RouteIndex)

        package var event: Stream_V1_Event {
            switch self {
            case .status(let event):
                return event
            case .routeIndex(let sequence, let index):
                return .with {
                    $0.sequence = sequence
                    $0.event = .derived(index.derivedResource)
                }
            }
        }
    }

    package let cadence: Cadence
    package private(set) var store: ResourceStore
    package private(set) var updatesReceived: UInt64 = 0
    package private(set) var updatesRejected: UInt64 = 0
    package private(set) var updatesAccepted: UInt64 = 0
    /// The sequence of the last event handed out by ``takeEvents()``.
    package private(set) var eventSequence: UInt64 = 0

    private var receivedAtLastStatus: UInt64 = 0
    private var countDue = false
    private var tickDue = false
    private var endDue = false
    private var ended = false
    private var routeGeneration: UInt64 = 0
    private var publishedRouteGeneration: UInt64 = 0
    private var routeSourceSequence: UInt64 = 0

    package init(limits: ResourceStore.Limits = .init(), cadence: Cadence = .init()) {
        self.store = ResourceStore(limits: limits)
        self.cadence = cadence
    }

    /// Applies `update` and returns its answer, an ack or a rejection, and whether events are due.
    package mutating func receive(_ update: Stream_V1_ResourceUpdate) -> (response: Stream_V1_SyncResponse, wake: Bool)
    {
        updatesReceived += 1
        let outcome = store.apply(update)
        if case .rejected(let reason) = outcome {
            updatesRejected += 1
            let rejection = Stream_V1_Rejection.with {
                $0.sequence = update.sequence
                $0.kind = update.kind
                $0.name = update.name
                $0.version = update.version
                $0.reason = reason
            }
            return (.with { $0.message = .rejection(rejection) }, false)
        }
        updatesAccepted += 1
        if outcome.changedStore && update.kind == RouteIndex.sourceKind {
            routeGeneration += 1
            routeSourceSequence = update.sequence
        }
        let every = cadence.statusEveryAcceptedUpdates
        let wake = every > 0 && updatesAccepted % every == 0
        if wake { countDue = true }
        let ack = Stream_V1_Ack.with {
            $0.sequence = update.sequence
            $0.kind = update.kind
            $0.name = update.name
            $0.version = update.version
        }
        return (.with { $0.message = .ack(ack) }, wake)
    }

    /// Notes a tick; returns whether events are due (only when updates arrived since the last `Status`).
    package mutating func tick() -> Bool {
        guard !ended, updatesReceived > receivedAtLastStatus else { return false }
        tickDue = true
        return true
    }

    /// Notes that the request stream ended: a final `Status` is due.
    package mutating func endOfRequests() {
        endDue = true
    }

    /// Whether the final `Status` was handed out; no events come after it.
    package var isFinished: Bool { ended }

    /// The events due now, numbered, in the order to write them; empty when none are due.
    package mutating func takeEvents() -> [PendingEvent] {
        guard !ended else { return [] }
        let reason: String
        if endDue {
            reason = "the request stream ended"
        } else if countDue {
            reason = "\(updatesAccepted) updates accepted"
        } else if tickDue && updatesReceived > receivedAtLastStatus {
            reason = "timer"
        } else {
            return []
        }
        var events: [PendingEvent] = []
        if routeGeneration > publishedRouteGeneration {
            eventSequence += 1
            let index = RouteIndex(
                routes: store.resourcesByKind[RouteIndex.sourceKind] ?? [:],
                generation: routeGeneration,
                sourceSequence: routeSourceSequence
            )
            events.append(.routeIndex(sequence: eventSequence, index))
            publishedRouteGeneration = routeGeneration
        }
        eventSequence += 1
        events.append(.status(statusEvent(sequence: eventSequence, reason: reason)))
        receivedAtLastStatus = updatesReceived
        (countDue, tickDue) = (false, false)
        if endDue { ended = true }
        return events
    }

    private func statusEvent(sequence: UInt64, reason: String) -> Stream_V1_Event {
        let counts = store.counts
        let held = counts.values.reduce(0, +)
        let status = Stream_V1_Status.with {
            $0.resources = counts
            $0.updatesReceived = updatesReceived
            $0.updatesRejected = updatesRejected
            $0.message = "holding \(held) resources of \(counts.count) kinds; sent because \(reason)"
        }
        return .with {
            $0.sequence = sequence
            $0.event = .status(status)
        }
    }
}
