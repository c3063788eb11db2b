package import StreamServiceSet  // Package API takes and returns its messages.

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The derived resource the plugin computes from the `route` resources it holds.
///
/// It is published as a `DerivedResource` with kind `route-index`, name `routes`, and a version
/// that counts the changes to routes on this stream (`"1"`, `"2"`, …, so it compares as an
/// integer). Its payload is UTF-8 JSON listing every route held, sorted by name:
///
/// ```json
/// {"count":2,"routes":[{"bytes":12,"name":"a","version":"3"},{"bytes":0,"name":"b","version":"1"}]}
/// ```
///
/// `source_sequence` is the sequence of the last update that changed a route.
package struct RouteIndex: Hashable, Sendable {
    /// The kind of resource the index summarizes.
    package static let sourceKind = "route"
    /// The derived resource's kind.
    package static let kind = "route-index"
    /// The derived resource's name.
    package static let name = "routes"

    /// The routes held, by name.
    package var routes: [String: StoredResource]
    /// How many times routes changed on the stream so far.
    package var generation: UInt64
    /// The sequence of the last update that changed a route.
    package var sourceSequence: UInt64

    package init(routes: [String: StoredResource], generation: UInt64, sourceSequence: UInt64) {
        self.routes = routes
        self.generation = generation
        self.sourceSequence = sourceSequence
    }

    /// The index as JSON, in the form documented on the type.
    package var payload: [UInt8] {
        let entries = routes.sorted { $0.key < $1.key }.map { name, route in
            Entry(name: name, version: route.version, bytes: route.payload.count)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and integers always encode.
        return Array((try? encoder.encode(Document(count: entries.count, routes: entries))) ?? Data())
    }

    /// The index as a `DerivedResource` message.
    package var derivedResource: Stream_V1_DerivedResource {
        .with {
            $0.kind = Self.kind
            $0.name = Self.name
            $0.version = String(generation)
            $0.payload = payload
            $0.sourceSequence = sourceSequence
        }
    }

    /// The payload's JSON shape.
    package struct Document: Codable, Hashable, Sendable {
        package var count: Int
        package var routes: [Entry]
    }

    /// One route in the payload.
    package struct Entry: Codable, Hashable, Sendable {
        package var name: String
        package var version: String
        package var bytes: Int
    }
}
