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
}
