/// Literals for the member names and values that appear in nearly every token, so the
/// parser can skip building (and re-validating) a `String` for them.
enum WellKnownStrings {
    @inline(__always)
    static func match(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        switch bytes.count {
        case 3:
            switch UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) {
            case 0x697373: return "iss"
            case 0x737562: return "sub"
            case 0x617564: return "aud"
            case 0x657870: return "exp"
            case 0x6E6266: return "nbf"
            case 0x696174: return "iat"
            case 0x6A7469: return "jti"
            case 0x616C67: return "alg"
            case 0x6B6964: return "kid"
            case 0x747970: return "typ"
            case 0x637479: return "cty"
            case 0x6A6B75: return "jku"
            case 0x6A776B: return "jwk"
            case 0x783575: return "x5u"
            case 0x783563: return "x5c"
            case 0x623634: return "b64"
            case 0x4A5754: return "JWT"
            default: return nil
            }
        case 5:
            var key: UInt64 = 0
            for index in 0..<5 { key = key << 8 | UInt64(bytes[index]) }
            switch key {
            case 0x73636F7065: return "scope"
            case 0x4853323536: return "HS256"
            case 0x4853333834: return "HS384"
            case 0x4853353132: return "HS512"
            case 0x5253323536: return "RS256"
            case 0x5253333834: return "RS384"
            case 0x5253353132: return "RS512"
            case 0x5053323536: return "PS256"
            case 0x5053333834: return "PS384"
            case 0x5053353132: return "PS512"
            case 0x4553323536: return "ES256"
            case 0x4553333834: return "ES384"
            case 0x4553353132: return "ES512"
            case 0x4564445341: return "EdDSA"
            default: return nil
            }
        default:
            return nil
        }
    }
}
