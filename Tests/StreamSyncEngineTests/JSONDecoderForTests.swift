import Foundation
import StreamSyncEngine

enum JSONDecoderForTests {
    static func decode(_ payload: [UInt8]) throws -> RouteIndex.Document {
        try JSONDecoder().decode(RouteIndex.Document.self, from: Data(payload))
    }
}
