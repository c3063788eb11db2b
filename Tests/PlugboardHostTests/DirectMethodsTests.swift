import GRPCCore
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Testing

@Suite("Which methods a server's transport runs directly")
struct DirectMethodsTests {
    /// A hand-written service (not generated, so not directly registrable) with Echo's `Get`.
    struct HandWrittenGet: RegistrableRPCService {
        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            router.registerHandler(
                forMethod: MethodDescriptor(fullyQualifiedService: "plugboard.test.v1.Echo", method: "Get"),
                deserializer: ProtobufDeserializer<EchoRequest>(),
                serializer: ProtobufSerializer<EchoResponse>()
            ) { _, _ in StreamingServerResponse(error: RPCError(code: .unimplemented, message: "hand-written")) }
        }
    }

    @Test("a generated service's methods run directly; one that a later service registers goes back to GRPCCore")
    func laterRegistrationWins() {
        let generatedFirst = DirectMethods(serving: [EchoService(), HandWrittenGet()]).table
        #expect(generatedFirst.handler(forPath: "/plugboard.test.v1.Echo/Get") == nil)
        #expect(generatedFirst.handler(forPath: "/plugboard.test.v1.Echo/Collect") != nil)

        let generatedLast = DirectMethods(serving: [HandWrittenGet(), EchoService()]).table
        #expect(generatedLast.handler(forPath: "/plugboard.test.v1.Echo/Get") != nil)
        #expect(generatedLast.handler(forPath: "/plugboard.test.v1.Echo/Update") != nil)
        #expect(generatedLast.handler(forPath: "/plugboard.test.v1.Echo/Missing") == nil)
    }
}
