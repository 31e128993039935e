public import Runtime

/// The texts a client sees: the runtime's fixed short description per reason and its
/// client-safe `WWW-Authenticate` challenge (RFC 6750, with `clientDescription` as the
/// `error_description`). Never a file name, line, claim value or key id.
public enum ClientText {
    /// A fixed short description of `reason`.
    public static func description(_ reason: Decision.Reason) -> String {
        reason.clientDescription
    }

    /// The challenge for a 401 or 403 decision; nil for other statuses.
    public static func challenge(_ decision: Decision) -> String? {
        decision.wwwAuthenticate
    }

    /// The JSON body of a denial: `{"reason":"<code>","description":"<text>"}`. Both parts are
    /// fixed ASCII texts without quotes or backslashes, so no escaping is needed.
    public static func body(_ reason: Decision.Reason) -> String {
        "{\"reason\":\"\(reason.rawValue)\",\"description\":\"\(description(reason))\"}"
    }
}
