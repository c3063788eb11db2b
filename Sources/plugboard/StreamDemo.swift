import GRPCCore
import PlugboardHost
import StreamServiceSet
import Synchronization

/// Streams resource updates to the stream plugin while printing its acks, rejections and its own
/// events as they arrive: both directions at once.
struct StreamDemo {
    let plugin: RunningPlugin
    let updates: Int

    func run() async throws {
        print("\n== stream: \(self.updates) updates out (→), acks and the plugin's own events back (←) ==")
        let sync = Stream_V1_ControlStream.Client(wrapping: self.plugin.client)
        let planned = self.plan()
        try await sync.sync(
            request: StreamingClientRequest { writer in
                for update in planned {
                    print(
                        "→ #\(update.sequence) \(update.kind)/\(update.name) v\(update.version)\(update.delete ? " (delete)" : "")"
                    )
                    try await writer.write(.with { $0.message = .update(update) })
                    try await Task.sleep(for: .milliseconds(60))
                }
            }
        ) { response in
            var answered = 0
            for try await message in response.messages {
                switch message.message {
                case .ack(let ack)?:
                    answered += 1
                    print("    ← ack #\(ack.sequence) \(ack.kind)/\(ack.name) v\(ack.version)")
                case .rejection(let rejection)?:
                    answered += 1
                    print(
                        "    ← rejected #\(rejection.sequence) \(rejection.kind)/\(rejection.name) v\(rejection.version): \(rejection.reason)"
                    )
                case .event(let event)?:
                    print("    ← event \(event.sequence): \(Self.describe(event))")
                case nil:
                    break
                }
                if answered == planned.count { break }
            }
        }
    }

    /// Routes and clusters, newer versions, a stale version (#6, rejected), and a delete; repeated
    /// with fresh names beyond the first twelve.
    private static let story: [(kind: String, name: String, version: String, delete: Bool)] = [
        ("route", "checkout", "1", false), ("cluster", "payments", "1", false), ("route", "search", "1", false),
        ("route", "checkout", "2", false), ("cluster", "payments", "2", false), ("cluster", "payments", "1", false),
        ("route", "cart", "1", false), ("cluster", "inventory", "1", false), ("route", "search", "2", false),
        ("cluster", "inventory", "2", false), ("route", "cart", "2", false), ("route", "search", "3", true),
    ]

    private func plan() -> [Stream_V1_ResourceUpdate] {
        (0..<self.updates).map { index in
            let step = Self.story[index % Self.story.count]
            let round = index / Self.story.count
            return .with {
                $0.sequence = UInt64(index + 1)
                $0.kind = step.kind
                $0.name = round == 0 ? step.name : "\(step.name)-\(round)"
                $0.version = step.version
                $0.delete = step.delete
                $0.payload = Array("{\"upstream\": \"\(step.name)\", \"step\": \(index + 1)}".utf8)
            }
        }
    }

    private static func describe(_ event: Stream_V1_Event) -> String {
        switch event.event {
        case .status(let status)?:
            let held = status.resources.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: " ")
            return
                "status [\(held)] received \(status.updatesReceived), rejected \(status.updatesRejected)\(status.message.isEmpty ? "" : ": \(status.message)")"
        case .derived(let derived)?:
            return
                "derived \(derived.kind)/\(derived.name) v\(derived.version) from #\(derived.sourceSequence) (\(derived.payload.count) bytes)"
        case nil:
            return "(empty)"
        }
    }
}
