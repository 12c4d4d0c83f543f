package org.distill4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded byte-level mutations of a valid input: what a damaged file, a careless edit or an
 * attacker produces. Each call applies one to three mutations drawn from a fixed list, so a
 * failing case is reproduced from its seed alone.
 */
final class Mutator {

    private final Random rng;
    private final List<String> tokens;

    /**
     * @param rng the seeded source of randomness
     * @param tokens format-specific fragments to splice in (keys, values, delimiters)
     */
    Mutator(Random rng, List<String> tokens) {
        this.rng = rng;
        this.tokens = tokens;
    }

    byte[] mutate(byte[] input) {
        byte[] b = input;
        for (int i = 0, n = 1 + rng.nextInt(3); i < n; i++) {
            b = once(b);
        }
        return b;
    }

    private byte[] once(byte[] b) {
        int at = b.length == 0 ? 0 : rng.nextInt(b.length + 1);
        return switch (rng.nextInt(10)) {
            case 0 -> b.length == 0 ? b : flip(b);
            case 1 -> delete(b, at, rng.nextInt(Math.max(1, Math.min(64, b.length - at + 1))));
            case 2 -> insert(b, at, token());
            case 3 -> insert(b, at, slice(b));
            case 4 -> Arrays.copyOf(b, at); // truncated
            case 5 -> insert(b, at, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}); // invalid UTF-8
            case 6 -> insert(b, 0, "\uFEFF".getBytes(StandardCharsets.UTF_8)); // byte-order mark
            case 7 -> insert(b, at, "9".repeat(1 + rng.nextInt(400)).getBytes(StandardCharsets.US_ASCII));
            case 8 -> insert(b, at, repeat(token(), 1 + rng.nextInt(2000)));
            default -> insert(b, at, new byte[] {(byte) rng.nextInt(256), 0, '\n', '\r'});
        };
    }

    private byte[] token() {
        return tokens.get(rng.nextInt(tokens.size())).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] flip(byte[] b) {
        byte[] c = b.clone();
        c[rng.nextInt(c.length)] ^= (byte) (1 << rng.nextInt(8));
        return c;
    }

    private byte[] slice(byte[] b) {
        if (b.length == 0) {
            return b;
        }
        int from = rng.nextInt(b.length);
        return Arrays.copyOfRange(b, from, Math.min(b.length, from + 1 + rng.nextInt(200)));
    }

    private static byte[] delete(byte[] b, int at, int n) {
        n = Math.min(n, b.length - at);
        byte[] c = new byte[b.length - n];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(b, at + n, c, at, b.length - at - n);
        return c;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + what.length);
        out.write(b, 0, at);
        out.write(what, 0, what.length);
        out.write(b, at, b.length - at);
        return out.toByteArray();
    }

    private static byte[] repeat(byte[] t, int n) {
        byte[] c = new byte[t.length * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(t, 0, c, i * t.length, t.length);
        }
        return c;
    }
}
