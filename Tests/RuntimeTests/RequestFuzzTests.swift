import BundleFormat
import Runtime
import TestSupport
import XCTest

/// Hostile requests never crash a decision: seeded random hosts, targets and headers,
/// built from the characters that matter to the parsers, are all decided.
final class RequestFuzzTests: XCTestCase {
    static let alphabet: [Character] = Array("aA0/.%2fFe5cC;\\?#&=+:@[]_- \t\u{7}\u{7F}éBearer".map { $0 }) + ["\r", "\n", "%2e", "%2F", "..", "//", "%00", "%c3%a9", "%e9"].flatMap { Array($0) }

    func randomText(_ generator: inout SplitMix64, maxLength: Int) -> String {
        let length = Int(generator.next() % UInt64(maxLength + 1))
        var text = ""
        for _ in 0..<length { text.append(Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))]) }
        return text
    }

    func testRandomRequestsAreAlwaysDecided() throws {
        let fixture = try DecisionFixture()
        var generator = SplitMix64(seed: 0x5EED_F022)
        let validToken = fixture.apiToken()
        var statuses: [Int: Int] = [:]
        for iteration in 0..<20_000 {
            var target = "/" + randomText(&generator, maxLength: 24)
            if iteration % 3 == 0 { target = "/v1/" + randomText(&generator, maxLength: 12) }
            if iteration % 7 == 0 { target = randomText(&generator, maxLength: 12) }
            let hosts = ["api.example.com", "API.example.com.", "api.example.com:443", randomText(&generator, maxLength: 16), ""]
            let host: String? = iteration % 11 == 0 ? nil : hosts[Int(generator.next() % UInt64(hosts.count))]
            var headers = [HTTPHeader("Authorization", randomText(&generator, maxLength: 20))]
            if iteration % 5 == 0 { headers.append(HTTPHeader("Authorization", "Bearer " + validToken)) }
            if iteration % 4 == 0 { headers.append(HTTPHeader("Cookie", "session=" + randomText(&generator, maxLength: 10))) }
            if iteration % 9 == 0 { headers.append(HTTPHeader("Host", randomText(&generator, maxLength: 10))) }
            let decision = fixture.policy.decide(HTTPRequest(method: "GET", host: host, target: target, headers: headers),
                                                 now: DecisionFixture.now, explain: iteration % 2 == 0)
            XCTAssertTrue([200, 400, 401, 403].contains(decision.status), "\(host ?? "-") \(target)")
            XCTAssertFalse(decision.message.isEmpty)
            statuses[decision.status, default: 0] += 1
        }
        // The corpus reaches every kind of outcome, or it tests less than it seems.
        XCTAssertGreaterThan(statuses[200] ?? 0, 100)
        XCTAssertGreaterThan(statuses[400] ?? 0, 100)
        XCTAssertGreaterThan(statuses[401] ?? 0, 100)
    }
}
