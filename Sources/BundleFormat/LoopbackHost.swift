/// True for `localhost`, `127.0.0.0/8` and `::1` (bracketed or not), in any letter case:
/// the only hosts to which plain HTTP is spoken, by the decision service's bundle sources
/// and by `gatepass-publish fetch`. (The policy front end, which does not depend on this
/// module, applies the same rule in `KeyURL.isLoopback`.)
public func isLoopbackHost(_ host: String) -> Bool {
    let lowered = host.lowercased()
    let bare = lowered.hasPrefix("[") && lowered.hasSuffix("]") ? String(lowered.dropFirst().dropLast()) : lowered
    if bare == "localhost" || bare == "::1" { return true }
    let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
    // Dotted decimal only: digits (`UInt8("+1")` is 1, and `127.+0.0.1` is a name for the
    // resolver, not an address) without a leading zero (`127.0.0.010` is octal 8 to
    // inet_aton and some resolvers), each at most 255.
    return parts.count == 4 && parts[0] == "127"
        && parts.allSatisfy { part in
            (1...3).contains(part.utf8.count) && part.utf8.allSatisfy { $0 &- 0x30 < 10 } && UInt8(part) != nil
                && (part.utf8.count == 1 || part.utf8.first != 0x30)
        }
}
