import DecisionService
import ExtAuthzProto
import NIOCore
import NIOEmbedded
import Runtime
import SwiftProtobuf

/// The decision service on the fixed bundle, with a fixed clock and no logging.
enum ServiceFixture {
    static let core = DecisionCore(holder: FuzzFixtures.holder, logger: FuzzFixtures.quietLogger, clock: { FuzzFixtures.now })
}

/// ext_authz gRPC: the bytes as a serialised `CheckRequest` (what the gRPC transport
/// hands the handler once the frame is read). A message that decodes is mapped to an
/// HTTP request and decided; the `CheckResponse` is built and serialised. A decision
/// must equal the runtime's own for the mapped request.
enum GRPCTarget {
    static let handler = ExtAuthzGRPC(core: ServiceFixture.core)

    static func run(_ bytes: [UInt8]) -> String? {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 64
        guard let request = try? Envoy_Service_Auth_V3_CheckRequest(serializedBytes: bytes, options: options) else { return nil }
        let outcome = handler.respond(to: request)
        guard case .decided(let response) = outcome else { return "unavailable with a bundle loaded" }
        let message = ExtAuthzGRPC.checkResponse(response)
        guard (try? message.serializedBytes() as [UInt8]) != nil else { return "the CheckResponse does not serialise" }
        if case .success(let http) = ExtAuthzGRPC.httpRequest(from: request) {
            let decision = FuzzFixtures.policy.decide(http, now: FuzzFixtures.now)
            if let problem = FuzzFixtures.checkInvariants(decision) { return problem }
            if decision.isAllowed != (message.status.code == 0) {
                return "the runtime says \(decision.verdict), the CheckResponse status is \(message.status.code)"
            }
        } else if message.status.code == 0 {
            return "an unmappable CheckRequest was allowed"
        }
        return nil
    }
}

/// Forward auth: the bytes as what a gateway (Traefik, Caddy, nginx) writes on one
/// connection from loopback, through the same handlers a `gatepassd` connection gets:
/// NIO's HTTP/1.1 parser (or h2c after the preface) and the forward-auth endpoint. Every
/// response must carry one of the statuses the service answers with.
enum ForwardAuthTarget {
    static let endpoint = ForwardAuth(core: ServiceFixture.core)
    static let peer = try! SocketAddress(ipAddress: "127.0.0.1", port: 40_000)

    static func run(_ bytes: [UInt8]) -> String? {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        do {
            try HTTPListener.installConnectionHandlers(on: channel, endpoint: endpoint)
            channel.connect(to: peer, promise: nil)
        } catch {
            return "cannot set up the channel: \(error)"
        }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        do {
            try channel.writeInbound(buffer)
        } catch {
            return nil  // a parse error closes the connection, as it would on a socket
        }
        var output: [UInt8] = []
        while let part = try? channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = part { output += buffer.readableBytesView }
        }
        return checkResponses(output)
    }

    /// Each HTTP/1.1 response's status is one the service answers with.
    static func checkResponses(_ output: [UInt8]) -> String? {
        let text = String(decoding: output, as: UTF8.self)
        for line in text.split(separator: "\r\n") where line.hasPrefix("HTTP/1.") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let status = Int(parts[1]) else { return "malformed status line `\(line)`" }
            if ![200, 400, 401, 403, 413, 431, 500, 503].contains(status) { return "unexpected status \(status)" }
        }
        return nil
    }
}
