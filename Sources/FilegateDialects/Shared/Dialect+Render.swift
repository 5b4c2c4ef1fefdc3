public import FilegateCore

extension Dialect {
    /// A create's answer: `createStatus` (201 on the dated root, with `Location` naming the file at
    /// `publicBaseURL` + the root + `/{id}`, no query: DESIGN.md "Versions").
    public func renderCreated(_ file: FileObject, publicBaseURL: String) -> RenderedResponse {
        let profile = self.profile
        guard let json = Self.fileJSON(file, words: profile.statusWords) else { return renderError(.notFound()) }
        var headers: [(String, String)] = []
        if profile.createHasLocation {
            let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
            headers.append(("Location", base + root.pathRoot + "/" + file.id))
        }
        return .json(profile.createStatus, json, headers: headers)
    }

    /// A file object; for an OpenAI client a deleting or deleted file is not found (DESIGN.md "Status words").
    public func renderFile(_ file: FileObject) -> RenderedResponse {
        guard let json = Self.fileJSON(file, words: profile.statusWords) else { return renderError(.notFound()) }
        return .json(200, json)
    }

    /// A list page with `first_id`, `last_id` and `has_more` in every dialect (DESIGN.md "Lists on the dated root");
    /// files a client of this dialect must not see are left out.
    public func renderList(_ list: FileList) -> RenderedResponse {
        let words = profile.statusWords
        let visible = list.data.compactMap { file in Self.fileJSON(file, words: words).map { (file.id, $0) } }
        return .json(
            200,
            .object([
                .init("object", .string("list")),
                .init("data", .array(visible.map(\.1))),
                .init("first_id", .string(orNull: visible.first?.0)),
                .init("last_id", .string(orNull: visible.last?.0)),
                .init("has_more", .bool(list.hasMore)),
            ])
        )
    }

    /// A delete's answer: 200 with the deletion object, or 204 with no body for dated versions before 2024-10-01.
    public func renderDeletion(_ deletion: FileDeletion) -> RenderedResponse {
        switch profile.deleteAnswer {
        case .noContent:
            RenderedResponse(status: 204)
        case .body:
            .json(
                200,
                .object([
                    .init("id", .string(deletion.id)),
                    .init("object", .string("file")),
                    .init("deleted", .bool(deletion.deleted)),
                ])
            )
        }
    }

    /// An error in this dialect's shape, its fields from the profile's error table (DESIGN.md "Errors"); the
    /// status is the error's own, `Allow` and `Retry-After` are added when it carries them.
    public func renderError(_ error: GatewayError) -> RenderedResponse {
        let shape = profile.errorShape
        let row = shape.row(for: error.code)
        var headers: [(String, String)] = []
        if !error.allowedMethods.isEmpty {
            headers.append(("Allow", error.allowedMethods.joined(separator: ", ")))
        }
        if let seconds = error.retryAfterSeconds {
            headers.append(("Retry-After", String(seconds)))
        }
        let fields: [JSONValue.Member] =
            switch shape {
            case .openAI:
                [
                    .init("message", .string(error.message)),
                    .init("type", .string(orNull: row.type)),
                    .init("param", .string(orNull: error.param)),
                    .init("code", .string(orNull: row.code)),
                ]
            case .azureV1:
                [
                    .init("code", .string(orNull: row.code)),
                    .init("message", .string(error.message)),
                    .init("param", .string(orNull: error.param)),
                    .init("type", .string(orNull: row.type)),
                    .init("inner_error", .null),
                ]
            case .azureLegacy:
                [
                    .init("code", .string(orNull: row.code)),
                    .init("message", .string(error.message)),
                    .init("target", .string(orNull: error.param)),
                    .init("details", .array([])),
                    .init("innererror", .null),
                ]
            }
        return .json(error.status, .object([.init("error", .object(fields))]), headers: headers)
    }

    /// A file object's JSON in `words`; `nil` when its status has no word there (the file is not visible).
    static func fileJSON(_ file: FileObject, words: StatusVocabulary) -> JSONValue? {
        guard let status = words.word(for: file.status) else { return nil }
        var members: [JSONValue.Member] = [
            .init("id", .string(file.id)),
            .init("object", .string("file")),
            .init("bytes", .integer(orNull: file.bytes)),
            .init("created_at", .integer(file.createdAt)),
            .init("filename", .string(file.filename)),
            .init("purpose", .string(file.purpose.rawValue)),
            .init("status", .string(status)),
        ]
        if let details = file.statusDetails { members.append(.init("status_details", .string(details))) }
        if let expiresAt = file.expiresAt { members.append(.init("expires_at", .integer(expiresAt))) }
        return .object(members)
    }
}
