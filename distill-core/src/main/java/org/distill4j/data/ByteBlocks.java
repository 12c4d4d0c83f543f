package org.distill4j.data;

import java.security.MessageDigest;

/**
 * An immutable sequence of fixed-size byte records held in blocks of about {@link #BLOCK_TARGET}
 * bytes, a whole number of records per block so that no record straddles two blocks.
 *
 * <p>Blocks rather than one array because a file is read block by block: what is allocated never
 * exceeds the bytes actually present plus one block, whatever a header claims, and the data may
 * exceed the 2 GiB limit of a single Java array.
 */
final class ByteBlocks {

    /** Aimed-for block size in bytes; a block is larger only when one record is. */
    static final int BLOCK_TARGET = 1 << 20;

    private final int recordBytes;
    private final int recordsPerBlock;
    private final int count;
    private final byte[][] blocks;

    /**
     * Takes ownership of {@code blocks}, which must be laid out as {@link #recordsPerBlock(int)}
     * says: every block full except possibly the last, {@code count} records in all.
     */
    ByteBlocks(int recordBytes, int count, byte[][] blocks) {
        this.recordBytes = recordBytes;
        this.recordsPerBlock = recordsPerBlock(recordBytes);
        this.count = count;
        this.blocks = blocks;
        if (blocks.length != blockCount(count, recordBytes)) {
            throw new IllegalArgumentException(blocks.length + " blocks, expected " + blockCount(count, recordBytes));
        }
    }

    /** Copies {@code count} records of {@code recordBytes} from a row-major array. */
    static ByteBlocks copyOf(byte[] data, int recordBytes, int count) {
        if ((long) recordBytes * count != data.length) {
            throw new IllegalArgumentException(
                    data.length + " bytes, expected " + count + " records of " + recordBytes);
        }
        byte[][] blocks = new byte[blockCount(count, recordBytes)][];
        for (int b = 0; b < blocks.length; b++) {
            int from = b * recordsPerBlock(recordBytes);
            int n = Math.min(recordsPerBlock(recordBytes), count - from);
            blocks[b] = new byte[n * recordBytes];
            System.arraycopy(data, from * recordBytes, blocks[b], 0, blocks[b].length);
        }
        return new ByteBlocks(recordBytes, count, blocks);
    }

    /** Returns how many records of {@code recordBytes} go in one block (at least one). */
    static int recordsPerBlock(int recordBytes) {
        return Math.max(1, BLOCK_TARGET / recordBytes);
    }

    /** Returns how many blocks hold {@code count} records of {@code recordBytes}. */
    static int blockCount(int count, int recordBytes) {
        int per = recordsPerBlock(recordBytes);
        return count / per + (count % per == 0 ? 0 : 1);
    }

    int count() {
        return count;
    }

    int recordBytes() {
        return recordBytes;
    }

    /** Returns byte {@code offset} of record {@code record}, as stored (signed). */
    byte get(int record, int offset) {
        return blocks[record / recordsPerBlock][(record % recordsPerBlock) * recordBytes + offset];
    }

    /**
     * Writes record {@code record} to {@code dst} from {@code dstOffset}, each byte mapped through
     * {@code table} (indexed by the unsigned byte value, 256 entries).
     */
    void copyRecord(int record, float[] table, float[] dst, int dstOffset) {
        byte[] block = blocks[record / recordsPerBlock];
        int src = (record % recordsPerBlock) * recordBytes;
        for (int j = 0; j < recordBytes; j++) {
            dst[dstOffset + j] = table[block[src + j] & 0xFF];
        }
    }

    /** Feeds all records, in order, to {@code digest}. */
    void update(MessageDigest digest) {
        for (byte[] block : blocks) {
            digest.update(block);
        }
    }
}
