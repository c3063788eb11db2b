import Foundation
import Inventory
import InventoryService
import PlugboardTesting
import Testing

@Suite("Inventory plugin")
struct InventoryTests {
    @Test("unary and streaming calls, in process over the real transport")
    func inProcess() async throws {
        try await withInProcessPlugin(serving: [InventoryService(stock: ["apple": 3])]) { client in
            let inventory = Inventory_V1_Inventory.Client(wrapping: client)
            #expect(try await inventory.count(.with { $0.sku = "apple" }).left == 3)
            _ = try await inventory.restock(
                .with {
                    $0.sku = "pear"; $0.quantity = 5
                })
            let lefts = try await inventory.countEach { writer in
                for sku in ["pear", "apple", "plum"] { try await writer.write(.with { $0.sku = sku }) }
            } onResponse: { response in
                try await response.messages.reduce(into: [String]()) { $0.append("\($1.sku)=\($1.left)") }
            }
            #expect(lefts == ["pear=5", "apple=3", "plum=0"])
        }
    }

    @Test("the built plugin starts under a test host, answers, and is logged about")
    func executable() async throws {
        let path = try #require(Self.builtPlugin(), "build inventory-plugin first: swift build --build-tests")
        try await withTestHost(plugin: PluginSpec(path: path, handshake: inventoryHandshake)) { plugin, logs in
            let inventory = Inventory_V1_Inventory.Client(wrapping: plugin.client)
            #expect(try await inventory.count(.with { $0.sku = "apple" }).left == 3)
            let started = try #require(logs.entries.first { $0.message == "plugin started" })
            #expect(started.metadata["plugin.pid"] == "\(plugin.pid)")
        }
    }

    /// `inventory-plugin`, which SwiftPM builds next to this test binary.
    static func builtPlugin() -> String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [folder, folder.deletingLastPathComponent()].map {
            $0.appendingPathComponent("inventory-plugin").path
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension InventoryTests {
    @Test("a restock without a SKU is refused with INVALID_ARGUMENT, and nothing changes")
    func badRestock() async throws {
        try await withInProcessPlugin(serving: [InventoryService(stock: ["apple": 3])]) { client in
            let inventory = Inventory_V1_Inventory.Client(wrapping: client)
            let error = await #expect(throws: RPCError.self) {
                try await inventory.restock(.with { $0.quantity = 1 })
            }
            #expect(error?.code == .invalidArgument)
            let apples = try await inventory.count(.with { $0.sku = "apple" })
            #expect(apples.left == 3)
        }
    }
}

extension InventoryTests {
    @Test("a count that finds an item gone reorders it from the host's Supplier, through the broker")
    func callback() async throws {
        let path = try #require(Self.builtPlugin(), "build inventory-plugin first: swift build --build-tests")
        try await withTestHost(plugin: PluginSpec(path: path, handshake: inventoryHandshake)) { plugin, _ in
            let inventory = Inventory_V1_Inventory.Client(wrapping: plugin.client)
            let supplier = plugin.broker.nextID()
            try await plugin.broker.serve(id: supplier, services: [DozenSupplier()])
            #expect(try await inventory.count(.with { $0.sku = "plum" }).left == 0, "no supplier named: no callback")
            #expect(
                try await inventory.count(
                    .with {
                        $0.sku = "plum"; $0.supplier = supplier
                    }
                ).left == 12)
            #expect(try await inventory.count(.with { $0.sku = "plum" }).left == 12, "the reorder was stocked")
        }
    }
}

/// A supplier that sends a dozen of anything.
struct DozenSupplier: Inventory_V1_Supplier.SimpleServiceProtocol {
    func reorder(request: Inventory_V1_ReorderRequest, context: ServerContext) async throws
        -> Inventory_V1_RestockRequest
    {
        .with {
            $0.sku = request.sku; $0.quantity = 12
        }
    }
}
