package org.distill4j.export;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal pickle (protocol 2) writer for TorchScript's {@code data.pkl} and {@code
 * constants.pkl}: only the opcodes libtorch's unpickler reads (no memo). Callers emit the opcodes
 * in the order of a pickle program; see the Python {@code pickletools} documentation. Not
 * thread-safe.
 */
final class Pickle {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Pickle() {
        out.write(0x80); // PROTO
        out.write(2);
    }

    Pickle global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    Pickle mark() {
        out.write('(');
        return this;
    }

    Pickle tuple() {
        out.write('t');
        return this;
    }

    Pickle emptyTuple() {
        out.write(')');
        return this;
    }

    Pickle emptyDict() {
        out.write('}');
        return this;
    }

    Pickle newObj() {
        out.write(0x81);
        return this;
    }

    Pickle reduce() {
        out.write('R');
        return this;
    }

    Pickle build() {
        out.write('b');
        return this;
    }

    Pickle setItems() {
        out.write('u');
        return this;
    }

    Pickle persistentId() {
        out.write('Q'); // BINPERSID
        return this;
    }

    Pickle bool(boolean v) {
        out.write(v ? 0x88 : 0x89);
        return this;
    }

    Pickle integer(long v) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("integer out of BININT range: " + v);
        }
        out.write('J'); // BININT, 4 bytes little-endian
        int i = (int) v;
        for (int k = 0; k < 4; k++) {
            out.write(i >>> (8 * k));
        }
        return this;
    }

    Pickle string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X'); // BINUNICODE
        for (int k = 0; k < 4; k++) {
            out.write(b.length >>> (8 * k));
        }
        out.writeBytes(b);
        return this;
    }

    byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }
}
