/// The response headers of every denial, on every transport: `www-authenticate` (401 and
/// 403), `content-type`, and `x-gatepass-status` / `x-gatepass-reason`, which gateways that
/// cannot pass a status through (nginx) map back to the client's status and body, and
/// `x-gatepass-revision` when a bundle decided.
enum DenialHeaders {
    static let statusHeader = "x-gatepass-status"
    static let reasonHeader = "x-gatepass-reason"

    static func fields(_ response: ServiceResponse) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if let challenge = response.wwwAuthenticate { fields.append(("www-authenticate", challenge)) }
        fields.append(("content-type", "application/json"))
        fields.append((statusHeader, String(response.status)))
        fields.append((reasonHeader, response.reason.rawValue))
        if let revision = response.revision { fields.append((ServiceResponse.revisionHeader, revision)) }
        return fields
    }
}
