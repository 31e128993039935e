public import ExtAuthzProto
public import GRPCCore
import ServiceLifecycle

/// `grpc.health.v1.Health` on the gRPC listener: SERVING while a bundle is active and
/// shutdown has not begun, else NOT_SERVING, for the server as a whole ("") and for the ext_authz service by name.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    static let knownServices: Set<String> = ["", "envoy.service.auth.v3.Authorization"]
    let core: DecisionCore

    public init(core: DecisionCore) {
        self.core = core
    }

    var status: Grpc_Health_V1_HealthCheckResponse.ServingStatus { core.isReady ? .serving : .notServing }

    public func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.knownServices.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service")
        }
        return .with { $0.status = status }
    }

    /// Sends the status now and whenever it changes, until the client leaves or the server
    /// shuts down gracefully.
    public func watch(request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
                      context: ServerContext) async throws {
        guard Self.knownServices.contains(request.service) else {
            try await response.write(.with { $0.status = .serviceUnknown })
            return
        }
        let first = status
        try await response.write(.with { $0.status = first })
        do {
            try await cancelWhenGracefulShutdown { try await sendChanges(after: first, to: response) }
        } catch is CancellationError {
            return
        }
    }

    private func sendChanges(after first: Grpc_Health_V1_HealthCheckResponse.ServingStatus,
                             to response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>) async throws {
        var sent = first
        while true {
            try await Task.sleep(for: .seconds(1))
            let now = status
            if now != sent {
                sent = now
                try await response.write(.with { $0.status = now })
            }
        }
    }
}
