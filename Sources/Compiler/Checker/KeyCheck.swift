import Diagnostics
import FrontEnd

/// Validates an entry's JWKS with JOSE and places every key problem at its YAML node,
/// inside the JSON string, or in the `jwksFile`.
enum KeyCheck {
    static func check(_ entry: AuthenticationEntry, into diagnostics: inout DiagnosticBag) {
        // Filled in once JOSE lands.
    }
}
