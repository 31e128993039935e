import Foundation
import Diagnostics
import FrontEnd

/// Types every claim from its requirements and declared type, and reports requirements
/// that need different types, that can never hold together, that belong to dedicated
/// keys, or that contradict the entry's `issuer`, `subject` or `audiences`.
enum ClaimTypeCheck {
    /// The JSON shapes a claim may have.
    enum Shape: Hashable, CaseIterable {
        case string, number, integer, boolean, stringArray, numberArray

        var name: String {
            switch self {
            case .string: "a string"
            case .number: "a number"
            case .integer: "an integer"
            case .boolean: "a boolean"
            case .stringArray: "an array of strings"
            case .numberArray: "an array of numbers"
            }
        }

        /// Shapes a forwarded header can carry.
        static let headerShapes: Set<Shape> = [.string, .number, .integer, .boolean, .stringArray]
    }

    static func check(_ entry: EntryParts, into diagnostics: inout DiagnosticBag) {
        guard let claims = entry.claims else { return }
        var shapesByPath: [[String]: Set<Shape>] = [:]
        var firstDeclaration: [[String]: SourceSpan?] = [:]
        for declaration in claims {
            let path = declaration.path.value
            if let first = firstDeclaration[path] {
                diagnostics.error(.duplicateClaim, "claim `\(display(path))` is declared twice", at: declaration.path.span,
                                  notes: [DiagnosticNote("first declared here", at: first)])
                continue
            }
            firstDeclaration[path] = declaration.path.span
            if ["exp", "nbf", "iat"].contains(path.first!), path.count == 1, let first = declaration.requirements.first {
                diagnostics.error(.registeredTimeClaim, "requirements on `\(path[0])` are not allowed in `claims`", at: first.span,
                                  hint: "use `requireExpiration`, `maxLifetime` and `clockSkew`; they are checked for every token")
                continue
            }
            shapesByPath[path] = inferShapes(declaration, into: &diagnostics)
            checkContradictions(declaration, into: &diagnostics)
            checkRegisteredClaims(declaration, entry: entry, into: &diagnostics)
        }
        for forwarded in entry.forwardClaims ?? [] {
            let path = forwarded.claim.value
            if let deeper = claims.first(where: { $0.path.value.count > path.count && Array($0.path.value.prefix(path.count)) == path }) {
                diagnostics.error(.forwardedClaimType, "claim `\(display(path))` is an object (it has the member `\(display(deeper.path.value))`), which cannot be written as a header",
                                  at: forwarded.claim.span, notes: [DiagnosticNote("the member is required here", at: deeper.path.span)],
                                  hint: "forward a string, number, boolean or array-of-strings claim")
                continue
            }
            if let shapes = shapesByPath[path], !shapes.isEmpty, shapes.isDisjoint(with: Shape.headerShapes) {
                diagnostics.error(.forwardedClaimType, "claim `\(display(path))` is \(describe(shapes)), which cannot be written as a header",
                                  at: forwarded.claim.span, hint: "forward a string, number, boolean or array-of-strings claim")
            }
        }
    }

    /// Intersects the shapes each requirement allows; reports the requirement that leaves none.
    static func inferShapes(_ declaration: ClaimDeclaration, into diagnostics: inout DiagnosticBag) -> Set<Shape> {
        var shapes = Set(Shape.allCases)
        var because: (String, SourceSpan?)?
        if let declared = declaration.declaredType {
            shapes = shapesOf(declared.value)
            because = ("declared `\(declared.value.rawValue)` here", declared.span)
        }
        for requirement in declaration.requirements {
            guard let (allowed, word) = allowedShapes(requirement, into: &diagnostics) else { continue }
            let narrowed = shapes.intersection(allowed)
            if narrowed.isEmpty {
                let notes = because.map { [DiagnosticNote($0.0, at: $0.1)] } ?? []
                diagnostics.error(.claimTypeConflict,
                                  "`\(word)` needs \(describe(allowed)), but claim `\(display(declaration.path.value))` must be \(describe(shapes))",
                                  at: requirement.span, notes: notes, hint: "these requirements can never hold for the same claim")
                return []
            }
            if because == nil || narrowed != shapes { because = ("`\(word)` requires \(describe(narrowed)) here", requirement.span) }
            shapes = narrowed
        }
        return shapes
    }

    static func allowedShapes(_ requirement: ClaimRequirement, into diagnostics: inout DiagnosticBag) -> (Set<Shape>, String)? {
        switch requirement.kind {
        case .equals(let value):
            switch value {
            case .string: return ([.string], "equals")
            case .boolean: return ([.boolean], "equals")
            case .number(let number, _): return (number == number.rounded() ? [.number, .integer] : [.number], "equals")
            }
        case .oneOf(let values):
            guard let kind = uniformKind(values, word: "oneOf", span: requirement.valueSpan, into: &diagnostics) else { return nil }
            if kind == .boolean {
                diagnostics.error(.claimTypeConflict, "`oneOf` takes strings or numbers, not booleans", at: requirement.valueSpan,
                                  hint: "use `equals: true` or `equals: false`")
                return nil
            }
            return (kind == .string ? [.string] : [.number, .integer], "oneOf")
        case .contains(let value):
            return containsShapes([value], word: "contains", span: requirement.valueSpan, into: &diagnostics)
        case .containsAll(let values):
            return containsShapes(values, word: "containsAll", span: requirement.valueSpan, into: &diagnostics)
        case .containsAny(let values):
            return containsShapes(values, word: "containsAny", span: requirement.valueSpan, into: &diagnostics)
        case .atLeast: return ([.number, .integer], "atLeast")
        case .atMost: return ([.number, .integer], "atMost")
        case .present, .absent: return nil
        }
    }

    static func containsShapes(_ values: [ClaimValue], word: String, span: SourceSpan, into diagnostics: inout DiagnosticBag) -> (Set<Shape>, String)? {
        guard let kind = uniformKind(values, word: word, span: span, into: &diagnostics) else { return nil }
        switch kind {
        case .string: return ([.stringArray, .string], word)
        case .number: return ([.numberArray], word)
        case .boolean:
            diagnostics.error(.claimTypeConflict, "`\(word)` takes strings or numbers, not booleans", at: span)
            return nil
        }
    }

    enum ValueKind { case string, number, boolean }

    static func uniformKind(_ values: [ClaimValue], word: String, span: SourceSpan, into diagnostics: inout DiagnosticBag) -> ValueKind? {
        let kinds = Set(values.map { value -> ValueKind in
            switch value {
            case .string: .string
            case .number: .number
            case .boolean: .boolean
            }
        })
        guard kinds.count <= 1 else {
            diagnostics.error(.claimTypeConflict, "`\(word)` mixes \(kinds.contains(.string) ? "strings" : "booleans") and \(kinds.contains(.number) ? "numbers" : "booleans")",
                              at: span, hint: "quote numbers that are meant as strings, such as `\"42\"`")
            return nil
        }
        return kinds.first
    }

    static func shapesOf(_ type: ClaimType) -> Set<Shape> {
        switch type {
        case .string: [.string]
        case .number: [.number, .integer]
        case .integer: [.integer]
        case .boolean: [.boolean]
        case .stringArray: [.stringArray]
        }
    }

    static func describe(_ shapes: Set<Shape>) -> String {
        if shapes == [.number, .integer] { return "a number" }
        if shapes == [.stringArray, .string] { return "an array of strings or a space-delimited string" }
        let names = Shape.allCases.filter(shapes.contains).map(\.name)
        if names.count <= 1 { return names.first ?? "nothing" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    static func display(_ path: [String]) -> String {
        path.map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ".", with: "\\.") }.joined(separator: ".")
    }
}
