package import StreamServiceSet  // Package API takes and returns its messages.

/// A resource the plugin holds: the version and payload of the last update it accepted.
package struct StoredResource: Hashable, Sendable {
    package var version: String
    package var payload: [UInt8]

    package init(version: String, payload: [UInt8]) {
        self.version = version
        self.payload = payload
    }
}

/// The resources one sync stream holds, keyed by kind and then name, and the rules for changing them.
///
/// ``apply(_:)`` refuses, leaving the store as it was:
/// - an update with an empty `kind` or `name`;
/// - a set (not a delete) whose payload is larger than ``Limits/maxPayloadBytes``;
/// - an update, set or delete, whose version is older than the held one (see ``ResourceVersion``).
///
/// An update at the held version is acknowledged and changes nothing, even if its payload differs:
/// to change a resource, send a newer version. A delete of a resource that is not held is
/// acknowledged too. Deletes leave no tombstone: after one, any version of that resource is accepted.
package struct ResourceStore: Sendable {
    /// What the store refuses.
    package struct Limits: Hashable, Sendable {
        /// The largest payload a set may carry, in bytes.
        package var maxPayloadBytes: Int

        package init(maxPayloadBytes: Int = 64 * 1024) {
            self.maxPayloadBytes = maxPayloadBytes
        }
    }

    /// What ``apply(_:)`` did.
    package enum Outcome: Hashable, Sendable {
        /// The resource was set to the update's version and payload.
        case stored
        /// The resource was removed (or was not held).
        case deleted
        /// The update carried the held version: nothing changed.
        case unchanged
        /// Nothing changed, for this reason (what is wrong and what to change).
        case rejected(String)

        /// Whether the store now differs from before.
        package var changedStore: Bool { self == .stored || self == .deleted }
    }

    package let limits: Limits
    /// Resources by kind, then by name. A kind with no resources has no entry.
    package private(set) var resourcesByKind: [String: [String: StoredResource]] = [:]

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The resource held under `kind` and `name`, if any.
    package func resource(kind: String, name: String) -> StoredResource? {
        resourcesByKind[kind]?[name]
    }

    /// How many resources are held, by kind.
    package var counts: [String: UInt64] {
        resourcesByKind.mapValues { UInt64($0.count) }
    }

    /// Checks `update` against the rules and, when it passes, sets or deletes the resource.
    package mutating func apply(_ update: Stream_V1_ResourceUpdate) -> Outcome {
        if let reason = Self.malformed(update, limits: limits) {
            return .rejected(reason)
        }
        let held = resourcesByKind[update.kind]?[update.name]
        if let held {
            let order = ResourceVersion.compare(update.version, held.version)
            if order < 0 {
                let action = update.delete ? "delete at version" : "version"
                return .rejected(
                    "\(action) \"\(update.version)\" of \(update.kind)/\(update.name) is older than the held version "
                        + "\"\(held.version)\": send version \"\(held.version)\" or newer (versions made only of digits "
                        + "compare as integers, others byte by byte)"
                )
            }
            if order == 0 && !update.delete { return .unchanged }
        }
        if update.delete {
            resourcesByKind[update.kind]?[update.name] = nil
            if resourcesByKind[update.kind]?.isEmpty == true { resourcesByKind[update.kind] = nil }
            return .deleted
        }
        resourcesByKind[update.kind, default: [:]][update.name] = StoredResource(
            version: update.version,
            payload: update.payload
        )
        return .stored
    }

    /// Why `update` is refused whatever the store holds, or `nil` when it is well formed.
    private static func malformed(_ update: Stream_V1_ResourceUpdate, limits: Limits) -> String? {
        if update.kind.isEmpty {
            return "kind is empty: set `kind` to the resource's kind, such as \"route\" or \"cluster\""
        }
        if update.name.isEmpty {
            return "name is empty: set `name` to the name of the \(update.kind) resource"
        }
        if !update.delete && update.payload.count > limits.maxPayloadBytes {
            return "payload of \(update.kind)/\(update.name) is \(update.payload.count) bytes, over the "
                + "\(limits.maxPayloadBytes)-byte limit: split the resource or shrink its payload"
        }
        return nil
    }
}
