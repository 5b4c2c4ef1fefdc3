import FilegateCore
import Testing

@Suite("Purpose")
struct PurposeTests {
    @Test("the words some dialect takes on create; batch_output is only ever written by the service")
    func creatable() {
        #expect(
            Purpose.creatable.map(\.rawValue).sorted() == [
                "assistants", "assistants_output", "batch", "evals", "fine-tune", "fine-tune-results", "user_data",
                "vision",
            ]
        )
        #expect(!Purpose.creatable.contains(.batchOutput))
    }

    @Test("any word is kept when read, unchanged")
    func openSet() {
        #expect(Purpose(rawValue: "some-future-purpose").rawValue == "some-future-purpose")
        #expect(Purpose(rawValue: "Batch") != .batch)
    }

    @Test("a set lists its words sorted and comma-joined, for error messages")
    func listed() {
        #expect(Set([Purpose.vision, .batch, .assistants]).listed == "assistants, batch, vision")
        #expect(Set<Purpose>().listed == "")
    }
}
