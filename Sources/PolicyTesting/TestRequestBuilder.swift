import BundleFormat
import Diagnostics
import FrontEnd
import JOSE
import Runtime
import TokenSigning

/// Turns a test case into the HTTP request it describes, signing its token on the way.
struct TestRequestBuilder {
    let program: DecisionProgram
    let signers: [String: TestKey]
    let now: Double

    /// A signing key of the run: a fresh key pair (or secret) and the entry it belongs to.
    struct TestKey {
        let declaration: TestSigningKey
        let signer: TestSigner
        let kid: String
    }

    enum BuildError: Error {
        case message(String)
    }

    func request(for testCase: PolicyTestCase) throws(BuildError) -> HTTPRequest {
        var headers = testCase.headers.map { HTTPHeader(name: $0.name, value: $0.value) }
        var cookies = testCase.cookies.map { "\($0.name)=\($0.value)" }
        var target = testCase.target
        if let token = testCase.token {
            let (value, entry) = try tokenValue(token)
            let location = placement(token, entry: entry)
            let text = location.prefix + value
            switch location.from {
            case "query":
                let separator = target.contains("?") ? "&" : "?"
                target += separator + percentEncode(location.name) + "=" + percentEncode(text)
            case "cookie":
                cookies.append("\(location.name)=\(text)")
            default:
                headers.append(HTTPHeader(name: location.name, value: text))
            }
        }
        if !cookies.isEmpty { headers.append(HTTPHeader(name: "Cookie", value: cookies.joined(separator: "; "))) }
        return HTTPRequest(method: testCase.method, host: testCase.host, target: target, headers: headers)
    }

    /// The token text and the entry whose key signed it (for default claims and placement).
    func tokenValue(_ token: TestToken) throws(BuildError) -> (String, Entry?) {
        switch token.source {
        case .literal(let text):
            return (text, nil)
        case .signed(let keyName, let headerMembers, let claimMembers):
            guard let key = signers[keyName.value] else { throw .message("no signing key `\(keyName.value)`") }
            let entry = key.declaration.entry.flatMap { name in program.entries.first { $0.name == name.value } }
            var header: [(String, TestValue)] = [("alg", .string(key.signer.algorithm.rawValue)), ("typ", .string("JWT")), ("kid", .string(key.kid))]
            merge(&header, headerMembers)
            var claims: [(String, TestValue)] = []
            if let entry {
                claims.append(("iss", .string(entry.issuer)))
                if let subject = entry.subject { claims.append(("sub", .string(subject))) }
                if let audience = entry.audiences.first { claims.append(("aud", .string(audience))) }
            }
            claims.append(("iat", .relativeTime(0)))
            claims.append(("exp", .relativeTime(3600)))
            merge(&claims, claimMembers)
            let token = key.signer.sign(header: json(.object(header)), payload: json(.object(claims)))
            return (token, entry)
        }
    }

    /// Later members replace earlier ones of the same name; `null` removes a member.
    func merge(_ base: inout [(String, TestValue)], _ overrides: [(String, TestValue)]) {
        for (name, value) in overrides {
            base.removeAll { $0.0 == name }
            if case .null = value { continue }
            base.append((name, value))
        }
    }

    func placement(_ token: TestToken, entry: Entry?) -> (from: String, name: String, prefix: String) {
        if let location = token.location { return location }
        if let first = entry?.tokenLocations.first {
            let from = ["header", "query", "cookie"][Int(first.source.rawValue)]
            return (from, first.name, first.prefix)
        }
        return ("header", "Authorization", "Bearer ")
    }

    func json(_ value: TestValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return text
        case .relativeTime(let offset):
            let time = now + Double(offset)
            return time == time.rounded() ? String(Int(time)) : String(time)
        case .string(let text):
            var out = ""
            JSONOutput.quote(text, into: &out)
            return out
        case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { name, member in
                var key = ""
                JSONOutput.quote(name, into: &key)
                return key + ":" + json(member)
            }.joined(separator: ",") + "}"
        }
    }

    func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if PathPattern.isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
            }
        }
        return out
    }
}
