import FilegateWire
import Testing

@testable import FilegateRemote

/// Header lines as curl's header callback hands them over.
@Suite struct ResponseHeadCollectorTests {
    static func feed(_ lines: [String]) -> (ResponseHeadCollector, [ResponseHeadCollector.Line]) {
        var collector = ResponseHeadCollector()
        let results = lines.map { collector.receivedLine(Array($0.utf8)) }
        return (collector, results)
    }

    @Test func collectsFieldsUntilTheEmptyLine() {
        let (collector, results) = Self.feed([
            "HTTP/1.1 200 OK\r\n", "Content-Type: application/json\r\n", "X-Two:  a b \r\n", "\r\n",
        ])
        #expect(results == [.partOfHead, .partOfHead, .partOfHead, .endOfHead])
        #expect(collector.headers == ["Content-Type": "application/json", "X-Two": "a b"])
    }

    @Test func aNewStatusLineStartsAfresh() {
        let (collector, _) = Self.feed([
            "HTTP/1.1 103 Early Hints\r\n", "Link: </a>\r\n", "\r\n", "HTTP/1.1 200 OK\r\n", "X-Final: 1\r\n",
            "\r\n",
        ])
        #expect(collector.headers == ["X-Final": "1"])
    }

    @Test func foldedLinesContinueTheValue() {
        let (collector, _) = Self.feed(["HTTP/1.1 200 OK\r\n", "X-Long: one\r\n", "\t two\r\n", "\r\n"])
        #expect(collector.headers == ["X-Long": "one two"])
    }

    @Test func aFieldThatIsNotUTF8IsLeftOutRatherThanChanged() {
        var collector = ResponseHeadCollector()
        let lines: [[UInt8]] = [
            Array("HTTP/1.1 200 OK\r\n".utf8),
            Array("Content-Disposition: attachment; filename=\"caf".utf8) + [0xE9] + Array("\"\r\n".utf8),
            Array("X-Folded: one\r\n".utf8), [0x09, 0xFF, 0x0D, 0x0A],
            Array("X-Name: caf\u{e9}\r\n".utf8),
            Array("\r\n".utf8),
        ]
        #expect(lines.map { collector.receivedLine($0) }.last == .endOfHead)
        #expect(collector.headers == ["X-Name": "caf\u{e9}"])
    }
}
