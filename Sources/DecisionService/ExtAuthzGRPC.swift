public import ExtAuthzProto
public import GRPCCore
public import Runtime

/// Envoy ext_authz over gRPC (`envoy.service.auth.v3.Authorization/Check`): a
/// `CheckRequest` becomes an `HTTPRequest`, the core's answer becomes a `CheckResponse`.
///
/// A denial is a normal RPC result (status UNAUTHENTICATED, PERMISSION_DENIED or
/// INVALID_ARGUMENT inside the `CheckResponse`, with a `DeniedHttpResponse` carrying the
/// HTTP status, `www-authenticate` and the JSON body). Only "no bundle active" fails the
/// RPC itself, with UNAVAILABLE, so Envoy applies `failure_mode_allow`/`status_on_error`.
public struct ExtAuthzGRPC: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    public static let transport = "grpc"
    let core: DecisionCore

    public init(core: DecisionCore) {
        self.core = core
    }

    public func check(request: Envoy_Service_Auth_V3_CheckRequest, context: ServerContext) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        // From the decoded request to the response handed to the transport.
        let start = LatencyRecorder.now()
        defer { core.latency.recorder(Self.transport)?.record(since: start) }
        let outcome: DecisionCore.Outcome = switch Self.httpRequest(from: request) {
        case .success(let http): await core.decideWaitingForKeys(http, transport: Self.transport)
        case .failure(let problem): .decided(core.refuse(problem.text, transport: Self.transport))
        }
        switch outcome {
        case .decided(let response): return Self.checkResponse(response)
        case .unavailable: throw RPCError(code: .unavailable, message: "no policy bundle is active")
        }
    }

    /// The core's answer to `request`, or the bad-input denial when it has no HTTP attributes.
    public func respond(to request: Envoy_Service_Auth_V3_CheckRequest) -> DecisionCore.Outcome {
        switch Self.httpRequest(from: request) {
        case .success(let http): return core.decide(http, transport: Self.transport)
        case .failure(let problem): return .decided(core.refuse(problem.text, transport: Self.transport))
        }
    }

    /// Why a `CheckRequest` cannot be decided.
    public struct Problem: Error, Equatable {
        public let text: String
    }

    /// The request Envoy saw: method, `:authority`, the raw request-target and the headers
    /// (`header_map` when Envoy sent raw headers, else the lower-cased `headers` map, whose
    /// repeated values Envoy already comma-joined). Pseudo-headers are dropped: method,
    /// host and path come from their own fields.
    public static func httpRequest(from request: Envoy_Service_Auth_V3_CheckRequest) -> Result<HTTPRequest, Problem> {
        guard request.hasAttributes, request.attributes.hasRequest, request.attributes.request.hasHTTP else {
            return .failure(Problem(text: "CheckRequest without attributes.request.http"))
        }
        let http = request.attributes.request.http
        guard !http.method.isEmpty, !http.path.isEmpty else {
            return .failure(Problem(text: "CheckRequest without a method or path"))
        }
        var headers: [HTTPHeader] = []
        if http.hasHeaderMap && !http.headerMap.headers.isEmpty {
            for header in http.headerMap.headers where !header.key.hasPrefix(":") {
                if header.rawValue.isEmpty {
                    headers.append(HTTPHeader(name: header.key, value: header.value))
                } else {
                    guard let value = String(validating: header.rawValue, as: UTF8.self) else {
                        return .failure(Problem(text: "a raw header value is not UTF-8"))
                    }
                    headers.append(HTTPHeader(name: header.key, value: value))
                }
            }
        } else {
            for (name, value) in http.headers.sorted(by: { $0.key < $1.key }) where !name.hasPrefix(":") {
                headers.append(HTTPHeader(name: name, value: value))
            }
        }
        return .success(HTTPRequest(method: http.method, host: http.host.isEmpty ? nil : http.host, target: http.path, headers: headers))
    }

    /// The `CheckResponse` for a decided request.
    public static func checkResponse(_ response: ServiceResponse) -> Envoy_Service_Auth_V3_CheckResponse {
        var check = Envoy_Service_Auth_V3_CheckResponse()
        if response.allowed {
            check.status = Google_Rpc_Status.with { $0.code = Int32(Status.Code.ok.rawValue) }
            var ok = Envoy_Service_Auth_V3_OkHttpResponse()
            ok.headers = response.upstreamHeaders.map { overwrite($0.name, $0.value) }
            if case .set(let value) = response.cookie { ok.headers.append(overwrite("cookie", value)) }
            ok.headersToRemove = response.removeHeadersIncludingCookie
            ok.queryParametersToRemove = response.removeQuery
            check.okResponse = ok
            return check
        }
        check.status = Google_Rpc_Status.with {
            $0.code = Int32(grpcCode(status: response.status).rawValue)
            $0.message = response.reason.rawValue
        }
        var denied = Envoy_Service_Auth_V3_DeniedHttpResponse()
        denied.status = Envoy_Type_V3_HttpStatus.with { $0.code = Envoy_Type_V3_StatusCode(rawValue: response.status) ?? .forbidden }
        denied.headers = DenialHeaders.fields(response).map { overwrite($0.name, $0.value) }
        denied.body = response.body
        check.deniedResponse = denied
        return check
    }

    /// 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 400 INVALID_ARGUMENT; any other denial
    /// status (there is none today) is PERMISSION_DENIED.
    static func grpcCode(status: Int) -> Status.Code {
        switch status {
        case 401: return .unauthenticated
        case 400: return .invalidArgument
        default: return .permissionDenied
        }
    }

    static func overwrite(_ name: String, _ value: String) -> Envoy_Config_Core_V3_HeaderValueOption {
        Envoy_Config_Core_V3_HeaderValueOption.with {
            $0.header = Envoy_Config_Core_V3_HeaderValue.with {
                $0.key = name
                $0.value = value
            }
            $0.appendAction = .overwriteIfExistsOrAdd
        }
    }
}
