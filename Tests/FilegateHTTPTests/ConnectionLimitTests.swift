import Logging
import NIOCore
import Testing

@testable import FilegateHTTP

/// `max_connections`: who is served, who is refused with a 503, who is closed; and the open-files limit it needs.
@Suite struct ConnectionLimitTests {
    @Test func servesUpToTheLimitThenRefusesThenCloses() {
        let limit = ConnectionLimit(maxConnections: 2, logger: Logger(label: "test"))
        var admissions: [ConnectionLimit.Admission] = []
        for _ in 0..<(2 + ConnectionLimit.maxRefusing + 1) {
            admissions.append(limit.admit())
        }
        let expected: [ConnectionLimit.Admission] =
            [.serve, .serve] + Array(repeating: .refuse, count: ConnectionLimit.maxRefusing) + [.close]
        #expect(admissions == expected)
        #expect(limit.served == 2)
    }

    @Test func anEndedConnectionMakesRoomForANewOne() {
        let limit = ConnectionLimit(maxConnections: 1, logger: Logger(label: "test"))
        #expect(limit.admit() == .serve)
        #expect(limit.admit() == .refuse)
        limit.connectionEnded()
        #expect(limit.served == 0)
        #expect(limit.admit() == .serve)
        limit.refusalEnded()
        #expect(limit.admit() == .refuse)
    }

    @Test func reportsTheFirstConnectionTurnedAwayThenAtMostOncePerInterval() {
        var report = TurnedAwayReport()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let interval = TurnedAwayReport.interval
        typealias Counts = TurnedAwayReport.Counts
        // (refused, seconds after start) -> what is logged
        let steps: [(Bool, Int64, Counts?)] = [
            (true, 0, Counts(refused: 1, closed: 0)),
            (true, 1, nil),
            (false, 2, nil),
            (true, interval.nanoseconds / 1_000_000_000 - 1, nil),
            (true, interval.nanoseconds / 1_000_000_000, Counts(refused: 3, closed: 1)),
            (false, interval.nanoseconds / 1_000_000_000 + 1, nil),
            (true, 3 * interval.nanoseconds / 1_000_000_000, Counts(refused: 1, closed: 1)),
        ]
        for (refused, seconds, expected) in steps {
            #expect(report.count(refused: refused, at: start + .seconds(seconds)) == expected, "at \(seconds) s")
        }
    }

    @Test func needsTwoDescriptorsPerConnectionAndSpares() {
        #expect(OpenFilesLimit.needed(maxConnections: 4096) == 8448)
        #expect(OpenFilesLimit.needed(maxConnections: 4) == 264)
    }

    @Test(
        arguments: [
            // (soft, hard, needed) -> plan
            (1024, 524_288, 8448, OpenFilesLimit.Plan(raiseTo: 8448, hardLimitTooLow: false)),
            (1024, 4096, 8448, OpenFilesLimit.Plan(raiseTo: 4096, hardLimitTooLow: true)),
            (4096, 4096, 8448, OpenFilesLimit.Plan(raiseTo: nil, hardLimitTooLow: true)),
            (65536, 524_288, 8448, OpenFilesLimit.Plan(raiseTo: nil, hardLimitTooLow: false)),
            (8448, 8448, 8448, OpenFilesLimit.Plan(raiseTo: nil, hardLimitTooLow: false)),
            (1024, UInt64.max, 8448, OpenFilesLimit.Plan(raiseTo: 8448, hardLimitTooLow: false)),
        ] as [(UInt64, UInt64, UInt64, OpenFilesLimit.Plan)]
    )
    func plansTheSoftLimit(soft: UInt64, hard: UInt64, needed: UInt64, expected: OpenFilesLimit.Plan) {
        #expect(OpenFilesLimit.plan(soft: soft, hard: hard, needed: needed) == expected)
    }
}
