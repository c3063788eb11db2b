import Inventory
import InventoryService
import PlugboardHost

@main
struct InventoryHost {
    static func main() async throws {
        let logger = Logger(label: "inventory-host")
        let spec = PluginSpec(path: CommandLine.arguments[1], handshake: inventoryHandshake)
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let inventory = Inventory_V1_Inventory.Client(wrapping: plugin.client)
            _ = try await inventory.restock(
                .with {
                    $0.sku = "pear"; $0.quantity = 7
                })
            let apples = try await inventory.count(.with { $0.sku = "apple" })
            print("unary: \(apples.left) \(apples.sku) left")
            try await inventory.countEach { writer in
                for sku in ["apple", "pear", "plum"] { try await writer.write(.with { $0.sku = sku }) }
            } onResponse: { response in
                for try await count in response.messages { print("stream: \(count.left) \(count.sku) left") }
            }
            // A callback: the host serves a Supplier through the broker and sends its id with the call.
            let supplier = plugin.broker.nextID()
            try await plugin.broker.serve(id: supplier, services: [Orchard()])
            let plums = try await inventory.count(
                .with {
                    $0.sku = "plum"; $0.supplier = supplier
                })
            print("callback: \(plums.left) \(plums.sku) left after the plugin reordered from the host")
        }
    }
}

/// The host's supplier: every reorder brings a dozen.
struct Orchard: Inventory_V1_Supplier.SimpleServiceProtocol {
    func reorder(request: Inventory_V1_ReorderRequest, context: ServerContext) async throws
        -> Inventory_V1_RestockRequest
    {
        .with {
            $0.sku = request.sku; $0.quantity = 12
        }
    }
}
