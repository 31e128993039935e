import Diagnostics
import FrontEnd

extension ClaimTypeCheck {
    /// Requirements that each could hold but never together.
    static func checkContradictions(_ declaration: ClaimDeclaration, into diagnostics: inout DiagnosticBag) {
        let name = display(declaration.path.value)
        var equals: (ClaimValue, ClaimRequirement)?
        var oneOf: ([ClaimValue], ClaimRequirement)?
        var lower: (Double, ClaimRequirement)?
        var upper: (Double, ClaimRequirement)?
        var present: ClaimRequirement?
        var absent: ClaimRequirement?
        var valueRequirements: [ClaimRequirement] = []
        var contains: [(ClaimValue, ClaimRequirement)] = []
        for requirement in declaration.requirements {
            switch requirement.kind {
            case .equals(let value): equals = (value, requirement); valueRequirements.append(requirement)
            case .oneOf(let values): oneOf = (values, requirement); valueRequirements.append(requirement)
            case .atLeast(let bound): lower = (bound, requirement); valueRequirements.append(requirement)
            case .atMost(let bound): upper = (bound, requirement); valueRequirements.append(requirement)
            case .contains(let value): contains.append((value, requirement)); valueRequirements.append(requirement)
            case .containsAll(let values): contains += values.map { ($0, requirement) }; valueRequirements.append(requirement)
            case .containsAny: valueRequirements.append(requirement)
            case .present: present = requirement
            case .absent: absent = requirement
            }
        }
        func contradiction(_ message: String, _ at: ClaimRequirement, _ other: ClaimRequirement) {
            diagnostics.error(.claimContradiction, message, at: at.span,
                              notes: [DiagnosticNote("the other requirement is here", at: other.span)],
                              hint: "no token can satisfy both; remove or correct one of them")
        }
        if let absent {
            if let present { contradiction("claim `\(name)` cannot be both absent and present", absent, present) }
            if let first = valueRequirements.first { contradiction("claim `\(name)` must be absent, but another requirement needs a value", absent, first) }
        }
        if let (value, requirement) = equals {
            if let (values, other) = oneOf, !values.contains(value) {
                contradiction("claim `\(name)` must equal \(value), which is not one of `oneOf`", requirement, other)
            }
            if case .number(let number, _) = value {
                if let (bound, other) = lower, number < bound { contradiction("claim `\(name)` must equal \(value), below `atLeast: \(format(bound))`", requirement, other) }
                if let (bound, other) = upper, number > bound { contradiction("claim `\(name)` must equal \(value), above `atMost: \(format(bound))`", requirement, other) }
            }
            if case .string(let text) = value {
                let words = Set(text.split(separator: " ").map(String.init))
                for (needed, other) in contains {
                    if case .string(let word) = needed, !words.contains(word) {
                        contradiction("claim `\(name)` must equal \(value), which does not contain `\(word)`", other, requirement)
                    }
                }
            }
        }
        if let (low, lowRequirement) = lower, let (high, highRequirement) = upper, low > high {
            contradiction("`atLeast: \(format(low))` and `atMost: \(format(high))` leave no value for claim `\(name)`", lowRequirement, highRequirement)
        }
        if let (values, requirement) = oneOf, lower != nil || upper != nil {
            let numbers = values.compactMap { value -> Double? in
                if case .number(let number, _) = value { return number }
                return nil
            }
            let inRange = numbers.filter { ($0 >= (lower?.0 ?? -.infinity)) && ($0 <= (upper?.0 ?? .infinity)) }
            if !numbers.isEmpty, inRange.isEmpty, let other = lower?.1 ?? upper?.1 {
                contradiction("no value of `oneOf` for claim `\(name)` is within the `atLeast`/`atMost` bounds", requirement, other)
            }
        }
    }

    /// `iss`, `sub` and `aud` requirements must agree with the entry's own keys.
    static func checkRegisteredClaims(_ declaration: ClaimDeclaration, entry: EntryParts, into diagnostics: inout DiagnosticBag) {
        let path = declaration.path.value
        guard path.count == 1 else { return }
        let expected: [String]
        let key: String
        switch path[0] {
        case "iss":
            guard let issuer = entry.issuer else { return }
            expected = [issuer.value]; key = "issuer"
        case "sub":
            guard let subject = entry.subject else { return }
            expected = [subject.value]; key = "subject"
        case "aud":
            guard let audiences = entry.audiences, !audiences.isEmpty else { return }
            expected = audiences.map(\.value); key = "audiences"
        default: return
        }
        let keySpan: SourceSpan? = switch path[0] {
        case "iss": entry.issuer?.span
        case "sub": entry.subject?.span
        default: entry.audiences?.first?.span
        }
        func conflict(_ message: String, _ requirement: ClaimRequirement) {
            diagnostics.error(.registeredClaimConflict, message, at: requirement.span,
                              notes: [DiagnosticNote("`\(key)` is set here", at: keySpan)],
                              hint: "`\(key)` already checks `\(path[0])`; remove the claim requirement or make it agree")
        }
        for requirement in declaration.requirements {
            switch requirement.kind {
            case .absent:
                conflict("claim `\(path[0])` cannot be absent: `\(key)` requires it", requirement)
            case .equals(let value):
                if case .string(let text) = value, expected.contains(text) { continue }
                conflict("claim `\(path[0])` must equal \(value), but `\(key)` requires \(expected.map { "`\($0)`" }.joined(separator: " or "))", requirement)
            case .oneOf(let values):
                if values.contains(where: { if case .string(let text) = $0 { expected.contains(text) } else { false } }) { continue }
                conflict("no value of `oneOf` for claim `\(path[0])` satisfies `\(key)`", requirement)
            default:
                continue
            }
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
