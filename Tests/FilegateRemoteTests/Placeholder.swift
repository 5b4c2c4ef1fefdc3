@testable import FilegateRemote
