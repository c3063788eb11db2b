public import Inventory
public import PlugboardPlugin
import Synchronization

/// The `inventory.v1.Inventory` service: stock levels by SKU, kept in memory. With a broker, a
/// count that finds an item gone reorders it from the host's `Supplier`, if the call names one.
public final class InventoryService: Inventory_V1_Inventory.SimpleServiceProtocol {
    private let stock: Mutex<[String: Int64]>
    private let broker: PluginBroker?

    public init(stock: [String: Int64] = [:], broker: PluginBroker? = nil) {
        self.stock = Mutex(stock)
        self.broker = broker
    }

    public func restock(request: Inventory_V1_RestockRequest, context: ServerContext) async throws
        -> Inventory_V1_CountResponse
    {
        guard !request.sku.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "A restock needs a SKU; send one in `sku`.")
        }
        self.stock.withLock { $0[request.sku] = request.quantity }
        return .with {
            $0.sku = request.sku; $0.left = request.quantity
        }
    }

    public func count(request: Inventory_V1_CountRequest, context: ServerContext) async throws
        -> Inventory_V1_CountResponse
    {
        let left = self.stock.withLock { $0[request.sku] ?? 0 }
        if left == 0, request.supplier != 0, let broker {
            // A callback: the host serves its Supplier under the id it sent with this call.
            let order = try await broker.withClient(id: request.supplier) { client in
                try await Inventory_V1_Supplier.Client(wrapping: client).reorder(.with { $0.sku = request.sku })
            }
            return try await self.restock(request: order, context: context)
        }
        return .with {
            $0.sku = request.sku; $0.left = left
        }
    }

    public func countEach(
        request: RPCAsyncSequence<Inventory_V1_CountRequest, any Error>,
        response: RPCWriter<Inventory_V1_CountResponse>,
        context: ServerContext
    ) async throws {
        for try await item in request {
            try await response.write(try await self.count(request: item, context: context))
        }
    }
}

/// The cookie and app protocol versions the inventory plugin and its hosts agree on.
public let inventoryHandshake = HandshakeConfig(
    magicCookieKey: "INVENTORY_PLUGIN", magicCookieValue: "7d9f3c2a-inventory", appProtocolVersions: [1]
)
