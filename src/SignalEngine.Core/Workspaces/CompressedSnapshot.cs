using System.Buffers.Binary;
using System.IO.Compression;

namespace SignalEngine.Core.Workspaces;

/// <summary>
/// Brotli (quality 1) around a workspace snapshot, as grain storage keeps it: the rings of a 20-user
/// workspace are mostly zero bits, and the snapshot shrinks about 3.5× (4.4 KB to 1.2 KB), which is what an
/// idle workspace costs in memory storage and what every checkpoint writes to PostgreSQL. The original
/// length leads (4 bytes, little-endian) so decompression needs no guessing.
/// </summary>
public static class CompressedSnapshot
{
    public static byte[] Compress(byte[] snapshot)
    {
        var output = new byte[4 + BrotliEncoder.GetMaxCompressedLength(snapshot.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(output, snapshot.Length);
        if (!BrotliEncoder.TryCompress(snapshot, output.AsSpan(4), out var written, quality: 1, window: 22))
            throw new InvalidOperationException("Brotli could not compress a workspace snapshot into its maximum compressed length");
        return output[..(4 + written)];
    }

    public static byte[] Decompress(byte[] compressed)
    {
        if (compressed.Length < 4) throw new InvalidDataException($"A compressed workspace snapshot has {compressed.Length} bytes, fewer than its 4-byte length prefix");
        var length = BinaryPrimitives.ReadInt32LittleEndian(compressed);
        if (length < 0) throw new InvalidDataException($"A compressed workspace snapshot declares a negative length ({length})");
        var snapshot = new byte[length];
        if (!BrotliDecoder.TryDecompress(compressed.AsSpan(4), snapshot, out var written) || written != length)
            throw new InvalidDataException($"A compressed workspace snapshot did not decompress to its declared {length} bytes");
        return snapshot;
    }
}
