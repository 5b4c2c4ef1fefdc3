import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The process's open-files limit (RLIMIT_NOFILE), raised at start to what `max_connections` needs (issue 5 point 3).
///
/// Each served connection holds its client socket and may hold an upstream socket; files, listeners, curl's and
/// SQLite's descriptors and connections being refused (`ConnectionLimit.maxRefusing`) fit in `spare`. Past the
/// limit `accept` fails, and every client beyond it is left hanging in the backlog, which is what the limit is for.
enum OpenFilesLimit {
    static let spare = 256

    /// Descriptors `maxConnections` served connections need.
    static func needed(maxConnections: Int) -> UInt64 {
        UInt64(2 * maxConnections + spare)
    }

    /// What to do about a soft limit of `soft` under a hard limit of `hard` when `needed` descriptors are wanted.
    struct Plan: Hashable, Sendable {
        /// The soft limit to set; nil to keep it (it is high enough already, or cannot be raised).
        var raiseTo: UInt64?
        /// The hard limit is below `needed`: the soft limit goes only that far and the operator is warned.
        var hardLimitTooLow: Bool
    }

    static func plan(soft: UInt64, hard: UInt64, needed: UInt64) -> Plan {
        guard soft < needed else { return Plan(raiseTo: nil, hardLimitTooLow: false) }
        let target = min(hard, needed)
        return Plan(raiseTo: target > soft ? target : nil, hardLimitTooLow: hard < needed)
    }

    /// Raises the soft limit for `maxConnections`; logs a warning when the hard limit or the kernel stops it short.
    static func raise(maxConnections: Int, logger: Logger) {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            logger.warning("cannot read the open-files limit (errno \(errno)); max_connections may not be reachable")
            return
        }
        let needed = needed(maxConnections: maxConnections)
        let plan = plan(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max), needed: needed)
        if let raiseTo = plan.raiseTo {
            var raised = limit
            raised.rlim_cur = rlim_t(raiseTo)
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                logger.info("raised the open-files limit from \(limit.rlim_cur) to \(raiseTo)")
            } else {
                logger.warning(
                    "cannot raise the open-files limit from \(limit.rlim_cur) to \(raiseTo) (errno \(errno))"
                )
            }
        }
        if plan.hardLimitTooLow {
            logger.warning(
                """
                the open-files hard limit \(limit.rlim_max) is below the \(needed) that max_connections \
                \(maxConnections) needs: raise it (LimitNOFILE= in the systemd unit) or lower max_connections
                """
            )
        }
        #endif
    }
}
