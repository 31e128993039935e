import BundleFormat
import JOSE
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs an entry's lowered claim checks on a verified token's payload.
///
/// A claim of the wrong type fails its requirement; string comparisons are exact and
/// case-sensitive; `contains` on a string looks for a word among runs of ASCII spaces.
/// A `null` claim counts as absent.
enum ClaimEvaluation {
    /// The first failing check, or nil when all hold.
    /// `paths` are the checks' paths with their names keyed (``RuntimeEntry/claimCheckPaths``).
    /// `sourceMap` is read only to describe a failure.
    static func firstFailure(_ checks: [ClaimCheck], paths: [[JSONMemberName]], payload token: JWSToken,
                             sourceMap: () -> [SourceLocation]) -> ClaimFailure? {
        // By index: a copied check would retain its path and literals on every request.
        for index in checks.indices {
            // A top-level string claim written without escapes is checked on its bytes in
            // the payload; anything else is built (and so is a failing claim, to describe it).
            if token.testPlainStringClaim(paths[index], { holds(checks[index].operation, string: $0) }) == true { continue }
            var value = token.claim(paths[index])
            if case .null = value { value = nil }
            if holds(checks[index].operation, value) { continue }
            let check = checks[index], sourceMap = sourceMap()
            let location = Int(check.source) < sourceMap.count ? sourceMap[Int(check.source)].description : "?"
            return ClaimFailure(checkIndex: index, path: check.path, requirement: BundleDumpText.describe(check.operation),
                                found: value.map { "the token has \(describe($0))" } ?? "the token does not have it", location: location)
        }
        return nil
    }

    static func holds(_ operation: ClaimCheck.Operation, _ value: JSONValue?) -> Bool {
        switch operation {
        case .present: return value != nil
        case .absent: return value == nil
        case .hasType(let type):
            guard let value else { return true }
            return hasType(value, type)
        case .equals(let literal):
            guard let value else { return false }
            return equals(value, literal)
        case .oneOf(let literals):
            guard let value else { return false }
            return literals.contains { equals(value, $0) }
        case .contains(let literal):
            guard let value else { return false }
            return contains(value, literal)
        case .containsAll(let literals):
            guard let value else { return false }
            return literals.allSatisfy { contains(value, $0) }
        case .containsAny(let literals):
            guard let value else { return false }
            return literals.contains { contains(value, $0) }
        case .atLeast(let bound):
            guard let number = value?.numberValue?.double else { return false }
            return number >= bound
        case .atMost(let bound):
            guard let number = value?.numberValue?.double else { return false }
            return number <= bound
        }
    }

    /// ``holds(_:_:)`` of a string claim given as its UTF-8 bytes: the same answer.
    static func holds(_ operation: ClaimCheck.Operation, string text: UnsafeBufferPointer<UInt8>) -> Bool {
        func equals(_ literal: ClaimLiteral) -> Bool {
            if case .string(let expected) = literal { return UTF8Bytes.equal(text, expected) }
            return false
        }
        func contains(_ literal: ClaimLiteral) -> Bool {
            if case .string(let word) = literal { return ASCII.withBytes(word) { containsWord(text, $0) } }
            return false
        }
        switch operation {
        case .present: return true
        case .absent: return false
        case .hasType(let type): return type == .string
        case .equals(let literal): return equals(literal)
        case .oneOf(let literals): return literals.contains(where: equals)
        case .contains(let literal): return contains(literal)
        case .containsAll(let literals): return literals.allSatisfy(contains)
        case .containsAny(let literals): return literals.contains(where: contains)
        case .atLeast, .atMost: return false
        }
    }

    static func equals(_ value: JSONValue, _ literal: ClaimLiteral) -> Bool {
        switch (value, literal) {
        case (.string(let text, _), .string(let expected)): return UTF8Bytes.equal(text, expected)
        case (.number(let number, _), .number(let expected)): return number.double == expected
        case (.bool(let flag, _), .boolean(let expected)): return flag == expected
        default: return false
        }
    }

    static func contains(_ value: JSONValue, _ literal: ClaimLiteral) -> Bool {
        switch value {
        case .array(let elements, _):
            return elements.contains { equals($0, literal) }
        case .string(let text, _):
            guard case .string(let word) = literal else { return false }
            return containsWord(text, word)
        default:
            return false
        }
    }

    /// Whether `word` is one of the words of `text` separated by runs of ASCII spaces,
    /// compared as bytes without splitting (no allocation on the decision path).
    static func containsWord(_ text: String, _ word: String) -> Bool {
        ASCII.withBytes(text) { haystack in ASCII.withBytes(word) { containsWord(haystack, $0) } }
    }

    static func containsWord(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !needle.isEmpty else { return false }
        var start = 0
        while start < haystack.count {
            while start < haystack.count, haystack[start] == UInt8(ascii: " ") { start += 1 }
            var end = start
            while end < haystack.count, haystack[end] != UInt8(ascii: " ") { end += 1 }
            if end - start == needle.count, memcmp(haystack.baseAddress! + start, needle.baseAddress!, needle.count) == 0 {
                return true
            }
            start = end
        }
        return false
    }

    static func hasType(_ value: JSONValue, _ type: ClaimValueType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.number, .number), (.boolean, .bool): return true
        case (.integer, .number(let number, _)):
            guard let double = number.double else { return false }
            return double == double.rounded()
        case (.stringArray, .array(let elements, _)):
            return elements.allSatisfy { if case .string = $0 { true } else { false } }
        default: return false
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text, _): "the string \"\(text)\""
        case .number(let number, _): "the number \(number.text)"
        case .bool(let flag, _): flag ? "true" : "false"
        case .array(let elements, _): "an array of \(elements.count)"
        case .object: "an object"
        case .null: "null"
        }
    }
}

/// Descriptions of claim operations for messages.
enum BundleDumpText {
    static func describe(_ operation: ClaimCheck.Operation) -> String {
        BundleDump.describe(operation)
    }
}
