import NIOCore
import Testing

@testable import FilegateRemote

/// The copies into and out of curl's buffers (`fg_copy_bytes`): every byte, at every length around its 64-byte
/// steps, from and to addresses of every alignment.
@Suite struct CurlCopyTests {
    static let lengths = [0, 1, 15, 16, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 16_384, 16_401]
    static let source: [UInt8] = (0..<(16_401 + 64)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }

    @Test(arguments: lengths)
    func aWriteCallbacksBytesAreAppendedWhole(length: Int) {
        for offset in 0..<4 {
            Self.source.withUnsafeBytes { all in
                let bytes = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                var batch = ByteBuffer(curlBytes: bytes)
                #expect(batch.readableBytesView.elementsEqual(bytes))
                batch.writeCurlBytes(bytes)
                #expect(batch.readableBytes == 2 * length)
                #expect(batch.readableBytesView.dropFirst(length).elementsEqual(bytes))
            }
        }
    }

    @Test(arguments: lengths)
    func aChunkFillsTheReadCallbacksBufferExactly(length: Int) {
        var chunk = ByteBuffer(bytes: Self.source)
        chunk.moveReaderIndex(forwardBy: 3)
        chunk = chunk.getSlice(at: chunk.readerIndex, length: length)!
        for offset in 0..<4 {
            var target = [UInt8](repeating: 0xEE, count: length + 8)
            let copied = target.withUnsafeMutableBytes { all in
                chunk.copyReadableBytes(intoCurlBuffer: UnsafeMutableRawBufferPointer(rebasing: all[offset...]))
            }
            #expect(copied == length)
            #expect(target[offset..<(offset + length)].elementsEqual(Self.source[3..<(3 + length)]))
            #expect(target[..<offset].allSatisfy { $0 == 0xEE })
            #expect(target[(offset + length)...].allSatisfy { $0 == 0xEE })
        }
    }
}
