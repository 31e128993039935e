public import NIOCore

/// The peer addresses whose `X-Forwarded-*` and `X-Original-*` headers forward auth
/// believes: exact IP addresses (no ranges), loopback by default. IPv4-mapped IPv6 peers
/// (`::ffff:127.0.0.1`) compare as their IPv4 address.
public struct TrustedProxies: Sendable, Equatable {
    let addresses: Set<String>

    public static let loopback = try! TrustedProxies(["127.0.0.1", "::1"])

    /// Why an address is not an IP address.
    public struct InvalidAddress: Error, CustomStringConvertible {
        public let address: String
        public var description: String { "`\(address)` is not an IPv4 or IPv6 address" }
    }

    public init(_ addresses: [String]) throws(InvalidAddress) {
        var canonical: Set<String> = []
        for address in addresses {
            let bare = address.hasPrefix("[") && address.hasSuffix("]") ? String(address.dropFirst().dropLast()) : address
            guard let parsed = try? SocketAddress(ipAddress: bare, port: 0), let text = Self.canonical(parsed) else {
                throw InvalidAddress(address: address)
            }
            canonical.insert(text)
        }
        self.addresses = canonical
    }

    /// True when `peer` is one of the trusted addresses.
    public func trusts(_ peer: SocketAddress?) -> Bool {
        guard let peer, let text = Self.canonical(peer) else { return false }
        return addresses.contains(text)
    }

    static func canonical(_ address: SocketAddress) -> String? {
        guard let ip = address.ipAddress else { return nil }
        let lower = ip.lowercased()
        if lower.hasPrefix("::ffff:"), lower.dropFirst(7).contains(".") { return String(lower.dropFirst(7)) }
        return lower
    }
}
