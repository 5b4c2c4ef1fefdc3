import FilegateCore
import FilegateDialects
import FilegateWire
import NIOCore

/// A dialect's request parsing (`DialectRoot.parse`), with properties checked on any input.
///
/// An input is `METHOD SP rest`, or just `rest` for a GET; the request target is the root's path followed by `rest`,
/// so every input reaches the dialect's own parsing however the fuzzer mutates it.
enum DialectRequestChecks {
    /// Parses the request; then: the path falls under the root exactly when `DialectRoot.matching` says so; an
    /// accepted request keeps the root and, written out by `encodeHead` as filegate sends it upstream, passes
    /// filegate's own request parser and reads back as the same dialect and operation; every refusal renders as
    /// JSON in the root's error dialect.
    static func check(_ bytes: [UInt8], root: DialectRoot) throws(InvariantViolation) {
        let space = bytes.firstIndex(of: UInt8(ascii: " "))
        let method = space.map { String(decoding: bytes[..<$0], as: UTF8.self) } ?? "GET"
        let rest = String(decoding: space.map { bytes[($0 + 1)...] } ?? bytes[...], as: UTF8.self)
        let head = RequestHead(method: method, target: root.pathRoot + rest)
        let path = head.path
        // A path is bytes (filegate's parser takes only visible ASCII in a target), so under the root means by
        // UTF-8; by Character, `/` followed by a combining mark is no `/`, and a fuzzed path can hold one.
        let underRoot =
            path.utf8.elementsEqual(root.pathRoot.utf8) || path.utf8.starts(with: (root.pathRoot + "/").utf8)
        try InvariantViolation.expectEqual(DialectRoot.matching(path: path), underRoot ? root : nil, "matching")
        let request: InboundRequest
        do throws(GatewayError) {
            request = try root.parse(method: method, path: path, query: head.query)
        } catch {
            try expectJSONBody(root.errorDialect.renderError(error), "refusal rendered")
            return
        }
        try InvariantViolation.expectEqual(request.dialect.root, root, "dialect's root")
        let (upstreamMethod, target) = request.dialect.encodeHead(request.operation)
        let line = Array("\(upstreamMethod) \(target) HTTP/1.1\r\nHost: upstream\r\n\r\n".utf8)
        let upstream = RequestTrace.parse(line)
        guard upstream.error == nil, case .head(let upstreamHead)? = upstream.events.first else {
            throw InvariantViolation("upstream request line", "\(upstreamMethod) \(target): \(upstream)")
        }
        let again: InboundRequest
        do throws(GatewayError) {
            again = try root.parse(method: upstreamHead.method, path: upstreamHead.path, query: upstreamHead.query)
        } catch {
            throw InvariantViolation("encodeHead read back", "\(upstreamMethod) \(target): \(error)")
        }
        try InvariantViolation.expectEqual(again, request, "encodeHead read back")
    }

    /// Throws unless `response` has a body that is JSON, as every answer filegate renders must be.
    static func expectJSONBody(_ response: RenderedResponse, _ property: String) throws(InvariantViolation) {
        guard let body = response.body, JSONValue.parse(body) != nil else {
            let text = response.body.map { String(buffer: $0) } ?? "no body"
            throw InvariantViolation(property, "status \(response.status), body \(text)")
        }
    }
}
