import FilegateCore
import Testing

@Suite("Secret")
struct SecretTests {
    static let value = "sk-test-0123456789abcdef"

    @Test("every way Swift turns a value into text shows <redacted>, never the value")
    func neverPrinted() {
        let secret = Secret(Self.value)
        var dumped = ""
        dump(secret, to: &dumped)
        var printed = ""
        print(secret, to: &printed)
        debugPrint(secret, to: &printed)
        let texts = [
            "\(secret)", String(describing: secret), String(reflecting: secret), secret.description,
            secret.debugDescription, dumped, printed, "\([secret])", "\(Optional(secret) as Any)",
            "\(["key": secret])",
        ]
        for text in texts {
            #expect(!text.contains(Self.value), "leaked in: \(text)")
            #expect(!text.contains("sk-test"), "leaked in: \(text)")
        }
        #expect(secret.description == "<redacted>")
        #expect(dumped.contains("<redacted>"))
    }

    @Test("a mirror has no children to walk into")
    func mirror() {
        #expect(Mirror(reflecting: Secret(Self.value)).children.isEmpty)
    }

    @Test("the value is read only through withValue")
    func withValue() {
        let secret = Secret(Self.value)
        #expect(secret.withValue { $0 } == Self.value)
        #expect(secret.withValue(\.utf8.count) == Self.value.utf8.count)
    }

    @Test("secrets compare by value")
    func equality() {
        #expect(Secret("a") == Secret("a"))
        #expect(Secret("a") != Secret("b"))
    }
}
