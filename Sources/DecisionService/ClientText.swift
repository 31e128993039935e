public import Runtime

/// The texts a client sees: a fixed short description per reason and a client-safe
/// `WWW-Authenticate` challenge. Never a file name, line, claim value, key id or entry name.
///
/// This is the one place to switch to `Decision.clientDescription` / the runtime's
/// client-safe challenge once the runtime offers them.
public enum ClientText {
    /// A fixed short description of `reason`.
    public static func description(_ reason: Decision.Reason) -> String {
        switch reason {
        case .noAuthRequired: return "no authentication required"
        case .authenticated: return "authenticated"
        case .badRequest: return "the request is malformed or ambiguous"
        case .tokenMissing: return "a token is required"
        case .tokenAmbiguous: return "the request carries more than one token"
        case .tokenMalformed: return "the token is malformed"
        case .tokenTooLarge: return "the token is too large"
        case .unsupportedAlgorithm: return "the token's algorithm is not accepted"
        case .unknownKey: return "the token's signing key is not known"
        case .badSignature: return "the token's signature is invalid"
        case .tokenExpired: return "the token has expired"
        case .tokenNotYetValid: return "the token is not valid yet"
        case .tokenIssuedInFuture: return "the token is issued in the future"
        case .lifetimeExceeded: return "the token's lifetime is too long"
        case .issuerMismatch: return "the token's issuer is not accepted"
        case .subjectMismatch: return "the token's subject is not accepted"
        case .audienceMismatch: return "the token's audience is not accepted"
        case .claimRequirementFailed: return "the token does not grant access to this resource"
        }
    }

    /// The RFC 6750 challenge for a 401 or 403 decision; nil for other statuses.
    public static func challenge(_ decision: Decision) -> String? {
        guard decision.status == 401 || decision.status == 403 else { return nil }
        let error: String?
        switch decision.reason {
        case .tokenMissing: error = nil
        case .badRequest, .tokenAmbiguous: error = "invalid_request"
        case .claimRequirementFailed: error = "insufficient_scope"
        default: error = "invalid_token"
        }
        guard let error else { return "Bearer realm=\"gatepass\"" }
        return "Bearer realm=\"gatepass\", error=\"\(error)\", error_description=\"\(description(decision.reason))\""
    }

    /// The JSON body of a denial: `{"reason":"<code>","description":"<text>"}`. Both parts are
    /// fixed ASCII texts without quotes or backslashes, so no escaping is needed.
    public static func body(_ reason: Decision.Reason) -> String {
        "{\"reason\":\"\(reason.rawValue)\",\"description\":\"\(description(reason))\"}"
    }
}
