import BundleFormat
import Runtime

/// Bundle reader: the bytes as a bundle file, loaded as `gatepassd` loads it, and once
/// more with a correct SHA-256 digest appended (so the fuzzer gets past the digest into
/// the sections: seeds are bundles without their last 32 bytes). Loading must fail with
/// an error or give a policy that decides requests within the invariants; a reload into
/// a holder serving the fixed policy keeps that policy when loading fails.
enum BundleTarget {
    static let requests: [HTTPRequest] = [
        HTTPRequest(host: "api.example.com", target: "/admin/users"),
        HTTPRequest(host: "api.example.com", target: "/v1/x/private?access_token=abc", headers: [HTTPHeader("Cookie", "session=abc")]),
        HTTPRequest(host: "partners.example.com", target: "/public/a", headers: [HTTPHeader("Authorization", "Bearer a.b.c")]),
        HTTPRequest(target: "/"),
    ]

    static func run(_ bytes: [UInt8]) -> String? {
        for candidate in [bytes, bytes + SHA256.digest(bytes[...])] {
            let loader = PolicyLoader(environment: FuzzFixtures.environment)
            guard let policy = try? loader.load(bytes: candidate) else {
                let holder = PolicyHolder(loader: loader)
                holder.reload(bytes: FuzzFixtures.bundle)
                if case .loaded = holder.reload(bytes: candidate) { return "the holder loaded what the loader refused" }
                if holder.revision != "fuzz" { return "a failed reload replaced the policy" }
                continue
            }
            _ = policy.revision
            for request in requests {
                if let problem = FuzzFixtures.checkInvariants(policy.decide(request, now: FuzzFixtures.now, explain: true)) {
                    return problem
                }
            }
        }
        return nil
    }
}
