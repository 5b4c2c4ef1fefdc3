import FilegateCore
import FilegateDialects
import FilegateWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Walks a parsed config document once, building typed values and collecting every problem and warning.
///
/// Each check records its problem and carries on (a field that fails yields `nil`), so one run reports all of them;
/// every message starts with the field's path (`backends[0].directroy: unknown key`).
struct ConfigReader {
    let directory: String
    let environment: [String: String]
    private(set) var problems: [String] = []
    private(set) var warnings: [String] = []

    init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }

    private static let topKeys: Set<String> = [
        "listen", "public_base_url", "max_upload_bytes", "state_directory", "backends", "clients",
        "max_request_line_bytes", "max_header_bytes", "max_header_count", "client_header_timeout_seconds",
        "client_body_timeout_seconds", "keepalive_timeout_seconds", "send_timeout_seconds", "lingering_close_seconds",
        "lingering_close_bytes", "max_connections", "access_log",
    ]
    private static let backendKeys: Set<String> = [
        "name", "kind", "directory", "endpoint", "api_key_env", "api_key_file", "api_version", "organization",
        "project", "purposes", "expires_after_range_seconds", "default_expires_after_seconds",
        "connect_timeout_seconds", "first_byte_timeout_seconds", "ca_file", "max_list_entries", "max_upload_bytes",
        "max_upstream_connections", "upstream_queue_timeout_seconds",
    ]
    /// Keys every remote kind takes (issue 4's per-backend settings).
    private static let remoteKeys: Set<String> = [
        "endpoint", "api_key_env", "api_key_file", "connect_timeout_seconds", "first_byte_timeout_seconds",
        "ca_file", "max_list_entries", "max_upstream_connections", "upstream_queue_timeout_seconds",
    ]
    private static let clientKeys: Set<String> = ["name", "key_sha256", "backends", "default_backend"]

    /// Reads the whole document; `nil` when a problem was found (the problems say why).
    mutating func read(_ root: JSONValue) -> GatewayConfig? {
        guard let top = object(root, at: "config", known: Self.topKeys) else { return nil }
        let listen = listenAddress(top["listen"])
        let publicBaseURL = top["public_base_url"].flatMap {
            url(string($0, at: "public_base_url"), at: "public_base_url")
        }
        if let listen, listen.isWildcard, top["public_base_url"] == nil {
            problem(
                "listen",
                "\(listen) listens on every address, which no client can use in a URL: set public_base_url"
            )
        }
        var maxUploadBytes = GatewayConfig.defaultMaxUploadBytes
        if let value = top["max_upload_bytes"], let given = integer(value, at: "max_upload_bytes") {
            if given > 0 { maxUploadBytes = given } else { problem("max_upload_bytes", "must be greater than 0") }
        }
        let requestLimits = self.requestLimits(top)
        let connectionTimeouts = self.connectionTimeouts(top)
        let maxConnections = positive(top["max_connections"], at: "max_connections")
        let accessLog = top["access_log"].flatMap { boolean($0, at: "access_log") } ?? true
        var stateDirectory: String? = directory
        if let value = top["state_directory"] {
            stateDirectory = resolvedPath(string(value, at: "state_directory"), at: "state_directory")
        }
        let backendValues = nonEmptyArray(top["backends"], at: "backends")
        let backendNames = backendValues.map { Self.rawString($0, "name") }
        let backends = backendValues.enumerated().map {
            backend($1, at: "backends[\($0)]", defaultMaxUploadBytes: maxUploadBytes)
        }
        let clientValues = nonEmptyArray(top["clients"], at: "clients")
        let clients = clientValues.enumerated().map {
            client($1, at: "clients[\($0)]", backendNames: Set(backendNames.compactMap { $0 }))
        }
        checkUnique(backendNames, field: "name", in: "backends", what: "backend name")
        checkUnique(clientValues.map { Self.rawString($0, "name") }, field: "name", in: "clients", what: "client name")
        let hashes = clientValues.map { Self.rawString($0, "key_sha256")?.lowercased() }
        checkUnique(hashes, field: "key_sha256", in: "clients", what: "key")
        guard problems.isEmpty, let listen, let stateDirectory else { return nil }
        return GatewayConfig(
            listen: listen,
            givenPublicBaseURL: publicBaseURL,
            maxUploadBytes: maxUploadBytes,
            requestLimits: requestLimits,
            connectionTimeouts: connectionTimeouts,
            maxConnections: maxConnections.map { Int($0) } ?? GatewayConfig.defaultMaxConnections,
            accessLog: accessLog,
            stateDirectory: stateDirectory,
            backends: backends.compactMap { $0 },
            clients: clients.compactMap { $0 },
            warnings: warnings
        )
    }

    // MARK: Sections

    /// The listener's head limits (issue 5 point 2): `max_request_line_bytes`, `max_header_bytes`,
    /// `max_header_count`, each a positive integer, each defaulting to `RequestLimits`' own default.
    private mutating func requestLimits(_ top: [String: JSONValue]) -> RequestLimits {
        var limits = RequestLimits()
        if let value = positive(top["max_request_line_bytes"], at: "max_request_line_bytes") {
            limits.maxRequestLineBytes = Int(value)
        }
        if let value = positive(top["max_header_bytes"], at: "max_header_bytes") {
            limits.maxHeaderBytes = Int(value)
        }
        if let value = positive(top["max_header_count"], at: "max_header_count") {
            limits.maxHeaderCount = Int(value)
        }
        return limits
    }

    /// The listener's timeouts and lingering close (issue 5 points 3 and 4), each defaulting to
    /// `ConnectionTimeouts`' own default: seconds in 1...86400 (a day, far past any sane wait, keeps deadlines from
    /// overflowing) and a positive byte count.
    private mutating func connectionTimeouts(_ top: [String: JSONValue]) -> ConnectionTimeouts {
        var timeouts = ConnectionTimeouts()
        let durations: [(String, WritableKeyPath<ConnectionTimeouts, Duration>)] = [
            ("client_header_timeout_seconds", \.header), ("client_body_timeout_seconds", \.body),
            ("keepalive_timeout_seconds", \.keepAlive), ("send_timeout_seconds", \.send),
            ("lingering_close_seconds", \.lingeringClose),
        ]
        for (key, field) in durations {
            guard let seconds = positive(top[key], at: key) else { continue }
            if seconds <= Self.maxTimeoutSeconds {
                timeouts[keyPath: field] = .seconds(seconds)
            } else {
                problem(key, "must be at most \(Self.maxTimeoutSeconds) (a day)")
            }
        }
        if let bytes = positive(top["lingering_close_bytes"], at: "lingering_close_bytes") {
            timeouts.lingeringCloseBytes = Int(bytes)
        }
        return timeouts
    }

    private static let maxTimeoutSeconds: Int64 = 86_400

    private mutating func listenAddress(_ value: JSONValue?) -> ListenAddress? {
        guard let text = string(required(value, at: "listen"), at: "listen") else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            problem(
                "listen",
                "\"\(text)\" is not host:port (an IPv4 address, localhost or [IPv6], and a port in 0...65535)"
            )
            return nil
        }
        return address
    }

    private mutating func backend(
        _ value: JSONValue,
        at path: String,
        defaultMaxUploadBytes: Int64
    ) -> BackendConfig? {
        guard let fields = object(value, at: path, known: Self.backendKeys) else { return nil }
        let name = string(required(fields["name"], at: "\(path).name"), at: "\(path).name")
        if let name, !Self.isName(name) {
            problem("\(path).name", "\"\(name)\" may use only letters, digits, _ and -")
        }
        var kind: BackendKind?
        if let word = string(required(fields["kind"], at: "\(path).kind"), at: "\(path).kind") {
            kind = BackendKind(rawValue: word)
            if kind == nil {
                let kinds = BackendKind.allCases.map(\.rawValue).joined(separator: ", ")
                problem("\(path).kind", "unknown kind \"\(word)\"; expected one of \(kinds)")
            }
        }
        let location = kind.flatMap { backendLocation(fields, kind: $0, at: path) }
        let purposes = fields["purposes"].flatMap { purposeSet($0, at: "\(path).purposes") }
        var range = kind?.defaultExpiresAfterRange
        if let value = fields["expires_after_range_seconds"] {
            range = expiresAfterRange(value, at: "\(path).expires_after_range_seconds")
        }
        var defaultExpiry: Int64?
        let defaultPath = "\(path).default_expires_after_seconds"
        if let value = fields["default_expires_after_seconds"], let seconds = integer(value, at: defaultPath) {
            if let range, !range.contains(seconds) {
                problem(defaultPath, "\(seconds) lies outside \(range.lowerBound)...\(range.upperBound)")
            } else if seconds < 1 {
                problem(defaultPath, "must be at least 1")
            } else {
                defaultExpiry = seconds
            }
        } else if kind == .azureV1, fields["default_expires_after_seconds"] == nil {
            warnings.append(
                "\(defaultPath): not set; the Azure v1 reference marks expires_after required on create, "
                    + "so creates without one may be refused"
            )
        }
        let maxUploadBytes = positive(fields["max_upload_bytes"], at: "\(path).max_upload_bytes")
        guard let name, let kind, let location else { return nil }
        return BackendConfig(
            name: name,
            kind: kind,
            location: location,
            purposes: purposes,
            expiresAfterRange: range,
            defaultExpiresAfterSeconds: defaultExpiry,
            maxUploadBytes: maxUploadBytes ?? defaultMaxUploadBytes
        )
    }

    /// The kind-specific fields: `directory` for local, endpoint and key (and dialect settings) for remote kinds.
    private mutating func backendLocation(
        _ fields: [String: JSONValue],
        kind: BackendKind,
        at path: String
    ) -> BackendConfig.Location? {
        let remote = Self.remoteKeys
        let allowed: Set<String> =
            switch kind {
            case .local: ["directory"]
            case .openai: remote.union(["organization", "project"])
            case .azureV1: remote
            case .azureLegacy: remote.union(["api_version"])
            }
        let kindSpecific = remote.union(["directory", "api_version", "organization", "project"])
        for key in kindSpecific.subtracting(allowed).sorted() where fields[key] != nil {
            problem("\(path).\(key)", "not used by kind \(kind.rawValue)")
        }
        if kind == .local {
            let field = "\(path).directory"
            return resolvedPath(string(required(fields["directory"], at: field), at: field), at: field)
                .map { .local(directory: $0) }
        }
        let endpointField = "\(path).endpoint"
        let endpoint = url(
            string(required(fields["endpoint"], at: endpointField), at: endpointField),
            at: endpointField
        )
        let apiKey = backendKey(fields, at: path)
        var apiVersion: String?
        if kind == .azureLegacy {
            let field = "\(path).api_version"
            apiVersion = string(required(fields["api_version"], at: field), at: field)
            if let given = apiVersion, LegacyAPIVersion(given) == nil {
                problem(field, "\"\(given)\" is not YYYY-MM-DD or YYYY-MM-DD-preview, a real date from 2022-12-01 on")
                apiVersion = nil
            }
        }
        let organization = fields["organization"].flatMap { string($0, at: "\(path).organization") }
        let project = fields["project"].flatMap { string($0, at: "\(path).project") }
        let caFile = fields["ca_file"].flatMap { value in
            resolvedPath(string(value, at: "\(path).ca_file"), at: "\(path).ca_file")
        }
        let connectTimeout = positive(fields["connect_timeout_seconds"], at: "\(path).connect_timeout_seconds")
        let firstByteTimeout = positive(fields["first_byte_timeout_seconds"], at: "\(path).first_byte_timeout_seconds")
        let maxListEntries = positive(fields["max_list_entries"], at: "\(path).max_list_entries")
        let maxUpstream = positive(fields["max_upstream_connections"], at: "\(path).max_upstream_connections")
        let queueTimeout = positive(
            fields["upstream_queue_timeout_seconds"],
            at: "\(path).upstream_queue_timeout_seconds"
        )
        let dialect: Dialect?
        switch kind {
        case .local, .openai: dialect = .openAI
        case .azureV1: dialect = .azureV1(.v1)
        case .azureLegacy: dialect = apiVersion.flatMap(LegacyAPIVersion.init).map(Dialect.azureLegacy)
        }
        guard let endpoint, let apiKey, let dialect else { return nil }
        var remoteConfig = RemoteBackendConfig(
            dialect: dialect,
            endpoint: endpoint,
            apiKey: apiKey,
            apiVersion: apiVersion,
            organization: organization,
            project: project
        )
        remoteConfig.caFile = caFile
        if let connectTimeout { remoteConfig.connectTimeoutSeconds = connectTimeout }
        if let firstByteTimeout { remoteConfig.firstByteTimeoutSeconds = firstByteTimeout }
        if let maxListEntries { remoteConfig.maxListEntries = Int(maxListEntries) }
        if let maxUpstream { remoteConfig.maxUpstreamConnections = Int(maxUpstream) }
        if let queueTimeout { remoteConfig.upstreamQueueTimeoutSeconds = queueTimeout }
        return .remote(remoteConfig)
    }

    /// Exactly one of `api_key_env` (a set, non-empty variable) and `api_key_file` (a readable, non-empty file).
    private mutating func backendKey(_ fields: [String: JSONValue], at path: String) -> Secret? {
        let envField = "\(path).api_key_env"
        let fileField = "\(path).api_key_file"
        switch (fields["api_key_env"], fields["api_key_file"]) {
        case (nil, nil):
            problem(envField, "required: set api_key_env or api_key_file")
            return nil
        case (.some, .some):
            problem(fileField, "set only one of api_key_env and api_key_file")
            return nil
        case (let value?, nil):
            guard let name = string(value, at: envField) else { return nil }
            guard let key = environment[name] else {
                problem(envField, "environment variable \(name) is not set")
                return nil
            }
            guard !key.isEmpty else {
                problem(envField, "environment variable \(name) is empty")
                return nil
            }
            return Secret(key)
        case (nil, let value?):
            guard let file = resolvedPath(string(value, at: fileField), at: fileField) else { return nil }
            guard let data = FileManager.default.contents(atPath: file) else {
                problem(fileField, "cannot read \(file)")
                return nil
            }
            let key = GatewayConfig.keyText(Array(data))
            guard !key.isEmpty else {
                problem(fileField, "\(file) is empty")
                return nil
            }
            return Secret(key)
        }
    }

    private mutating func purposeSet(_ value: JSONValue, at path: String) -> Set<Purpose>? {
        guard case .array(let words) = value else {
            problem(path, "expected an array of purpose words, got \(value.typeName)")
            return nil
        }
        guard !words.isEmpty else {
            problem(path, "must not be empty")
            return nil
        }
        var purposes: Set<Purpose> = []
        var valid = true
        for (index, word) in words.enumerated() {
            guard let text = string(word, at: "\(path)[\(index)]") else {
                valid = false
                continue
            }
            let purpose = Purpose(rawValue: text)
            if Purpose.creatable.contains(purpose) {
                purposes.insert(purpose)
            } else {
                problem("\(path)[\(index)]", "unknown purpose \"\(text)\"; expected one of \(Purpose.creatable.listed)")
                valid = false
            }
        }
        return valid ? purposes : nil
    }

    private mutating func expiresAfterRange(_ value: JSONValue, at path: String) -> ClosedRange<Int64>? {
        guard case .array(let bounds) = value, bounds.count == 2 else {
            problem(path, "expected [min, max] in seconds, got \(value.typeName)")
            return nil
        }
        guard let min = integer(bounds[0], at: "\(path)[0]"), let max = integer(bounds[1], at: "\(path)[1]") else {
            return nil
        }
        guard 1 <= min, min <= max else {
            problem(path, "[\(min), \(max)] must satisfy 1 <= min <= max")
            return nil
        }
        return min...max
    }

    private mutating func client(_ value: JSONValue, at path: String, backendNames: Set<String>) -> ClientConfig? {
        guard let fields = object(value, at: path, known: Self.clientKeys) else { return nil }
        var name = string(required(fields["name"], at: "\(path).name"), at: "\(path).name")
        if name?.isEmpty == true {
            problem("\(path).name", "must not be empty")
            name = nil
        }
        let hashField = "\(path).key_sha256"
        var keySHA256 = string(required(fields["key_sha256"], at: hashField), at: hashField)?.lowercased()
        if let hash = keySHA256, hash.count != 64 || !hash.allSatisfy(\.isASCIIHexDigit) {
            problem(hashField, "expected 64 hex digits (the output of filegate hash-key)")
            keySHA256 = nil
        }
        let backendsField = "\(path).backends"
        var backends: [String]? = []
        for (index, element) in nonEmptyArray(fields["backends"], at: backendsField).enumerated() {
            let field = "\(backendsField)[\(index)]"
            guard let backend = string(element, at: field) else {
                backends = nil
                continue
            }
            if !backendNames.contains(backend) {
                problem(field, "no backend is named \"\(backend)\"")
                backends = nil
            } else if backends?.contains(backend) == true {
                problem(field, "\"\(backend)\" is listed twice")
                backends = nil
            } else {
                backends?.append(backend)
            }
        }
        let defaultField = "\(path).default_backend"
        var defaultBackend = fields["default_backend"].flatMap { string($0, at: defaultField) }
        if let backends, !backends.isEmpty {
            if let chosen = defaultBackend, !backends.contains(chosen) {
                problem(defaultField, "\"\(chosen)\" is not in this client's backends")
                defaultBackend = nil
            } else if defaultBackend == nil, fields["default_backend"] == nil {
                if backends.count == 1 {
                    defaultBackend = backends[0]
                } else {
                    problem(defaultField, "required when a client has more than one backend")
                }
            }
        }
        guard let name, let keySHA256, let backends, !backends.isEmpty, let defaultBackend else { return nil }
        return ClientConfig(name: name, keySHA256: keySHA256, backends: backends, defaultBackend: defaultBackend)
    }

    /// Reports each repeated value at its second and later places, naming the first.
    private mutating func checkUnique(_ values: [String?], field: String, in section: String, what: String) {
        var firstIndex: [String: Int] = [:]
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            if let first = firstIndex[value] {
                problem("\(section)[\(index)].\(field)", "same \(what) as \(section)[\(first)]")
            } else {
                firstIndex[value] = index
            }
        }
    }

    // MARK: Typed fields

    private mutating func problem(_ path: String, _ message: String) {
        problems.append("\(path): \(message)")
    }

    /// An object's fields, after reporting each key outside `known`.
    private mutating func object(_ value: JSONValue, at path: String, known: Set<String>) -> [String: JSONValue]? {
        guard let fields = value.members else {
            problem(path, "expected an object, got \(value.typeName)")
            return nil
        }
        let prefix = path == "config" ? "" : "\(path)."
        for key in fields.keys.sorted() where !known.contains(key) {
            problem("\(prefix)\(key)", "unknown key")
        }
        return fields
    }

    private mutating func required(_ value: JSONValue?, at path: String) -> JSONValue? {
        if value == nil { problem(path, "required") }
        return value
    }

    private mutating func string(_ value: JSONValue?, at path: String) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else {
            problem(path, "expected a string, got \(value.typeName)")
            return nil
        }
        return text
    }

    private mutating func boolean(_ value: JSONValue, at path: String) -> Bool? {
        guard case .bool(let flag) = value else {
            problem(path, "expected true or false, got \(value.typeName)")
            return nil
        }
        return flag
    }

    /// An optional integer that must be at least 1 when given.
    private mutating func positive(_ value: JSONValue?, at path: String) -> Int64? {
        guard let value, let number = integer(value, at: path) else { return nil }
        guard number >= 1 else {
            problem(path, "must be at least 1")
            return nil
        }
        return number
    }

    private mutating func integer(_ value: JSONValue, at path: String) -> Int64? {
        guard case .integer(let number) = value else {
            problem(path, "expected an integer, got \(value.typeName)")
            return nil
        }
        return number
    }

    /// A required, non-empty array; empty when absent or wrong (the problem is recorded).
    private mutating func nonEmptyArray(_ value: JSONValue?, at path: String) -> [JSONValue] {
        guard let value = required(value, at: path) else { return [] }
        guard case .array(let elements) = value else {
            problem(path, "expected an array, got \(value.typeName)")
            return []
        }
        if elements.isEmpty { problem(path, "must not be empty") }
        return elements
    }

    /// An `http(s)://host[:port][/prefix]` URL without query or fragment, trailing `/` removed.
    private mutating func url(_ text: String?, at path: String) -> String? {
        guard let text else { return nil }
        let lowered = text.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else {
            problem(path, "\"\(text)\" is not an http or https URL")
            return nil
        }
        guard !text.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) else {
            problem(path, "\"\(text)\" must have no query, fragment or spaces")
            return nil
        }
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        guard Self.isAuthority(authority) else {
            problem(path, "\"\(text)\" needs a host (and optionally a port), without user info")
            return nil
        }
        var normalized = scheme + rest
        while normalized.hasSuffix("/") { normalized.removeLast() }
        return normalized
    }

    /// A path field: `${NAME}` expanded from the environment, then made absolute against the config's folder.
    private mutating func resolvedPath(_ text: String?, at path: String) -> String? {
        guard let text else { return nil }
        var expanded = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: "${") {
            expanded += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                problem(path, "\"${\" without a closing \"}\"")
                return nil
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                problem(path, "environment variable \(name) is not set")
                return nil
            }
            expanded += value
            rest = rest[rest.index(after: end)...]
        }
        expanded += rest
        guard !expanded.isEmpty else {
            problem(path, "must not be empty")
            return nil
        }
        return Self.resolve(expanded, against: directory)
    }

    // MARK: Pure checks

    /// A string field of an object as written, before any check; for cross-entry checks such as uniqueness.
    static func rawString(_ value: JSONValue, _ key: String) -> String? {
        guard case .string(let text)? = value.members?[key] else { return nil }
        return text
    }

    /// `path` made absolute against `directory` (unless it already is) and normalised lexically.
    static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : "\(directory)/\(path)"
        var components: [Substring] = []
        for component in joined.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// `host[:port]`: a hostname or IPv4 literal, or a bracketed IPv6 literal; no user info.
    static func isAuthority(_ text: Substring) -> Bool {
        var host = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            guard ListenAddress.ipv6Groups(text[text.index(after: text.startIndex)..<close]) != nil else {
                return false
            }
            let rest = text[text.index(after: close)...]
            return rest.isEmpty || (rest.hasPrefix(":") && ListenAddress.port(rest.dropFirst()).map { $0 > 0 } == true)
        }
        if let colon = text.lastIndex(of: ":") {
            guard ListenAddress.port(text[text.index(after: colon)...]).map({ $0 > 0 }) == true else { return false }
            host = text[..<colon]
        }
        return !host.isEmpty
            && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }
}
