import ArgumentParser

/// A `HOST:PORT` given on the command line (`127.0.0.1:9191`, `[::1]:9191`, `authz.internal:9191`).
struct GatewayAddress: ExpressibleByArgument, CustomStringConvertible {
    var host: String
    var port: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":") else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }),
              let port = Int(argument[argument.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, with brackets around an IPv6 address.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// An IP literal needs no DNS (Envoy `STATIC` clusters); a name does (`STRICT_DNS`).
    var isIPLiteral: Bool {
        host.contains(":") || host.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
    }

    static var defaultValueDescriptionHint: String { "HOST:PORT" }
}
