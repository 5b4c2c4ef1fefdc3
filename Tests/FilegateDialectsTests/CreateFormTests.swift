import FilegateCore
import FilegateDialects
import Testing

@Suite("CreateForm")
struct CreateFormTests {
    /// (fields in order, filename, expected new file).
    static let goodRows: [([(String, String)], String?, NewFile)] = [
        ([("purpose", "fine-tune")], "a.jsonl", NewFile(filename: "a.jsonl", purpose: .fineTune)),
        ([("purpose", "batch")], nil, NewFile(filename: "file", purpose: .batch)),
        ([("purpose", "batch")], "", NewFile(filename: "file", purpose: .batch)),
        (
            [("purpose", "assistants"), ("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600")],
            "x.pdf", NewFile(filename: "x.pdf", purpose: .assistants, expiresAfterSeconds: 3600)
        ),
        (
            [("expires_after.seconds", "259200"), ("expires_after.anchor", "created_at"), ("purpose", "evals")],
            "e.jsonl", NewFile(filename: "e.jsonl", purpose: .evals, expiresAfterSeconds: 259_200)
        ),
        (
            [("purpose", "vision"), ("expires_after[seconds]", "-5"), ("model", "x"), ("purpose_extra", "y")],
            "v.png", NewFile(filename: "v.png", purpose: .vision, expiresAfterSeconds: -5)
        ),
        ([("purpose", "user_data")], "u", NewFile(filename: "u", purpose: .userData)),
        ([("purpose", "fine-tune-results")], "r", NewFile(filename: "r", purpose: .fineTuneResults)),
        ([("purpose", "assistants_output")], "o", NewFile(filename: "o", purpose: .assistantsOutput)),
    ]

    @Test("forms that give a new file", arguments: goodRows)
    func good(fields: [(String, String)], filename: String?, expected: NewFile) throws {
        var form = CreateForm()
        for (name, value) in fields {
            try form.addField(name: name, value: value)
        }
        #expect(try form.newFile(filename: filename) == expected)
    }

    /// (fields in order, the param the 400 names) for fields refused as they arrive.
    static let badFieldRows: [([(String, String)], String)] = [
        ([("purpose", "batch"), ("purpose", "batch")], "purpose"),
        ([("expires_after[seconds]", "3600"), ("expires_after[seconds]", "3600")], "expires_after[seconds]"),
        ([("expires_after[seconds]", "3600"), ("expires_after.seconds", "3600")], "expires_after[seconds]"),
        ([("expires_after[anchor]", "created_at"), ("expires_after.anchor", "created_at")], "expires_after[anchor]"),
        ([("expires_after[seconds]", "1h")], "expires_after[seconds]"),
        ([("expires_after[seconds]", "")], "expires_after[seconds]"),
        ([("expires_after[seconds]", "3600.0")], "expires_after[seconds]"),
        ([("expires_after.seconds", "99999999999999999999")], "expires_after[seconds]"),
        ([("expires_after[anchor]", "last_active_at")], "expires_after[anchor]"),
    ]

    @Test("fields refused as they arrive", arguments: badFieldRows)
    func badField(fields: [(String, String)], param: String) {
        var form = CreateForm()
        let error = #expect(throws: GatewayError.self) {
            for (name, value) in fields {
                try form.addField(name: name, value: value)
            }
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.param == param)
    }

    @Test("a form without purpose is a 400 naming purpose")
    func missingPurpose() throws {
        var form = CreateForm()
        try form.addField(name: "expires_after[seconds]", value: "3600")
        let error = #expect(throws: GatewayError.self) { try form.newFile(filename: "a") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.param == "purpose")
        #expect(error?.status == 400)
    }

    @Test("a purpose outside the creatable union is a 400 listing it", arguments: ["batch_output", "", "Batch", "x"])
    func unknownPurpose(_ word: String) throws {
        var form = CreateForm()
        try form.addField(name: "purpose", value: word)
        let error = #expect(throws: GatewayError.self) { try form.newFile(filename: "a") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.param == "purpose")
        #expect(error?.message.contains(Purpose.creatable.listed) == true)
    }

    @Test("the missing-file error names file")
    func missingFile() {
        #expect(CreateForm.missingFileError.code == .invalidRequest)
        #expect(CreateForm.missingFileError.param == "file")
        #expect(CreateForm.missingFileError.status == 400)
    }
}
