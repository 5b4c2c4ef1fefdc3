import FilegateCore
import Logging
import ServiceLifecycle

extension LocalBackend {
    /// Sweeps expired files every `sweepInterval` until the task is cancelled or a graceful shutdown begins.
    ///
    /// A failed sweep is logged and retried at the next tick: expired files are already hidden from every
    /// operation, so a late sweep only costs disk.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    let removed = try await sweepExpired()
                    if removed > 0 {
                        logger.info("Swept expired files", metadata: [LogKey.count: "\(removed)"])
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.error("Sweeping expired files failed", metadata: [LogKey.error: "\(error)"])
                }
                do {
                    try await Task.sleep(for: sweepInterval)
                } catch {
                    return
                }
            }
        }
    }

    /// Deletes every file expired at `now()`: rows (tombstones kept, so lists continue past them), then content.
    /// Answers how many files it removed.
    public func sweepExpired() async throws -> Int {
        let now = now()
        var removed = 0
        while true {
            let ids = try await metadata.removeExpired(now: now)
            for id in ids {
                await removeContent(id)
            }
            removed += ids.count
            if ids.count < MetadataStore.sweepBatchSize { return removed }
        }
    }
}
