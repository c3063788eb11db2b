public import PlugboardTestV1
import ProtobufC

public typealias KitchenSink = Plugboard_Test_V1_KitchenSink
public typealias Legacy = Plugboard_Test_V1_Legacy

/// Random values of the test messages, covering every field kind.
public enum RandomMessages {
    public static func color(_ g: inout some RandomNumberGenerator) -> Plugboard_Test_V1_Color {
        g.chance(5)
            ? Plugboard_Test_V1_Color(rawValue: Int32.random(in: 4...1000, using: &g))
            : Plugboard_Test_V1_Color.allCases.randomElement(using: &g)!
    }

    public static func scalars(_ g: inout some RandomNumberGenerator) -> Plugboard_Test_V1_Scalars {
        .with {
            $0.fDouble = g.finite()
            $0.fFloat = g.finite()
            $0.fInt32 = g.integer()
            $0.fInt64 = g.integer()
            $0.fUint32 = g.integer()
            $0.fUint64 = g.integer()
            $0.fSint32 = g.integer()
            $0.fSint64 = g.integer()
            $0.fFixed32 = g.integer()
            $0.fFixed64 = g.integer()
            $0.fSfixed32 = g.integer()
            $0.fSfixed64 = g.integer()
            $0.fBool = Bool.random(using: &g)
            $0.fString = g.text()
            $0.fBytes = g.bytes()
            $0.fColor = color(&g)
        }
    }

    public static func node(_ g: inout some RandomNumberGenerator, depth: Int = 0) -> KitchenSink.Node {
        .with {
            $0.name = g.text()
            $0.weights = g.array { $0.integer() }
            if depth < 4, g.chance(2) { $0.child = node(&g, depth: depth + 1) }
        }
    }

    public static func point(_ g: inout some RandomNumberGenerator) -> Plugboard_Test_V1_Point {
        .with {
            $0.x = g.integer()
            $0.y = g.integer()
            $0.label = g.text()
        }
    }

    public static func kitchenSink(_ g: inout some RandomNumberGenerator) -> KitchenSink {
        var m = KitchenSink()
        if g.chance(2) { m.scalars = scalars(&g) }
        if g.chance(2) { m.node = node(&g) }
        if g.chance(2) { m.point = point(&g) }
        m.status =
            g.chance(4)
            ? .unrecognized(Int32.random(in: 3...99, using: &g)) : KitchenSink.Status.allCases.randomElement(using: &g)!
        m.packedInt32 = g.array { $0.integer() }
        m.unpackedInt64 = g.array { $0.integer() }
        m.packedDouble = g.array { $0.finite() }
        m.packedFloat = g.array { $0.finite() }
        m.packedBool = g.array { Bool.random(using: &$0) }
        m.packedSint64 = g.array { $0.integer() }
        m.packedFixed32 = g.array { $0.integer() }
        m.unpackedUint64 = g.array { $0.integer() }
        m.colors = g.array { color(&$0) }
        m.names = g.array { $0.text() }
        m.blobs = g.array { $0.bytes() }
        m.nodes = g.array(max: 2) { node(&$0, depth: 3) }
        m.points = g.array(max: 2) { point(&$0) }
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            m.counters[g.text()] = g.integer()
            m.labels[g.integer()] = g.text()
            m.nodesByName[g.text()] = node(&g, depth: 3)
            m.colorsById[g.integer()] = color(&g)
            m.blobsByFlag[Bool.random(using: &g)] = g.bytes()
            m.pointsByIndex[g.integer()] = point(&g)
        }
        switch Int.random(in: 0..<6, using: &g) {
        case 0: m.choice = .text(g.text())
        case 1: m.choice = .number(g.integer())
        case 2: m.choice = .chosenNode(node(&g, depth: 2))
        case 3: m.choice = .raw(g.bytes())
        case 4: m.choice = .chosenColor(color(&g))
        default: m.choice = nil
        }
        return m
    }

    public static func legacy(_ g: inout some RandomNumberGenerator) -> Legacy {
        func inner(_ g: inout some RandomNumberGenerator) -> Legacy.Inner {
            .with {
                $0.token = g.integer()
                if g.chance(2) { $0.delta = g.integer() }
            }
        }
        var m = Legacy()
        m.id = g.text()
        m.version = g.integer()
        m.first = inner(&g)
        if g.chance(2) { m.label = g.chance(3) ? "none" : g.text() }
        if g.chance(2) { m.retries = g.integer() }
        if g.chance(2) { m.enabled = Bool.random(using: &g) }
        if g.chance(2) { m.ratio = g.finite() }
        if g.chance(2) { m.mode = Legacy.Mode.allCases.randomElement(using: &g)! }
        if g.chance(2) { m.blob = g.bytes() }
        if g.chance(2) { m.inner = inner(&g) }
        if g.chance(2) { m.weight = g.finite() }
        if g.chance(2) { m.counter = g.integer() }
        if g.chance(2) { m.stamp = g.integer() }
        if g.chance(2) { m.note = g.text() }
        m.ids = g.array { $0.integer() }
        m.packedIds = g.array { $0.integer() }
        m.others = g.array(max: 2) { inner(&$0) }
        m.tags = g.array { $0.text() }
        return m
    }
}
