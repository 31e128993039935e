import JOSE
import Runtime

/// Environment secrets (`kEnv`) a run does not have, replaced by random ones: `gatepass
/// test` always, `gatepass eval --random-missing-secrets` on request. Tokens signed with the
/// real secret cannot verify then, but every other entry can be decided.
public enum RandomSecrets {
    public static let forMissing: @Sendable (String) -> String? = { name in
        if let value = PolicyLoader.processEnvironment(name), !value.isEmpty { return value }
        return Base64URL.encode((0..<64).map { _ in UInt8.random(in: 0...255) })
    }
}
