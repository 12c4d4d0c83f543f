package org.distill4j.teacher.http.lm;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.token.ByteTokenizer;
import org.distill4j.lm.token.Tokenizer;

/**
 * A teacher's top-k log-probabilities for each position of one sequence, parsed from an OpenAI
 * legacy {@code logprobs} object of an {@code echo} request. Row p (p = 0 .. T-2) is the prediction
 * of token p + 1 given tokens 0..p, the layout of {@code lm.cache.TopKCache}: {@code k} ids and
 * log-probabilities per row, most likely first.
 *
 * <p>Nothing is invented: a position for which the server sent fewer than k usable alternatives
 * gets absent entries in the missing slots, as {@code lm.loss.TopKKl} reads them: log-probability
 * -inf and the id of the row's first entry (0 when the row has none, which TopKKl then leaves out
 * of the distillation term), and is counted in {@link #shortRows()}; token strings that name no
 * token of the student's tokenizer (see {@link #tokenId(String, Tokenizer)}) are skipped and
 * counted in {@link #unmappedTokens()}.
 *
 * @param k alternatives per row
 * @param ids rows x k token ids (absent entries repeat the row's first id, or 0)
 * @param logProbs rows x k log-probabilities, -inf where absent
 * @param actual per row, the log-probability the server gave the real next token (NaN if none)
 * @param shortRows rows with fewer than k alternatives
 * @param unmappedTokens token strings that named no token
 */
public record PromptTopK(int k, int[] ids, float[] logProbs, float[] actual, int shortRows, int unmappedTokens) {

    /** Returns the number of rows (positions predicted). */
    public int rows() {
        return actual.length;
    }

    /**
     * Parses {@code choice.logprobs} of an echo answer for the prompt {@code prompt}.
     *
     * @throws IllegalArgumentException if the object is missing, its arrays do not match the
     *     prompt's length, or a token differs from the prompt's (the message names the field)
     */
    public static PromptTopK parse(JsonNode logprobs, int[] prompt, int k) {
        return parse(logprobs, prompt, k, ByteTokenizer.INSTANCE);
    }

    /**
     * Parses {@code choice.logprobs} of an echo answer for the prompt {@code prompt}, whose ids and
     * the answer's token strings are in {@code tokenizer}'s vocabulary (see {@link #tokenId(String,
     * Tokenizer)}).
     *
     * @throws IllegalArgumentException if the object is missing, its arrays do not match the
     *     prompt's length, or a token differs from the prompt's (the message names the field)
     */
    public static PromptTopK parse(JsonNode logprobs, int[] prompt, int k, Tokenizer tokenizer) {
        if (logprobs == null || !logprobs.isObject()) {
            throw new IllegalArgumentException("choices[0].logprobs: missing or null; the server returned no "
                    + "log-probabilities (does it support \"logprobs\" with \"echo\"?)");
        }
        JsonNode tokens = logprobs.get("tokens");
        JsonNode tokenLp = logprobs.get("token_logprobs");
        JsonNode top = logprobs.get("top_logprobs");
        int t = prompt.length;
        for (String f : new String[] {"tokens", "token_logprobs", "top_logprobs"}) {
            JsonNode a = logprobs.get(f);
            if (a == null || !a.isArray() || a.size() < t) {
                throw new IllegalArgumentException("logprobs." + f + ": expected an array of at least " + t
                        + " entries (one per prompt token, echo), got " + (a == null ? "none" : a.size() + ""));
            }
        }
        int rows = Math.max(0, t - 1);
        int[] ids = new int[rows * k];
        float[] lps = new float[rows * k];
        float[] actual = new float[rows];
        Arrays.fill(lps, Float.NEGATIVE_INFINITY);
        int shortRows = 0;
        int unmapped = 0;
        for (int i = 0; i < t; i++) {
            Integer id = tokenId(tokens.get(i).asText(), tokenizer);
            if (id == null || id != prompt[i]) {
                throw new TokenizerMismatchException(
                        "logprobs.tokens[" + i + "]: '" + tokens.get(i).asText() + "' is not the prompt's token "
                                + prompt[i] + "; the server tokenizes differently");
            }
        }
        for (int p = 0; p < rows; p++) {
            JsonNode lp = tokenLp.get(p + 1);
            actual[p] = lp.isNumber() ? (float) lp.asDouble() : Float.NaN;
            JsonNode alternatives = top.get(p + 1);
            List<Map.Entry<Integer, Double>> got = new ArrayList<>();
            if (alternatives != null && alternatives.isObject()) {
                for (var it = alternatives.fields(); it.hasNext(); ) {
                    var e = it.next();
                    Integer id = tokenId(e.getKey(), tokenizer);
                    if (id == null || !e.getValue().isNumber()) {
                        unmapped++;
                        continue;
                    }
                    got.add(Map.entry(id, e.getValue().asDouble()));
                }
            }
            // The object may hold k + 1 entries (the real token added, as vLLM does): keep the k largest.
            got.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
            int n = Math.min(k, got.size());
            if (n < k) {
                shortRows++;
            }
            for (int j = 0; j < k; j++) {
                if (j < n) {
                    ids[p * k + j] = got.get(j).getKey();
                    lps[p * k + j] = got.get(j).getValue().floatValue();
                } else {
                    ids[p * k + j] = n > 0 ? got.get(0).getKey() : 0; // absent: -inf, an id present in the row
                }
            }
        }
        return new PromptTopK(k, ids, lps, actual, shortRows, unmapped);
    }

    /** The server's echo of the prompt is in another vocabulary: the same on every request. */
    public static final class TokenizerMismatchException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        TokenizerMismatchException(String message) {
            super(message);
        }
    }

    /** The byte-level token id a token string names, or null: {@link #tokenId(String, Tokenizer)} for bytes. */
    public static Integer tokenId(String token) {
        return tokenId(token, ByteTokenizer.INSTANCE);
    }

    /**
     * The id a token string names in {@code tokenizer}, or null: {@code <|bos|>} and {@code <|eos|>}
     * are BOS and EOS; {@code bytes:} followed by {@code \xNN} escapes names the token of those
     * bytes (the convention of {@code distill serve}; OpenAI writes partial UTF-8 tokens the same
     * way); any other string names the token of its UTF-8 bytes.
     */
    public static Integer tokenId(String token, Tokenizer tokenizer) {
        if (token.equals("<|bos|>")) {
            return tokenizer.bos();
        }
        if (token.equals("<|eos|>")) {
            return tokenizer.eos();
        }
        byte[] bytes;
        if (token.startsWith("bytes:")) {
            String esc = token.substring(6);
            if (esc.isEmpty() || esc.length() % 4 != 0) {
                return null;
            }
            bytes = new byte[esc.length() / 4];
            for (int i = 0; i < bytes.length; i++) {
                String one = esc.substring(4 * i, 4 * i + 4);
                if (!one.startsWith("\\x")) {
                    return null;
                }
                try {
                    bytes[i] = (byte) Integer.parseInt(one.substring(2), 16);
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        } else {
            bytes = token.getBytes(StandardCharsets.UTF_8);
        }
        int id = tokenizer.id(bytes);
        return id < 0 ? null : id;
    }
}
