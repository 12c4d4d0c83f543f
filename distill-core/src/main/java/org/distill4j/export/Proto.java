package org.distill4j.export;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A minimal protocol-buffers encoder (wire types varint, 32-bit and length-delimited), enough to
 * write ONNX's messages. A message is built field by field; a nested message is written as the
 * bytes of another {@code Proto}. Not thread-safe.
 */
final class Proto {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Writes an int64/int32/enum/bool field (varint; negative values take ten bytes, as protobuf does). */
    Proto varint(int field, long value) {
        tag(field, 0);
        rawVarint(value);
        return this;
    }

    /** Writes a float field (fixed 32-bit, little-endian). */
    Proto float32(int field, float value) {
        tag(field, 5);
        int bits = Float.floatToIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    /** Writes a string field as UTF-8. */
    Proto string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes a bytes field. */
    Proto bytes(int field, byte[] value) {
        tag(field, 2);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    /** Writes a nested message field. */
    Proto message(int field, Proto value) {
        return bytes(field, value.toByteArray());
    }

    /** Returns the encoded message. */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    /** Returns {@code values} as little-endian float32 bytes (ONNX's raw_data layout). */
    static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /** Returns {@code values} as little-endian int64 bytes. */
    static byte[] littleEndian(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b.array();
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
